using System.Text.Json;
using LightNets.Imaging;
using LightNets.Tensors;

namespace LightNets.Tests.Imaging;

/// <summary>The committed images and torchvision's preprocessing of each (tests/fixtures/imaging, made by make_imaging_fixtures.py).</summary>
internal static class ImagingFixtures
{
    public sealed record Fixture(string Name, string File, string Mode, int Width, int Height, int Resize, int Crop, float[] Mean, float[] Std)
    {
        public string Path => System.IO.Path.Combine(Directory, File);
        public Tensor Expected => Npy.Read(System.IO.Path.Combine(Directory, Name + ".npy"));
        public Preprocessing Preprocessing => new() { ResizeShorter = Resize, Crop = Crop, Mean = Mean, Std = Std };
    }

    /// <summary>The fixture directory, found by walking up from the test binaries to the repository.</summary>
    public static string Directory { get; } = Find();

    public static IReadOnlyDictionary<string, Fixture> All { get; } = Load();

    public static IEnumerable<object[]> Names => All.Keys.Select(n => new object[] { n });

    public static Fixture Get(string name) => All[name];

    private static Dictionary<string, Fixture> Load()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(System.IO.Path.Combine(Directory, "manifest.json")));
        var result = new Dictionary<string, Fixture>(StringComparer.Ordinal);
        foreach (var f in doc.RootElement.GetProperty("fixtures").EnumerateArray())
        {
            float[] Floats(string key) => f.GetProperty(key).EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var name = f.GetProperty("fixture").GetString()!;
            result[name] = new Fixture(name, f.GetProperty("file").GetString()!, f.GetProperty("mode").GetString()!,
                f.GetProperty("width").GetInt32(), f.GetProperty("height").GetInt32(), f.GetProperty("resize").GetInt32(),
                f.GetProperty("crop").GetInt32(), Floats("mean"), Floats("std"));
        }
        return result;
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "fixtures", "imaging");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/imaging not found above {AppContext.BaseDirectory}");
    }
}
