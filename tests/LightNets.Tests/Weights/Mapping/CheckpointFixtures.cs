using System.Text.Json;
using LightNets.Models;
using LightNets.Models.MobileNetV3;
using LightNets.Tensors;
using LightNets.Weights;
using LightNets.Weights.Mapping;

namespace LightNets.Tests.Weights.Mapping;

/// <summary>
/// The committed checkpoints of tests/fixtures/checkpoints (made by make_checkpoint_fixtures.py): small torchvision,
/// timm-named and megvii-named models with PyTorch's logits on a fixed input, and names.json's full-size name lists.
/// </summary>
internal static class CheckpointFixtures
{
    /// <summary>One fixture: its file, source, the zoo model and options it loads into, and its input size.</summary>
    public sealed record Fixture(string Name, string File, string Source, string Model, ModelOptions Options, int Resolution, int Batch);

    public static string Directory { get; } = Find();

    public static IReadOnlyDictionary<string, Fixture> All { get; } = Load();

    public static IEnumerable<object[]> Names => All.Keys.Select(n => new object[] { n });

    public static string PathOf(string file) => Path.Combine(Directory, file);

    public static Tensor Input(string name) => Npy.Read(PathOf(name + ".input.npy"));
    public static Tensor Output(string name) => Npy.Read(PathOf(name + ".output.npy"));

    /// <summary>The fixture's checkpoint as the loader sees it.</summary>
    public static CheckpointTensors Read(string name) => CheckpointTensors.From(WeightFiles.Read(PathOf(All[name].File)));

    /// <summary>names.json: per full-size model, its tensors' names and shapes and the MODEL (with options) it fits.</summary>
    public static IReadOnlyDictionary<string, (string Fits, (string Name, int[] Shape)[] Tensors)> FullSize { get; } = LoadNames();

    public static IEnumerable<object[]> FullSizeNames => FullSize.Keys.Select(n => new object[] { n });

    /// <summary>The names and shapes of a fixture's file (no values), with <paramref name="edit"/> applied to the list.</summary>
    public static CheckpointTensors Shapes(string name, Func<IEnumerable<(string Name, int[] Shape)>, IEnumerable<(string Name, int[] Shape)>>? edit = null)
    {
        var file = WeightFiles.Read(PathOf(All[name].File));
        var shapes = file.Select(t => (t.Name, t.Shape));
        return CheckpointTensors.FromShapes(file.SourceName, edit is null ? shapes : edit(shapes));
    }

    private static Dictionary<string, Fixture> Load()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(PathOf("manifest.json")));
        var result = new Dictionary<string, Fixture>(StringComparer.Ordinal);
        foreach (var f in doc.RootElement.GetProperty("fixtures").EnumerateArray())
        {
            var zoo = f.GetProperty("zoo");
            string? Text(string key) => zoo.TryGetProperty(key, out var v) ? v.GetString() : null;
            var options = new ModelOptions
            {
                Width = zoo.TryGetProperty("width", out var w) ? w.GetDouble() : null,
                Rounding = Text("rounding") is { } r ? Enum.Parse<WidthRounding>(r, ignoreCase: true) : null,
                Layout = Text("layout") is { } l ? Enum.Parse<ModelLayout>(l, ignoreCase: true) : null,
                Activation = Text("activation") is { } a ? Enum.Parse<Activation>(a, ignoreCase: true) : null,
            };
            var name = f.GetProperty("fixture").GetString()!;
            result.Add(name, new Fixture(name, f.GetProperty("file").GetString()!, f.GetProperty("source").GetString()!, Text("model")!, options,
                f.GetProperty("resolution").GetInt32(), f.GetProperty("batch").GetInt32()));
        }
        return result;
    }

    private static Dictionary<string, (string, (string, int[])[])> LoadNames()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(PathOf("names.json")));
        return doc.RootElement.EnumerateObject().ToDictionary(m => m.Name, m => (
            m.Value.GetProperty("fits").GetString()!,
            m.Value.GetProperty("tensors").EnumerateArray()
                .Select(t => (t[0].GetString()!, t[1].EnumerateArray().Select(d => d.GetInt32()).ToArray())).ToArray()), StringComparer.Ordinal);
    }

    /// <summary>A family's name for a zoo model ("mobilenetv3_large_035" → "mobilenetv3", "shufflenetv1_g3_050" → "shufflenetv1").</summary>
    public static string FamilyName(string model) => ModelZoo.Find(model).Family.ToString().ToLowerInvariant();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "checkpoints");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/checkpoints not found above {AppContext.BaseDirectory}");
    }
}
