using System.CommandLine;
using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Cli.Commands;

/// <summary>The MODEL argument and every published knob, shared by the commands that build a zoo model.</summary>
/// <param name="weights">The command runs or writes the weights, so it offers --seed (info only counts them).</param>
/// <param name="batch">The command takes the batch from --batch (run takes it from its input tensor, classify has its own --batch).</param>
/// <param name="classesDefault">What --classes is when left out, as its help says it (train takes the data's count).</param>
public sealed class ModelSelection(bool weights = true, bool batch = true, string classesDefault = "default 1000")
{
    public Argument<string> Model { get; } = new("MODEL")
    {
        Description = "A zoo name (mobilenetv2_100, shufflenetv1_g3_050, mobilenetv3_small_075, ...; `lightnets models` lists them), " +
                      "a torchvision name (mobilenet_v2, mobilenet_v3_large, shufflenet_v2_x1_0, ...) or, where the command takes one, an ONNX file.",
    };

    public Option<double?> Width { get; } = CliOptions.Number<double>("--width", "Width multiplier α of a MobileNet (or scale s of a ShuffleNet).");
    public Option<double?> Scale { get; } = CliOptions.Number<double>("--scale", "Scale factor s of a ShuffleNet (\"ShuffleNet s×\"); same knob as --width.");
    public Option<int?> Resolution { get; } = CliOptions.Number<int>("--resolution",
        $"Square input size in pixels (224ρ), {ModelConfig.MinResolution}–{ModelConfig.MaxResolution} ({ModelConfig.SmallInputMinResolution}–{ModelConfig.MaxResolution} with --small-input).");

    public Option<bool> SmallInput { get; } = new("--small-input")
    {
        Description = "The family's small-input variant for 28–32 px images (CIFAR-style): the first two 2× down-samplings removed " +
                      "(ShuffleNets: stem stride 1 and no max-pool; MobileNets: stem and first stride-2 block at stride 1), " +
                      "so a 32×32 input ends on a 4×4 map.",
    };

    public Option<int?> InputChannels { get; } = CliOptions.Number<int>("--input-channels", "Channels of the input image: 3 (RGB; default) or 1 (grayscale).");
    public Option<int?> Groups { get; } = CliOptions.Number<int>("--groups", "ShuffleNetV1 groups g: 1, 2, 3, 4 or 8.");
    public Option<int?> Classes { get; } = CliOptions.Number<int>("--classes", $"Number of classes of the classifier, 1–{ModelConfig.MaxClasses:N0} ({classesDefault}).");
    public Option<int?> Batch { get; } = CliOptions.Batch("Batch size", "default 1; counts are for the whole batch");

    public ChoiceOption<ModelLayout> Layout { get; } = new("--layout",
        "ShuffleNetV2: paper (megvii's Stage-2 first unit, FC without bias) or torchvision (default). ShuffleNetV1: paper (default) or megvii (FC without bias).",
        values: [ModelLayout.Paper, ModelLayout.Torchvision, ModelLayout.Megvii]);

    public ChoiceOption<WidthRounding> Rounding { get; } = new("--rounding",
        "MobileNetV3 width rule: paper (TF-slim, reproduces the paper's Tables 3 and 9; default), timm (stem kept at 16 below α 0.75, head never scaled) or torchvision.",
        values: [WidthRounding.Paper, WidthRounding.Timm, WidthRounding.Torchvision]);

    public ChoiceOption<Activation> Activation { get; } = new("--activation", "MobileNetV1 nonlinearity: relu (paper; default) or relu6 (TF-slim, Keras).",
        values: [Models.Activation.Relu, Models.Activation.Relu6]);

    public Option<bool> HeadSe { get; } = new("--head-se")
    {
        Description = "MobileNetV3-Small: put the SE that the paper's Table 2 shows on the last 1×1 conv (no implementation does).",
    };

    /// <summary>
    /// Seed of the random weights (zoo models carry no trained weights). Given, it also draws BN statistics and biases at
    /// random (<see cref="WeightInit.RandomizeStatistics"/>), so that folding BN and fusing biases are exercised.
    /// </summary>
    public Option<ulong?> Seed { get; } = CliOptions.Number<ulong>("--seed",
        "Seed of the model's random weights; given, BN statistics and biases are random too (default: torchvision's initialization from seed 0, BN as identity, zero biases).");

    public bool HasWeights { get; } = weights;
    public bool HasBatch { get; } = batch;

    /// <summary>The argument and the options, in help order; only those the command takes.</summary>
    public IEnumerable<Symbol> Symbols
    {
        get
        {
            Symbol[] all = [Model, Width, Scale, Resolution, SmallInput, InputChannels, Groups, Layout, Rounding, Activation, HeadSe, Classes];
            return all.Concat(HasBatch ? [Batch] : []).Concat(HasWeights ? [Seed] : []);
        }
    }

    public void AddTo(Command command)
    {
        foreach (var s in Symbols)
        {
            switch (s)
            {
                case Argument a: command.Arguments.Add(a); break;
                case Option o: command.Options.Add(o); break;
            }
        }
    }

    /// <summary>The knobs given on the command line, as overrides of the model's defaults (unset ones stay null).</summary>
    public ModelOptions Options(ParseResult p)
    {
        var width = p.GetValue(Width);
        var scale = p.GetValue(Scale);
        if (width is not null && scale is not null)
            throw new CliUsageException("--width and --scale set the same knob; give only one");
        return new ModelOptions
        {
            Width = width ?? scale,
            Resolution = p.GetValue(Resolution),
            SmallInput = p.GetValue(SmallInput) ? true : null,
            InputChannels = p.GetValue(InputChannels),
            Groups = p.GetValue(Groups),
            Classes = p.GetValue(Classes),
            Batch = HasBatch ? p.GetValue(Batch) : null,
            Layout = p.GetValue(Layout),
            Rounding = p.GetValue(Rounding),
            Activation = p.GetValue(Activation),
            HeadSqueezeExcite = p.GetValue(HeadSe) ? true : null,
            Init = HasWeights && p.GetValue(Seed) is { } seed ? new WeightInit(seed, RandomizeStatistics: true) : null,
        };
    }

    /// <summary>Builds the selected zoo model.</summary>
    public Graph Build(ParseResult p) => ModelZoo.Build(p.GetValue(Model)!, Options(p));
}

/// <summary>A command that builds a zoo model: it carries its <see cref="ModelSelection"/>, so what it parses can be read without running it.</summary>
public sealed class ModelCommand : Command
{
    public ModelCommand(string name, string description, ModelSelection model) : base(name, description)
    {
        Model = model;
        model.AddTo(this);
    }

    public ModelSelection Model { get; }
}
