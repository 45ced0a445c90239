using System.CommandLine;
using LightNets.Cli.Output;
using LightNets.Experiments.Advice;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets advise</c>: ShuffleNetV2's four guidelines applied to any network (a zoo model or an ONNX file),
/// with its time measured here and booked to G1–G4, findings ranked by the time at stake, and the paper's Fig. 2
/// (time share against FLOPs share) for that network as a PNG. The analysis is <see cref="Advisor"/>'s; this only
/// parses, reports progress and prints.
/// </summary>
internal static class AdviseCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new ModelSelection();
        var threads = CliOptions.Threads("1, as the paper's ARM measurements; per-op times are cleanest on one core");
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Markdown, OutputFormat.Json);
        var output = new Option<string>("--out")
        {
            Description = "Directory for advice.png (time share vs FLOPs share per layer), report.md and advice.json (created if missing; checked before measuring).",
            DefaultValueFactory = _ => "advise-out",
        };
        var quick = new Option<bool>("--quick") { Description = "Fewer rounds and less timed work (noisier figures): for a first look." };
        var imbalance = CliOptions.Number<double>("--imbalance", "G1 threshold: a 1×1 convolution with max(c1,c2)/min(c1,c2) at or above this is unbalanced (default 2, the paper's first unbalanced row).", 1.0, 1e6);
        var command = new ModelCommand("advise",
            "Measure a zoo model or ONNX file here and explain its time with ShuffleNetV2's guidelines: unbalanced 1×1 convolutions (G1), group convolutions (G2), " +
            "parallel fragments (G3), element-wise ops, depthwise convolutions and data movement (G4). Each offending layer is timed beside the layer the guideline proposes " +
            "at equal FLOPs; findings are ranked by the measured time at stake.", model)
        {
            threads, format, output, quick, imbalance,
        };
        command.SetAction(p =>
        {
            var directory = OutputPath.Directory(p.GetValue(output)!, "--out");
            var batch = model.Options(p).Batch ?? 1;
            var graph = ModelSource.Load(model, p, batch);
            var settings = (p.GetValue(quick) ? AdviceSettings.Quick : new AdviceSettings()) with
            {
                Threads = p.GetValue(threads) ?? 1,
                Imbalance = p.GetValue(imbalance) ?? 2.0,
            };
            var name = p.GetValue(model.Model)!;
            stderr.WriteLine($"advise: {graph.Name}, input {ModelSource.Inputs(graph)}, {settings.Threads} thread(s); {settings.Rounds} rounds over the network, " +
                             $"{settings.LayerRounds} over each offending layer and its counterfactuals");
            var progress = new ProgressReporter(stderr);
            var result = Advisor.Run(name, graph, settings, progress.Run, MachineInfo.Describe());
            var written = AdviceReport.WriteFiles(result, directory);
            switch (format.Get(p))
            {
                case OutputFormat.Json: AdviceReport.WriteJson(stdout, result); break;
                case OutputFormat.Markdown: stdout.Write(AdviceReport.Markdown(result, chart: null)); break;
                default: AdviceReport.WriteTable(stdout, result); break;
            }
            stderr.WriteLine($"advise: wrote {string.Join(", ", written)}");
            return 0;
        });
        return command;
    }
}
