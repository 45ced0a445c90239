using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Cli.Commands;

/// <summary>The MODEL argument and every published knob, shared by the commands that build a zoo model.</summary>
public sealed class ModelSelection
{
    public Argument<string> Model { get; } = new("MODEL")
    {
        Description = "A zoo name (mobilenetv2_100, shufflenetv1_g3_050, mobilenetv3_small_075, ...; `lightnets models` lists them), " +
                      "a torchvision name (mobilenet_v2, mobilenet_v3_large, shufflenet_v2_x1_0, ...) or, where the command takes one, an ONNX file.",
    };

    public Option<double?> Width { get; } = Number<double>("--width", "Width multiplier α of a MobileNet (or scale s of a ShuffleNet).");
    public Option<double?> Scale { get; } = Number<double>("--scale", "Scale factor s of a ShuffleNet (\"ShuffleNet s×\"); same knob as --width.");
    public Option<int?> Resolution { get; } = Number<int>("--resolution", "Square input size in pixels (224ρ), 32–4096.");
    public Option<int?> Groups { get; } = Number<int>("--groups", "ShuffleNetV1 groups g: 1, 2, 3, 4 or 8.");
    public Option<int?> Classes { get; } = Number<int>("--classes", "Number of classes of the classifier (default 1000).");
    public Option<int?> Batch { get; } = Number<int>("--batch", "Batch size (counts are for the whole batch; default 1).");

    public Option<string?> Layout { get; } = Choice("--layout",
        "ShuffleNetV2: paper (megvii's Stage-2 first unit, FC without bias) or torchvision (default). ShuffleNetV1: paper (default) or megvii (FC without bias).",
        "paper", "torchvision", "megvii");

    public Option<string?> Rounding { get; } = Choice("--rounding",
        "MobileNetV3 width rule: paper (TF-slim, reproduces the paper's Tables 3 and 9; default), timm (stem kept at 16 below α 0.75, head never scaled) or torchvision.",
        "paper", "timm", "torchvision");

    public Option<string?> Activation { get; } = Choice("--activation", "MobileNetV1 nonlinearity: relu (paper; default) or relu6 (TF-slim, Keras).",
        "relu", "relu6");

    public Option<bool> HeadSe { get; } = new("--head-se")
    {
        Description = "MobileNetV3-Small: put the SE that the paper's Table 2 shows on the last 1×1 conv (no implementation does).",
    };

    /// <summary>Seed of the random weights (zoo models carry no trained weights).</summary>
    public Option<ulong?> Seed { get; } = Number<ulong>("--seed", "Seed of the model's random weights (default 0).");

    public IEnumerable<Symbol> Symbols => [Model, Width, Scale, Resolution, Groups, Layout, Rounding, Activation, HeadSe, Classes, Batch];

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
            Groups = p.GetValue(Groups),
            Classes = p.GetValue(Classes),
            Batch = p.GetValue(Batch),
            Layout = p.GetValue(Layout) switch
            {
                null => null,
                "paper" => ModelLayout.Paper,
                "torchvision" => ModelLayout.Torchvision,
                _ => ModelLayout.Megvii,
            },
            Rounding = p.GetValue(Rounding) switch
            {
                null => null,
                "tf" => WidthRounding.Timm,
                _ => WidthRounding.Torchvision,
            },
            Activation = p.GetValue(Activation) switch
            {
                null => null,
                "relu" => Models.Activation.Relu,
                _ => Models.Activation.Relu6,
            },
            HeadSqueezeExcite = p.GetValue(HeadSe) ? true : null,
            Init = p.GetValue(Seed) is { } seed ? new WeightInit(seed, RandomizeStatistics: true) : null,
        };
    }

    /// <summary>Builds the selected zoo model.</summary>
    public Graph Build(ParseResult p) => ModelZoo.Build(p.GetValue(Model)!, Options(p));

    public static Option<T?> Number<T>(string name, string description) where T : struct, IParsable<T> => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (T.TryParse(token, CultureInfo.InvariantCulture, out var value)) return value;
            result.AddError($"{name} needs a {(typeof(T) == typeof(int) ? "whole number" : "number")}, got '{token}'");
            return null;
        },
    };

    public static Option<string?> Choice(string name, string description, params string[] values)
    {
        var option = new Option<string?>(name) { Description = description };
        option.AcceptOnlyFromAmong(values);
        return option;
    }
}
