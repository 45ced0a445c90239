using System.Text.Json;
using LightNets.Tensors;
using LightNets.Training;

namespace LightNets.Tests.Training.Optim;

/// <summary>The committed torch.optim traces (tests/fixtures/training/optim, made by make_optimizer_fixtures.py).</summary>
internal static class OptimFixtures
{
    public static string Directory { get; } = Find();

    public static JsonDocument Load(string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, file)));

    public static float[] Floats(JsonElement array)
    {
        var result = new float[array.GetArrayLength()];
        var i = 0;
        // The script writes float32 values as the doubles they convert to exactly: the cast back is exact.
        foreach (var e in array.EnumerateArray()) result[i++] = (float)e.GetDouble();
        return result;
    }

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>The fixture's parameters, fresh (their initial values), in the script's order.</summary>
    public static Parameter[] Parameters(JsonElement root) =>
        root.GetProperty("params").EnumerateArray().Select(p => new Parameter(p.GetProperty("name").GetString()!,
            new Shape(Ints(p.GetProperty("shape"))), Enum.Parse<ParameterKind>(p.GetProperty("kind").GetString()!),
            Floats(p.GetProperty("value")))).ToArray();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "training", "optim");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/training/optim not found above {AppContext.BaseDirectory}");
    }
}
