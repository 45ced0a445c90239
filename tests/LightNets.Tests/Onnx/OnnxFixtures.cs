using LightNets.Tensors;

namespace LightNets.Tests.Onnx;

/// <summary>The committed torchvision exports (tests/fixtures/torchvision, made by make_torchvision_fixtures.py).</summary>
internal static class OnnxFixtures
{
    public static readonly string[] Names =
    [
        "mobilenet_v2_025_op11_static",
        "mobilenet_v2_025_op17_dyn",
        "mobilenet_v3_large_020_op17_dyn",
        "mobilenet_v3_small_025_op13_dyn",
        "mobilenet_v3_small_025_op17_static_ext",
        "shufflenet_v2_tiny_op11_static",
        "shufflenet_v2_tiny_op13_dyn",
        "shufflenet_v2_tiny_op17_dyn",
    ];

    public static IEnumerable<object[]> All => Names.Select(n => new object[] { n });

    /// <summary>The fixture directory, found by walking up from the test binaries to the repository.</summary>
    public static string Directory { get; } = Find();

    public static string Model(string name) => Path.Combine(Directory, name + ".onnx");
    public static Tensor Input(string name) => Npy.Read(Path.Combine(Directory, name + ".input.npy"));
    public static Tensor Output(string name) => Npy.Read(Path.Combine(Directory, name + ".output.npy"));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "torchvision");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/torchvision not found above {AppContext.BaseDirectory}");
    }
}
