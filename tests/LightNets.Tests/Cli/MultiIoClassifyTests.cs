using System.Text.Json;
using LightNets.Tests.Imaging;
using LightNets.Tests.Onnx;

namespace LightNets.Tests.Cli;

/// <summary>
/// <c>lightnets classify</c> on models with several outputs (the scores picked by --output-name, or the only N×classes
/// output) and refusing, with their names, models with several inputs.
/// </summary>
public sealed class MultiIoClassifyTests : IDisposable
{
    private readonly MultiIoModels _models = new();

    public void Dispose() => _models.Dispose();

    private static string Image => ImageClassifierTests.Inputs[0].Path;

    private static CliRunner.Result Classify(string model, params string[] args) =>
        CliRunner.Run(["classify", model, Image, "--format", "json", "--threads", "1", .. args]);

    [Fact]
    public void The_only_class_scores_among_several_outputs_are_classified()
    {
        var alone = Classify(_models.Write("alone", MultiIoModels.Classifier(false, "logits")));
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        var beside = Classify(_models.Write("beside", MultiIoModels.Classifier(false, "features", "logits")));
        Assert.True(beside.ExitCode == 0, beside.Stderr);
        Assert.Equal(Images(alone), Images(beside));
    }

    [Fact]
    public void Output_name_picks_the_scores()
    {
        var file = _models.Write("two_heads", MultiIoModels.Classifier(true, "logits", "aux", "features"));
        var aux = Classify(_models.Write("aux", MultiIoModels.Classifier(true, "aux")));
        Assert.True(aux.ExitCode == 0, aux.Stderr);
        var picked = Classify(file, "--output-name", "aux");
        Assert.True(picked.ExitCode == 0, picked.Stderr);
        Assert.Equal(Images(aux), Images(picked));

        var logits = Classify(_models.Write("logits", MultiIoModels.Classifier(true, "logits")));
        var first = Classify(file, "--output-name", "logits");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal(Images(logits), Images(first));

        Expect("several N×classes outputs, 'logits' 1×5, 'aux' 1×3: pick the scores with --output-name NAME", Classify(file));
        Expect("--output-name 'features' is 1×16×8×8; classify needs N×classes scores", Classify(file, "--output-name", "features"));
        Expect("--output-name: the model has no output 'nope'; its outputs are 'logits' 1×5, 'aux' 1×3, 'features' 1×16×8×8", Classify(file, "--output-name", "nope"));
    }

    [Fact]
    public void A_model_without_class_scores_is_refused_with_its_outputs()
    {
        var b = new OnnxProtoBuilder().Input("image", 1, 3, 8, 8).Output("a").Output("b");
        b.Node("Relu", ["image"], ["a"]);
        b.Node("Sigmoid", ["image"], ["b"]);
        Expect("classify needs an N×classes output; this model's outputs are 'a' 1×3×8×8, 'b' 1×3×8×8", Classify(_models.Write("none", b)));
    }

    [Fact]
    public void A_model_with_several_inputs_is_refused_with_their_names()
    {
        var b = new OnnxProtoBuilder().Input("image", 1, 3, 8, 8).Input("mask", 1, 1, 8, 8).Output("y");
        b.Node("Mul", ["image", "mask"], ["m"]);
        b.Node("GlobalAveragePool", ["m"], ["g"]);
        b.Node("Flatten", ["g"], ["y"]);
        Expect("classify needs a model with one image input; this one has 2: 'image' 1×3×8×8, 'mask' 1×1×8×8", Classify(_models.Write("two", b)));
    }

    /// <summary>The classification results of a JSON report (the model's name differs between the files compared).</summary>
    private static string Images(CliRunner.Result r)
    {
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.GetProperty("images").GetRawText();
    }

    private static void Expect(string message, CliRunner.Result r)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("lightnets: error: ", r.Stderr);
        Assert.Contains(message, r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
