using LightNets.Imaging;
using LightNets.Models;
using LightNets.Onnx;

namespace LightNets.Tests.Imaging;

/// <summary>The library's classifier: batching, order, per-file errors, labels, softmax.</summary>
public sealed class ImageClassifierTests
{
    internal static string Model => Path.Combine(ImagingFixtures.Directory, "classifier_shufflenet_v2.onnx");
    internal static string LabelsFile => Path.Combine(ImagingFixtures.Directory, "classifier_shufflenet_v2.labels.txt");

    /// <summary>The fixtures the classifier takes: 64-pixel crops with ImageNet statistics.</summary>
    internal static IReadOnlyList<ImagingFixtures.Fixture> Inputs =>
        ImagingFixtures.All.Values.Where(f => f.Crop == 64 && f.Mean[0] == 0.485f).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

    private static ImageClassifier Create(int batch = 3) => new(OnnxImporter.Load(Model), new ClassifierOptions
    {
        Preprocessing = new Preprocessing { ResizeShorter = 72, Crop = 64 },
        Labels = Labels.Load(LabelsFile),
        BatchSize = batch,
        Threads = 1,
    });

    [Fact]
    public void Batches_give_the_same_answers_as_single_images_in_input_order()
    {
        var paths = Inputs.Select(f => f.Path).ToArray();
        using var batched = Create(batch: 4); // 11 images: batches of 4, 4 and 3
        using var single = Create(batch: 1);
        var seen = new List<string>();
        var results = batched.Classify(paths, top: 3, r => seen.Add(r.Path));
        Assert.Equal(paths, results.Select(r => r.Path));
        Assert.Equal(paths.Order(), seen.Order());
        for (var i = 0; i < paths.Length; i++)
        {
            var one = single.Classify(paths[i], top: 3);
            Assert.Equal(one.Select(p => p.Index), results[i].Top.Select(p => p.Index));
            for (var r = 0; r < 3; r++) Assert.Equal(one[r].Probability, results[i].Top[r].Probability, 5);
        }
        Assert.True(results.Select(r => r.Top[0].Index).Distinct().Count() > 3, "the fixture model's answer depends on the image");
    }

    [Fact]
    public void Bad_files_get_an_error_and_the_others_are_classified()
    {
        using var dir = new ImageFiles.TempDir();
        var good = Inputs[0].Path;
        var text = dir.Write("notes.png", "not an image at all"u8.ToArray());
        var cut = dir.Write("cut.jpg", ImageFiles.Truncated(File.ReadAllBytes(ImagingFixtures.Get("portrait_jpeg").Path), 0.5));
        using var classifier = Create(batch: 2);
        var results = classifier.Classify([good, "/no/such.jpg", text, cut, good, dir.Path], top: 2);
        Assert.Equal([true, false, false, false, true, false], results.Select(r => r.Succeeded));
        Assert.Equal("no such file", results[1].Error);
        Assert.Contains("not a supported image", results[2].Error);
        Assert.Contains("truncated", results[3].Error);
        Assert.Equal("a directory, not an image file", results[5].Error);
        Assert.Equal(results[0].Top, results[4].Top);
        Assert.Equal("hotel", results[0].Top[0].Label);
    }

    [Fact]
    public void Probabilities_are_a_softmax_and_sorted()
    {
        using var classifier = Create();
        var top = classifier.Classify(Inputs[0].Path, top: 10);
        Assert.Equal(10, top.Count);
        Assert.Equal(1.0, top.Sum(p => (double)p.Probability), 5);
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Probability >= p.Second.Probability));
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Logit >= p.Second.Logit));
        Assert.Equal(10, classifier.Classify(Inputs[0].Path, top: 50).Count);
    }

    [Fact]
    public void Top_breaks_ties_by_the_lower_index()
    {
        using var classifier = Create();
        var top = classifier.Top([1f, 3f, 3f, 0f, 3f, 2f, 2f, 2f, 2f, 2f], 4);
        Assert.Equal([1, 2, 4, 5], top.Select(p => p.Index));
    }

    [Fact]
    public void A_1000_class_model_gets_the_imagenet_names_and_wrong_options_are_named()
    {
        var graph = ModelZoo.Build("mobilenetv3_small_050", new ModelOptions { Resolution = 64 });
        using (var classifier = new ImageClassifier(graph))
        {
            Assert.Same(Labels.ImageNet, classifier.Labels);
            Assert.Equal((73, 64), (classifier.Preprocessing.ResizeShorter, classifier.Preprocessing.Crop));
        }
        Assert.Contains("10 labels for a model with 1000 classes",
            Assert.Throws<ArgumentException>(() => new ImageClassifier(graph, new ClassifierOptions { Labels = Labels.Load(LabelsFile) })).Message);
        Assert.Contains("crop (224) must be the model's input size (64×64)",
            Assert.Throws<ArgumentException>(() => new ImageClassifier(graph, new ClassifierOptions { Preprocessing = Preprocessing.ImageNet })).Message);
    }
}
