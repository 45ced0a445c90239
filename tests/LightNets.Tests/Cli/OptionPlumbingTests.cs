using System.CommandLine;
using LightNets.Cli;
using LightNets.Cli.Commands;
using LightNets.Cost;
using LightNets.Graphs;
using LightNets.Models;

namespace LightNets.Tests.Cli;

/// <summary>
/// Every value of every model option reaches the built model, in every command that builds one: each command line is
/// parsed by the real command tree, and the model its <see cref="ModelSelection"/> builds must be the one
/// <see cref="ModelZoo.Build(string, ModelOptions?)"/> builds from the expected options (same counts, nodes, metadata and weights).
/// </summary>
public class OptionPlumbingTests
{
    /// <summary>The commands that build a zoo model, with the arguments each needs besides the model and its options.</summary>
    private static readonly Dictionary<string, string[]> Commands = new()
    {
        ["info"] = [],
        ["export"] = ["-o", "model.onnx"],
        ["run"] = ["--input", "x.npy"],
        ["bench"] = [],
        ["classify"] = ["image.png"],
        ["train"] = ["--data", "data"],
        ["evaluate"] = ["--data", "data"],
        ["quantize"] = ["--calibration", "data", "-o", "q.onnx"],
        ["bench-train"] = [],
        ["advise"] = [],
    };

    /// <summary>Commands whose --batch is their own (images per inference or training step), not the model's.</summary>
    private static readonly string[] OwnBatch = ["classify", "train", "evaluate", "bench-train"];

    /// <summary>train's --seed is the run's (data order, augmentation, dropout and the initial weights, BN as identity).</summary>
    private static readonly string[] OwnSeed = ["train"];

    /// <summary>--batch: the model's batch where the command has no other source for it (run: the input tensor; classify: its own --batch).</summary>
    private static readonly string[] WithModelBatch = ["info", "export", "bench", "advise"];

    /// <summary>--seed: where the weights matter (info only counts them).</summary>
    private static readonly string[] WithSeed = ["export", "run", "bench", "classify", "evaluate", "quantize", "advise"];

    /// <summary>One model option value: the model it applies to, the arguments, and the options they must produce.</summary>
    public sealed record Case(string Option, string Model, string[] Args, ModelOptions Expected)
    {
        public override string ToString() => $"{Model} {string.Join(" ", Args)}";
    }

    /// <summary>
    /// Every value of every choice option (written out here, not read from the option, so that a value mapped to the
    /// wrong member fails), and representative values of the numeric ones.
    /// </summary>
    public static readonly Case[] Cases =
    [
        new("--width", "mobilenetv2_100", ["--width", "0.5"], new() { Width = 0.5 }),
        new("--width", "mobilenetv1_100", ["--width", "0.75"], new() { Width = 0.75 }),
        new("--scale", "shufflenetv2_100", ["--scale", "0.5"], new() { Width = 0.5 }),
        new("--scale", "shufflenetv1_g3_100", ["--scale", "2"], new() { Width = 2 }),
        new("--resolution", "mobilenetv1_100", ["--resolution", "160"], new() { Resolution = 160 }),
        new("--resolution", "shufflenetv2_050", ["--resolution", "96"], new() { Resolution = 96 }),
        new("--groups", "shufflenetv1_g3_100", ["--groups", "1"], new() { Groups = 1 }),
        new("--groups", "shufflenetv1_g3_100", ["--groups", "2"], new() { Groups = 2 }),
        new("--groups", "shufflenetv1_g3_100", ["--groups", "3"], new() { Groups = 3 }),
        new("--groups", "shufflenetv1_g3_100", ["--groups", "4"], new() { Groups = 4 }),
        new("--groups", "shufflenetv1_g3_100", ["--groups", "8"], new() { Groups = 8 }),
        new("--layout", "shufflenetv2_100", ["--layout", "paper"], new() { Layout = ModelLayout.Paper }),
        new("--layout", "shufflenetv2_100", ["--layout", "torchvision"], new() { Layout = ModelLayout.Torchvision }),
        new("--layout", "shufflenetv1_g3_100", ["--layout", "paper"], new() { Layout = ModelLayout.Paper }),
        new("--layout", "shufflenetv1_g3_100", ["--layout", "megvii"], new() { Layout = ModelLayout.Megvii }),
        // At α = 0.5 the three MobileNetV3 rules build three different networks.
        new("--rounding", "mobilenetv3_large_050", ["--rounding", "paper"], new() { Rounding = WidthRounding.Paper }),
        new("--rounding", "mobilenetv3_large_050", ["--rounding", "timm"], new() { Rounding = WidthRounding.Timm }),
        new("--rounding", "mobilenetv3_large_050", ["--rounding", "torchvision"], new() { Rounding = WidthRounding.Torchvision }),
        new("--activation", "mobilenetv1_100", ["--activation", "relu"], new() { Activation = Activation.Relu }),
        new("--activation", "mobilenetv1_100", ["--activation", "relu6"], new() { Activation = Activation.Relu6 }),
        new("--head-se", "mobilenetv3_small_100", ["--head-se"], new() { HeadSqueezeExcite = true }),
        // --small-input on every family and table; --input-channels' two values.
        new("--small-input", "mobilenetv1_100", ["--small-input"], new() { SmallInput = true }),
        new("--small-input", "shufflenetv1_g3_100", ["--small-input"], new() { SmallInput = true }),
        new("--small-input", "mobilenetv2_100", ["--small-input"], new() { SmallInput = true }),
        new("--small-input", "shufflenetv2_050", ["--small-input"], new() { SmallInput = true }),
        new("--small-input", "mobilenetv3_large_100", ["--small-input"], new() { SmallInput = true }),
        new("--small-input", "mobilenetv3_small_075", ["--small-input"], new() { SmallInput = true }),
        new("--input-channels", "mobilenetv2_100", ["--input-channels", "1"], new() { InputChannels = 1 }),
        new("--input-channels", "mobilenetv2_100", ["--input-channels", "3"], new() { InputChannels = 3 }),
        new("--input-channels", "shufflenetv1_g8_050", ["--input-channels", "1"], new() { InputChannels = 1 }),
        new("--small-input", "shufflenetv2_050", ["--small-input", "--input-channels", "1", "--classes", "10", "--resolution", "28"],
            new() { SmallInput = true, InputChannels = 1, Classes = 10, Resolution = 28 }),
        new("--small-input", "mobilenet_v3_small", ["--resolution", "8", "--small-input"], new() { SmallInput = true, Resolution = 8 }),
        new("--classes", "mobilenetv2_100", ["--classes", "10"], new() { Classes = 10 }),
        new("--classes", "shufflenetv2_100", ["--classes", "21843"], new() { Classes = 21843 }),
        new("--batch", "mobilenetv2_100", ["--batch", "3"], new() { Batch = 3 }),
        new("--seed", "mobilenetv3_small_075", ["--seed", "7"], new() { Init = new WeightInit(7, RandomizeStatistics: true) }),
        new("--seed", "mobilenetv3_small_075", ["--seed", "0"], new() { Init = new WeightInit(0, RandomizeStatistics: true) }),
        // Several at once, and a choice given in capitals.
        new("--rounding", "mobilenetv3_small_100", ["--width", "0.35", "--rounding", "TIMM", "--resolution", "128", "--classes", "5"],
            new() { Width = 0.35, Rounding = WidthRounding.Timm, Resolution = 128, Classes = 5 }),
    ];

    public static TheoryData<string, Case> CommandsAndCases()
    {
        var data = new TheoryData<string, Case>();
        foreach (var command in Commands.Keys)
            foreach (var c in Cases)
                data.Add(command, c);
        return data;
    }

    [Theory]
    [MemberData(nameof(CommandsAndCases))]
    public void Every_model_option_value_reaches_the_built_model(string command, Case c)
    {
        var offered = c.Option switch
        {
            "--batch" => WithModelBatch.Contains(command) || OwnBatch.Contains(command),
            "--seed" => WithSeed.Contains(command) || OwnSeed.Contains(command),
            _ => true,
        };
        var p = Parse([command, c.Model, .. Commands[command], .. c.Args]);
        if (!offered)
        {
            Assert.Contains(p.Errors, e => e.Message.Contains(c.Option, StringComparison.Ordinal));
            return;
        }
        Assert.Empty(p.Errors);
        var selection = Assert.IsType<ModelCommand>(p.CommandResult.Command).Model;
        // classify's own --batch is images per inference: its sessions are made from the model built at batch 1 (train,
        // evaluate and bench-train likewise set the batch themselves); train's --seed is read by the command, not the selection.
        var expected = c.Option == "--batch" && OwnBatch.Contains(command) ? c.Expected with { Batch = null }
            : c.Option == "--seed" && OwnSeed.Contains(command) ? c.Expected with { Init = null } : c.Expected;
        Assert.Equal(expected, selection.Options(p));
        Assert.Equal(Fingerprint(ModelZoo.Build(c.Model, expected)), Fingerprint(selection.Build(p)));
    }

    /// <summary>
    /// The values of one option on one model build different networks, so that a value parsed into the wrong member
    /// (the old bug: every --rounding built torchvision's network) cannot pass the test above.
    /// </summary>
    [Fact]
    public void The_values_of_an_option_build_different_models()
    {
        foreach (var group in Cases.Where(c => c.Args.Length == 2).GroupBy(c => (c.Option, c.Model)).Where(g => g.Count() > 1))
        {
            var prints = group.Select(c => Fingerprint(ModelZoo.Build(c.Model, c.Expected))).ToArray();
            Assert.True(prints.Distinct().Count() == prints.Length, $"{group.Key}: two values build the same model");
        }
    }

    [Fact]
    public void The_commands_that_build_models_are_the_ones_tested()
    {
        var root = LightNetsCli.CreateRoot(TextWriter.Null, TextWriter.Null);
        Assert.Equal(Commands.Keys.Order(), root.Subcommands.OfType<ModelCommand>().Select(c => c.Name).Order());
        // Each offers every knob (and --batch, --seed where stated), so no value is silently unavailable.
        foreach (var command in root.Subcommands.OfType<ModelCommand>())
        {
            var names = command.Options.Select(o => o.Name).ToHashSet();
            foreach (var option in Cases.Select(c => c.Option).Distinct())
            {
                var expected = option switch
                {
                    "--batch" => WithModelBatch.Contains(command.Name),
                    "--seed" => WithSeed.Contains(command.Name),
                    _ => true,
                };
                if (option == "--batch" && OwnBatch.Contains(command.Name)) continue; // their own --batch: images per inference or step
                if (option == "--seed" && OwnSeed.Contains(command.Name)) continue; // train's own --seed
                Assert.True(expected == names.Contains(option), $"{command.Name} {(expected ? "lacks" : "should not offer")} {option}");
            }
        }
    }

    /// <summary>Every choice option of every command: its table has one name per member, and each name parses to its member.</summary>
    [Fact]
    public void Every_choice_value_of_every_command_parses_to_its_own_member()
    {
        var root = LightNetsCli.CreateRoot(TextWriter.Null, TextWriter.Null);
        var checkedValues = 0;
        foreach (var command in root.Subcommands)
        {
            foreach (var option in command.Options)
            {
                var type = option.GetType();
                if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(ChoiceOption<>)) continue;
                var values = (System.Collections.IEnumerable)type.GetProperty("Values")!.GetValue(option)!;
                foreach (var value in values)
                {
                    var name = value.ToString()!.ToLowerInvariant();
                    var p = command.Parse([option.Name, name]);
                    Assert.DoesNotContain(p.Errors, e => e.Message.Contains(option.Name, StringComparison.Ordinal));
                    Assert.Equal(value, p.GetResult(option)!.GetValueOrDefault<object>());
                    checkedValues++;
                }
            }
        }
        Assert.True(checkedValues >= 30, $"only {checkedValues} choice values found");
    }

    private static ParseResult Parse(string[] args) => LightNetsCli.CreateRoot(TextWriter.Null, TextWriter.Null).Parse(args);

    /// <summary>What makes two built models the same: counts, shapes, metadata, every node's operator and a sample of weights.</summary>
    private static string Fingerprint(Graph g)
    {
        var cost = CostReport.Analyze(g);
        var ops = string.Join(";", g.Nodes.Select(n => n.Op.ToString()));
        var weights = g.Initializers.OrderBy(kv => kv.Key, StringComparer.Ordinal).Where(kv => kv.Value.Length <= 4096).Take(8)
            .Select(kv => $"{kv.Key}={kv.Value.Data.Sum(v => (double)v):R}");
        return $"{g.Name} {g.Input.Shape} -> {g.ShapeOf(g.Output)}; params {cost.Params}, MACs {cost.Macs}, MAC {cost.MemoryAccess}; " +
               $"{string.Join(",", g.Metadata.Select(kv => $"{kv.Key}={kv.Value}"))}; {ops.GetHashCode()}/{ops.Length}; {string.Join(",", weights)}";
    }
}
