using System.Text.Json;

namespace LightNets.Tests.Weights;

/// <summary>The committed weight files (tests/fixtures/weights, made by make_weight_fixtures.py) and what they hold.</summary>
internal static class WeightFixtures
{
    public sealed record Tensor(string Name, string DType, int[] Shape, float[] Values);

    public sealed record Expected(string Format, string? Prefix, Dictionary<string, string> Metadata, Tensor[] Tensors);

    /// <summary>The fixture directory, found by walking up from the test binaries to the repository.</summary>
    public static string Directory { get; } = Find();

    public static IReadOnlyDictionary<string, Expected> All { get; } = Load();

    public static IEnumerable<object[]> Names => All.Keys.Order(StringComparer.Ordinal).Select(n => new object[] { n });

    public static string PathOf(string name) => Path.Combine(Directory, name);

    private static Dictionary<string, Expected> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf("expected.json")));
        var result = new Dictionary<string, Expected>(StringComparer.Ordinal);
        foreach (var file in doc.RootElement.EnumerateObject())
        {
            var e = file.Value;
            var tensors = e.GetProperty("tensors").EnumerateArray().Select(t => new Tensor(
                t.GetProperty("name").GetString()!, t.GetProperty("dtype").GetString()!,
                t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                t.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray())).ToArray();
            var metadata = e.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            var prefix = e.GetProperty("prefix").ValueKind == JsonValueKind.Null ? null : e.GetProperty("prefix").GetString();
            result.Add(file.Name, new Expected(e.GetProperty("format").GetString()!, prefix, metadata, tensors));
        }
        return result;
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "weights");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/weights not found above {AppContext.BaseDirectory}");
    }
}
