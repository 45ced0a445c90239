using System.Text.Json;
using LightNets.Cli.Engines;
using LightNets.Tests.Imaging;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Cli;

/// <summary><c>lightnets classify</c>: the issue's acceptance test against ONNX Runtime, every bad input, options.</summary>
public sealed class ClassifyCommandTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string[] Classify(params string[] args) =>
        ["classify", ImageClassifierTests.Model, .. args, "--labels", ImageClassifierTests.LabelsFile, "--resize", "72", "--threads", "1"];

    /// <summary>
    /// Acceptance: on an ONNX model, `lightnets classify` on the image files gives the same top-5 (indices, and
    /// probabilities within 1e-4) as ONNX Runtime fed with torchvision's preprocessing of the same images.
    /// </summary>
    [Fact]
    public void Top5_matches_onnxruntime_on_torchvisions_preprocessing()
    {
        var fixtures = ImageClassifierTests.Inputs;
        var r = CliRunner.Run(Classify([.. fixtures.Select(f => f.Path), "--format", "json", "--batch", "4"]));
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var images = json.RootElement.GetProperty("images").EnumerateArray().ToArray();
        Assert.Equal(fixtures.Count, images.Length);

        using var ort = OnnxRuntimeEngine.FromFile(ImageClassifierTests.Model);
        for (var i = 0; i < fixtures.Count; i++)
        {
            var f = fixtures[i];
            Assert.Equal(f.Path, images[i].GetProperty("file").GetString());
            var x = f.Expected; // torchvision's tensor for this file, 3×64×64
            var logits = ort.Run(x.Reshape(new LightNets.Tensors.Shape(1, 3, 64, 64))).Data;
            var max = logits.Max();
            var sum = logits.Sum(v => Math.Exp(v - max));
            var expected = Enumerable.Range(0, logits.Length).OrderByDescending(k => logits[k]).Take(5).ToArray();
            var top = images[i].GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(expected, top.Select(t => t.GetProperty("class").GetInt32()));
            for (var k = 0; k < 5; k++)
            {
                var p = Math.Exp(logits[expected[k]] - max) / sum;
                Assert.True(Math.Abs(p - top[k].GetProperty("probability").GetDouble()) <= 1e-4,
                    $"{f.Name} rank {k + 1}: onnxruntime {p}, lightnets {top[k].GetProperty("probability").GetDouble()}");
            }
        }
    }

    [Fact]
    public void The_table_has_file_rank_class_label_and_probability()
    {
        var r = CliRunner.Run(Classify(ImagingFixtures.Get("landscape_rgb_png").Path, "--top", "2"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(@"image\s+│\s+rank\s+│\s+class\s+│\s+label\s+│\s+probability", r.Stdout);
        Assert.Matches(@"landscape_rgb_png\.png\s+│\s+1\s+│\s+7\s+│\s+hotel\s+│\s+0\.49\d\d", r.Stdout);
        Assert.Equal(2 + 4, r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal("", r.Stderr);
    }

    /// <summary>Every bad input of the issue at once: each gets its own error line, the good files their results, and the exit is 1.</summary>
    [Fact]
    public void Each_bad_file_gets_an_error_line_and_the_others_are_classified()
    {
        var jpeg = File.ReadAllBytes(ImagingFixtures.Get("portrait_jpeg").Path);
        var png = File.ReadAllBytes(ImagingFixtures.Get("landscape_rgb_png").Path);
        var corrupt = _dir.Write("corrupt.png", ImageFiles.Corrupted(png));
        var truncated = _dir.Write("truncated.jpg", ImageFiles.Truncated(jpeg, 0.5));
        var text = _dir.Write("readme.jpg", "a text file with an image's name\n"u8.ToArray());
        var huge = _dir.Write("huge.bmp", ImageFiles.BmpHeader(20_000, 10_000)); // 200 MP, over the 50 MP default
        var missing = _dir.File("missing.webp");
        var good = ImagingFixtures.Get("gray_png").Path;

        var r = CliRunner.Run(Classify(good, missing, corrupt, truncated, text, huge, ImagingFixtures.Get("lossy_webp").Path, "--top", "1"));
        Assert.Equal(1, r.ExitCode);
        var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            $"lightnets: error: {missing}: no such file",
            $"lightnets: error: {corrupt}: the image data is corrupt",
            $"lightnets: error: {truncated}: the file is truncated: it ends before the image data does",
            $"lightnets: error: {text}: not a supported image: JPEG, PNG, WebP, BMP or GIF expected",
            $"lightnets: error: {huge}: 20000×10000 = 200,000,000 pixels is over the limit of 50,000,000 (raise it with --max-pixels / ImageDecoder(maxPixels))",
            "lightnets: 5 of 7 images could not be classified",
        ], errors);
        Assert.Contains("gray_png.png", r.Stdout);
        Assert.Contains("lossy_webp.webp", r.Stdout);
        Assert.DoesNotContain("missing.webp", r.Stdout);
    }

    [Fact]
    public void Max_pixels_sets_the_limit()
    {
        var f = ImagingFixtures.Get("landscape_rgb_png"); // 97×61 = 5,917 pixels
        var r = CliRunner.Run(Classify(f.Path, "--max-pixels", "5000"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("97×61 = 5,917 pixels is over the limit of 5,000", r.Stderr);
        Assert.Equal(0, CliRunner.Run(Classify(f.Path, "--max-pixels", "5917")).ExitCode);
    }

    [Fact]
    public void Json_lists_failed_files_with_their_error()
    {
        var r = CliRunner.Run(Classify(ImagingFixtures.Get("odd_bmp").Path, _dir.File("nope.png"), "--format", "json"));
        Assert.Equal(1, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        var images = json.RootElement.GetProperty("images");
        Assert.Equal(5, images[0].GetProperty("top").GetArrayLength());
        Assert.Equal("no such file", images[1].GetProperty("error").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("failed").GetInt32());
        Assert.Equal(72, json.RootElement.GetProperty("preprocessing").GetProperty("resize").GetInt32());
    }

    [Fact]
    public void A_directory_gives_its_images_and_many_files_show_progress()
    {
        foreach (var f in ImageClassifierTests.Inputs) File.Copy(f.Path, _dir.File(f.File));
        for (var i = 0; i < 7; i++) File.Copy(ImagingFixtures.Get("odd_bmp").Path, _dir.File($"copy{i}.bmp"));
        File.WriteAllText(_dir.File("notes.txt"), "skipped: not an image extension");
        var r = CliRunner.Run(Classify(_dir.Path, "--top", "1", "--format", "csv"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(1 + 18, r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("classify: 18/18", r.Stderr);
        Assert.DoesNotContain("notes.txt", r.Stdout);
        Assert.DoesNotContain("classify:", CliRunner.Run(Classify(_dir.Path, "--quiet")).Stderr);
    }

    [Fact]
    public void An_empty_directory_is_an_error()
    {
        var empty = Directory.CreateDirectory(_dir.File("empty")).FullName;
        var r = CliRunner.Run(Classify(empty, ImagingFixtures.Get("odd_bmp").Path));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"lightnets: error: {empty}: no .jpg, .jpeg, .png, .webp, .bmp, .gif files in this directory", r.Stderr);
        Assert.Contains("odd_bmp.bmp", r.Stdout);
    }

    [Fact]
    public void Labels_must_match_the_number_of_classes()
    {
        var labels = _dir.Write("three.txt", "a\nb\nc\n"u8.ToArray());
        var r = CliRunner.Run("classify", ImageClassifierTests.Model, ImagingFixtures.Get("odd_bmp").Path, "--labels", labels);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("lightnets: error: three.txt holds 3 labels but the model has 10 classes\n", r.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Without_labels_a_ten_class_model_prints_indices_only()
    {
        var r = CliRunner.Run("classify", ImageClassifierTests.Model, ImagingFixtures.Get("odd_bmp").Path, "--format", "json", "--top", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("images")[0].GetProperty("top")[0].GetProperty("label").ValueKind);
        Assert.Equal(73, json.RootElement.GetProperty("preprocessing").GetProperty("resize").GetInt32()); // 64·256/224
    }

    [Fact]
    public void Normalize_tf_uses_minus_one_to_one()
    {
        var r = CliRunner.Run(Classify(ImagingFixtures.Get("odd_bmp").Path, "--normalize", "tf", "--format", "json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var pre = json.RootElement.GetProperty("preprocessing");
        Assert.Equal([0.5, 0.5, 0.5], pre.GetProperty("mean").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([0.5, 0.5, 0.5], pre.GetProperty("std").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public void Weights_from_a_torchvision_export_make_the_zoo_model_classify_like_the_file()
    {
        var onnx = Path.Combine(OnnxFixtures.Directory, "mobilenet_v2_025_op17_dyn.onnx");
        var image = ImagingFixtures.Get("landscape_rgb_png").Path;
        var direct = CliRunner.Run("classify", onnx, image, "--format", "json", "--top", "10");
        var zoo = CliRunner.Run("classify", "mobilenetv2_100", "--width", "0.25", "--classes", "10", "--resolution", "48", "--weights", onnx,
            image, "--format", "json", "--top", "10");
        Assert.True(direct.ExitCode == 0 && zoo.ExitCode == 0, direct.Stderr + zoo.Stderr);
        static (int, double)[] Top(string stdout)
        {
            using var json = JsonDocument.Parse(stdout);
            return json.RootElement.GetProperty("images")[0].GetProperty("top").EnumerateArray()
                .Select(t => (t.GetProperty("class").GetInt32(), t.GetProperty("probability").GetDouble())).ToArray();
        }
        var (a, b) = (Top(direct.Stdout), Top(zoo.Stdout));
        Assert.Equal(a.Select(t => t.Item1), b.Select(t => t.Item1));
        Assert.All(a.Zip(b), p => Assert.True(Math.Abs(p.First.Item2 - p.Second.Item2) <= 1e-5));
    }

    [Fact]
    public void Weights_that_do_not_fit_are_one_clear_error()
    {
        var onnx = Path.Combine(OnnxFixtures.Directory, "mobilenet_v2_025_op17_dyn.onnx");
        var image = ImagingFixtures.Get("landscape_rgb_png").Path;
        var r = CliRunner.Run("classify", "mobilenetv2_100", "--classes", "10", "--resolution", "48", "--weights", onnx, image);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("lightnets: error: --weights mobilenet_v2_025_op17_dyn.onnx does not fit mobilenetv2_100: weights by position: layer #1 weight differs", r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var onOnnx = CliRunner.Run("classify", onnx, image, "--weights", onnx);
        Assert.Equal(1, onOnnx.ExitCode);
        Assert.Contains("--weights loads trained weights into a zoo model", onOnnx.Stderr);
        Assert.Contains("no such weights file", CliRunner.Run("classify", "mobilenetv2_100", image, "--weights", _dir.File("w.onnx")).Stderr);
    }

    [Theory]
    [InlineData("--resize", "32", 1)] // smaller than this model's input: known only once the model is loaded
    [InlineData("--max-pixels", "0", 2)]
    [InlineData("--max-pixels", "536870912", 2)]
    public void Bad_option_values_are_usage_errors(string option, string value, int exit)
    {
        var r = CliRunner.Run("classify", ImageClassifierTests.Model, ImagingFixtures.Get("odd_bmp").Path, option, value);
        Assert.Equal(exit, r.ExitCode);
        Assert.StartsWith($"lightnets: error: {option}", r.Stderr);
    }

    [Fact]
    public void A_directory_says_what_it_skipped_and_recursive_descends_in_name_order()
    {
        var bmp = File.ReadAllBytes(ImagingFixtures.Get("odd_bmp").Path);
        _dir.Write("b.bmp", bmp);
        _dir.Write("a.BMP", bmp);
        _dir.Write("notes.txt", "not an image"u8.ToArray());
        _dir.Write("data.csv", "1,2"u8.ToArray());
        Directory.CreateDirectory(_dir.File("sub/deeper"));
        _dir.Write("sub/c.bmp", bmp);
        _dir.Write("sub/deeper/d.bmp", bmp);
        Directory.CreateDirectory(_dir.File("empty"));
        // A link back to the top: followed, it would loop forever.
        Directory.CreateSymbolicLink(_dir.File("sub/loop"), _dir.Path);

        var flat = CliRunner.Run(Classify(_dir.Path, "--top", "1", "--format", "json"));
        Assert.True(flat.ExitCode == 0, flat.Stderr);
        Assert.Equal([_dir.File("a.BMP"), _dir.File("b.bmp")], Files(flat.Stdout));
        Assert.Equal(
            $"lightnets: note: {_dir.Path}: skipped 2 files without an image extension ({_dir.File("data.csv")}, {_dir.File("notes.txt")}) and " +
            $"2 subdirectories ({_dir.File("empty")}, {_dir.File("sub")}; --recursive classifies their images too)\n",
            flat.Stderr.ReplaceLineEndings("\n"));

        var deep = CliRunner.Run(Classify(_dir.Path, "--top", "1", "--format", "json", "--recursive"));
        Assert.True(deep.ExitCode == 0, deep.Stderr);
        Assert.Equal([_dir.File("a.BMP"), _dir.File("b.bmp"), _dir.File("sub/c.bmp"), _dir.File("sub/deeper/d.bmp")], Files(deep.Stdout));
        Assert.Contains("2 files without an image extension", deep.Stderr);
        Assert.Contains($"1 symbolic link to a directory, not followed ({_dir.File("sub/loop")})", deep.Stderr);
        Assert.DoesNotContain("subdirectories", deep.Stderr);

        Assert.Equal("", CliRunner.Run(Classify(_dir.Path, "--top", "1", "--quiet")).Stderr);
    }

    [Fact]
    public void A_directory_without_images_even_recursively_is_an_error()
    {
        Directory.CreateDirectory(_dir.File("only/dirs"));
        _dir.Write("only/dirs/readme.md", "#"u8.ToArray());
        var r = CliRunner.Run(Classify(_dir.File("only"), ImagingFixtures.Get("odd_bmp").Path, "-r"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"lightnets: error: {_dir.File("only")}: no .jpg, .jpeg, .png, .webp, .bmp, .gif files in this directory or its subdirectories", r.Stderr);
        Assert.Contains("skipped 1 file without an image extension", r.Stderr);
    }

    [Fact]
    public void A_batch_too_large_for_memory_is_refused_before_allocating()
    {
        var graph = LightNets.Onnx.OnnxImporter.Load(ImageClassifierTests.Model);
        // The issue's case: 200,000 images per batch overflowed an int when the input buffer was sized.
        var e = Assert.Throws<WorkingMemoryException>(() => new LightNets.Imaging.ImageClassifier(graph, new LightNets.Imaging.ClassifierOptions { BatchSize = 200_000 }));
        Assert.Matches(@"^a batch of 200,000 images of 3×64×64 needs \d+(\.\d+)? GiB for its input and outputs alone, more than a session's 4 GiB of working memory \(SessionOptions.DefaultMaxArenaBytes\): use a batch of at most 87,310$", e.Message);
        Assert.Throws<WorkingMemoryException>(() => new LightNets.Imaging.ImageClassifier(graph, new LightNets.Imaging.ClassifierOptions { BatchSize = int.MaxValue }));
        using var fits = new LightNets.Imaging.ImageClassifier(graph, new LightNets.Imaging.ClassifierOptions { BatchSize = 4096 });
        Assert.Equal(4096, fits.BatchSize);
    }

    private static string[] Files(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("file").GetString()!).ToArray();
    }
}
