using System.Text.Json;
using LightNets.Imaging;
using LightNets.Tests.Imaging;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;

namespace LightNets.Tests.Training.Data;

/// <summary>
/// Resizing against torchvision 0.14's antialiased bilinear resize of float tensors (tests/fixtures/training/data,
/// made by make_resize_fixtures.py), and the evaluation preprocessing against the classifier's.
/// </summary>
public sealed class ResizeTests
{
    /// <summary>float32 sums in another order than torch's: a few ulps of values around 1.</summary>
    private const float Tolerance = 2e-6f;

    public static TheoryData<string> Cases() => [.. Fixtures().Select(c => c.GetProperty("name").GetString()!)];

    private static IEnumerable<JsonElement> Fixtures()
    {
        var path = Path.Combine(TrainingDataFixtures.Directory, "resize_fixtures.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("cases").EnumerateArray().ToList();
    }

    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetInt32())];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torchvision(string name)
    {
        var c = Fixtures().Single(f => f.GetProperty("name").GetString() == name);
        var shape = Ints(c.GetProperty("shape"));
        var source = new FloatImage();
        source.Reset(shape[0], shape[1], shape[2]);
        var input = c.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        input.CopyTo(source.Data, 0);
        var outShape = Ints(c.GetProperty("outShape"));
        ImageTransform transform;
        var box = c.GetProperty("box");
        var target = new FloatImage();
        var scratch = new TransformScratch();
        if (box.ValueKind == JsonValueKind.Array)
        {
            var b = Ints(box);
            Resampler.Resize(source, b[1], b[0], b[3], b[2], target, outShape[1], outShape[2], scratch);
        }
        else
        {
            transform = c.GetProperty("shorter").ValueKind == JsonValueKind.Number
                ? new ResizeShorter(c.GetProperty("shorter").GetInt32())
                : new Resize(outShape[1], outShape[2]);
            var random = DataRandom.ForItem(0, 0, 0);
            transform.Apply(source, target, ref random, scratch);
            Assert.Equal(transform.OutputShape(source.Shape), target.Shape);
        }
        Assert.Equal(new ImageShape(outShape[0], outShape[1], outShape[2]), target.Shape);
        var expected = c.GetProperty("output").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - target.Data[i]));
        Assert.True(worst <= Tolerance, $"{name}: largest difference {worst}");
    }

    [Fact]
    public void Preprocess_on_a_decoded_file_is_exactly_the_classifiers_preprocessing()
    {
        var preprocessing = new Preprocessing { ResizeShorter = 72, Crop = 64 };
        var pipeline = ImagePipeline.ImageNetEvaluation(preprocessing);
        foreach (var fixture in new[] { "portrait_jpeg", "landscape_rgb_png", "exif_rotated_jpeg", "gray_png" })
        {
            using var decoded = new ImageDecoder().Decode(ImagingFixtures.Get(fixture).Path);
            var expected = new ImagePreprocessor(preprocessing).Run(decoded);
            using var item = new ImageItem();
            item.SetDecoded(new ImageDecoder().Decode(ImagingFixtures.Get(fixture).Path));
            Assert.Equal(expected, pipeline.Apply(item));
        }
    }

    [Fact]
    public void Preprocess_on_pixels_resizes_in_float_close_to_the_8_bit_path()
    {
        // The in-memory path resizes in float where PIL rounds to 8 bits after each pass: within a couple of steps
        // of 1/255, divided by the smallest std.
        var preprocessing = new Preprocessing { ResizeShorter = 72, Crop = 64 };
        var pipeline = ImagePipeline.ImageNetEvaluation(preprocessing);
        using var decoded = new ImageDecoder().Decode(ImagingFixtures.Get("landscape_rgb_png").Path);
        var expected = new ImagePreprocessor(preprocessing).Run(decoded);
        using var item = new ImageItem();
        var pixels = item.Allocate(3, decoded.Height, decoded.Width);
        var plane = decoded.Height * decoded.Width;
        for (var y = 0; y < decoded.Height; y++)
            for (var x = 0; x < decoded.Width; x++)
            {
                var (r, g, b) = decoded[x, y];
                (pixels[y * decoded.Width + x], pixels[plane + y * decoded.Width + x], pixels[2 * plane + y * decoded.Width + x]) = (r, g, b);
            }
        var actual = pipeline.Apply(item);
        var worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.InRange(worst, 0, 2.5f / 255 / 0.224f);
        // A grayscale item is repeated into the 3 channels before normalisation.
        using var gray = new ImageItem();
        gray.Allocate(1, 80, 90).Fill(128);
        var out_ = pipeline.Apply(gray);
        Assert.Equal(3 * 64 * 64, out_.Length);
        Assert.Equal((128 / 255f - 0.406f) / 0.225f, out_[^1], 5);
    }
}

/// <summary>Where the training data fixtures live: tests/fixtures/training/data above the test binaries.</summary>
internal static class TrainingDataFixtures
{
    public static string Directory { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "training", "data");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/training/data not found above {AppContext.BaseDirectory}");
    }
}
