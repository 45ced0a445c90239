using LightNets.Tensors;

namespace LightNets.Tests.Training;

/// <summary>
/// The committed PyTorch numbers of tests/fixtures/training (made by make_training_fixtures.py): single-op cases under
/// ops/, one training step of small torchvision models under models/. Arrays are float32 .npy in NCHW.
/// </summary>
internal static class TrainingFixtures
{
    public static string Directory { get; } = Find();

    public static string Ops => Path.Combine(Directory, "ops");
    public static string Models => Path.Combine(Directory, "models");

    /// <summary>ops/&lt;case&gt;.&lt;field&gt;.npy.</summary>
    public static Tensor Op(string name, string field) => Npy.Read(Path.Combine(Ops, $"{name}.{field}.npy"));

    /// <summary>NCHW data as NHWC, widened to double.</summary>
    public static double[] Nhwc(Tensor t)
    {
        var s = t.Shape;
        int n = s.N, c = s.C, h = s.H, w = s.W;
        var d = t.Data;
        var result = new double[d.Length];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < c; j++)
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
            result[((i * h + y) * w + x) * c + j] = d[((i * c + j) * h + y) * w + x];
        return result;
    }

    public static double[] Doubles(Tensor t) => Array.ConvertAll(t.Data, v => (double)v);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "training");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/training not found above {AppContext.BaseDirectory}");
    }
}
