using System.CommandLine;
using System.Diagnostics;
using LightNets.Cli.Output;
using LightNets.Cli.Output.Charts;
using LightNets.Experiments;

namespace LightNets.Cli.Commands;

/// <summary>
/// <c>lightnets guidelines</c>: the ShuffleNetV2 paper's Tables 1–4 (G1–G4) re-measured on the LightNets runtime
/// under docs/GUIDELINES-SPEC.md's protocol, printed beside the paper's figures with a verdict per table, charts and a
/// Markdown report in <c>--out</c>.
/// </summary>
internal static class GuidelinesCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var quick = new Option<bool>("--quick") { Description = "The spec's minimum protocol (5 rounds, less timed work per round): under 2 minutes on 2 cores." };
        var mode = new ChoiceOption<GuidelineModes>("--mode",
            "arm: the paper's ARM channel numbers, 1 thread, hard checks; gpu: its GPU channel numbers, every core, soft checks; both: both in one run (enables the cross-mode checks).",
            GuidelineModes.Arm);
        var threads = CliOptions.Threads("1 in arm mode, every core in gpu mode");
        var output = new Option<string>("--out") { Description = "Directory for report.md, results.json and the charts (created if missing; checked before measuring).", DefaultValueFactory = _ => "guidelines-out" };
        var format = FormatOption.Create(OutputFormat.Markdown, OutputFormat.Json);
        // Internal knobs for smoke tests: fewer rounds and smaller feature maps keep the pipeline testable in seconds.
        var rounds = CliOptions.Rounds("Rounds", "default 7, --quick 5");
        rounds.Hidden = true;
        var size = CliOptions.Number<int>("--size", $"Feature-map size (default {Experiments.GuidelineStacks.PaperSize}, the paper's).", 1, 1024);
        size.Hidden = true;
        var command = new Command("guidelines",
            "Reproduce the ShuffleNetV2 paper's guideline experiments (Tables 1–4) on this machine: throughput beside the paper's, FLOPs held equal, a verdict per table, charts and a Markdown report.")
        {
            quick, mode, threads, output, format, rounds, size,
        };
        command.SetAction(p =>
        {
            var settings = p.GetValue(quick) ? ProtocolSettings.Quick : ProtocolSettings.Full;
            if (p.GetValue(rounds) is { } r) settings = settings with { Rounds = r };
            var options = new GuidelineOptions(
                Modes: mode.Get(p) switch
                {
                    GuidelineModes.Gpu => [GuidelineMode.Gpu],
                    GuidelineModes.Both => [GuidelineMode.Arm, GuidelineMode.Gpu],
                    _ => [GuidelineMode.Arm],
                },
                Threads: p.GetValue(threads),
                Settings: settings,
                Size: p.GetValue(size) ?? Experiments.GuidelineStacks.PaperSize,
                Quick: p.GetValue(quick),
                OutDir: OutputPath.Directory(p.GetValue(output)!, "--out"));
            var result = Run(options, new ProgressReporter(stderr), stderr);
            var written = GuidelinesReport.WriteFiles(result);
            if (format.Get(p) == OutputFormat.Json) GuidelinesReport.WriteJson(stdout, result);
            else stdout.Write(GuidelinesReport.Markdown(result, chartDirectory: null));
            stderr.WriteLine($"guidelines: wrote {string.Join(", ", written)}");
            return 0;
        });
        return command;
    }

    internal sealed record GuidelineOptions(IReadOnlyList<GuidelineMode> Modes, int? Threads, ProtocolSettings Settings, int Size, bool Quick, string OutDir)
    {
        /// <summary>§2: mode A makes no parallel calls; mode G uses every core.</summary>
        public int ThreadsFor(GuidelineMode mode) => Threads ?? (mode == GuidelineMode.Arm ? 1 : Environment.ProcessorCount);
    }

    internal sealed record GuidelineResult(
        GuidelineOptions Options, GuidelineMeasurements Measurements, IReadOnlyList<TableVerdict> Verdicts, double ExpectedSeconds, double Seconds, string Machine);

    internal static GuidelineResult Run(GuidelineOptions o, ProgressReporter progress, TextWriter stderr)
    {
        var start = Stopwatch.GetTimestamp();
        var tables = o.Modes.SelectMany(GuidelineTables.For).ToArray();
        using var runner = new GuidelineRunner(tables, o.Settings, o.ThreadsFor, o.Size);
        var k = runner.ConfigurationCount;
        var modes = string.Join(" + ", o.Modes.Select(m => $"{m.ToString().ToUpperInvariant()}-like ({GuidelinesReport.Threads(o.ThreadsFor(m))})"));
        stderr.WriteLine($"guidelines: {k} configurations, {modes}, batch 1, {o.Size}×{o.Size} maps; {o.Settings.Rounds} rounds{(o.Quick ? " (--quick)" : "")}");
        double expected = 0;
        progress.Run("guidelines: compile and calibrate", 2 * k, tick =>
        {
            runner.Prepare(label => tick($"compiled {label}"));
            expected = runner.Calibrate(label => tick($"calibrated {label}"));
        });
        var sinceStart = Stopwatch.GetElapsedTime(start).TotalSeconds;
        stderr.WriteLine($"guidelines: expected duration about {MachineInfo.Duration(sinceStart + expected)} in all " +
                         $"({MachineInfo.Duration(expected)} from now: {o.Settings.Rounds} rounds of {k} configurations, ≥{o.Settings.MinIterations} timed runs each)");
        GuidelineMeasurements? measured = null;
        progress.Run("guidelines: measure", o.Settings.WarmupPasses + o.Settings.Rounds * k, tick =>
        {
            runner.WarmUp(label => tick(label));
            measured = runner.Run(label => tick(label));
        });
        var analyses = tables.Select(t => new GuidelineAnalysis(t, measured!, o.Settings)).ToArray();
        var verdicts = analyses.Select(a => GuidelineChecks.Judge(a,
            analyses.FirstOrDefault(x => x.Table.Id == a.Table.Id && x.Table.Mode != a.Table.Mode))).ToArray();
        return new GuidelineResult(o, measured!, verdicts, sinceStart + expected, Stopwatch.GetElapsedTime(start).TotalSeconds, MachineInfo.Describe());
    }
}
