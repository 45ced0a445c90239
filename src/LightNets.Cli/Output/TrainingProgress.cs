using System.Diagnostics;
using LightNets.Training.Trainer;
using Spectre.Console;

namespace LightNets.Cli.Output;

/// <summary>
/// What <c>lightnets train</c> shows while it runs: on a terminal a Spectre.Console progress bar per epoch with the
/// loss, accuracy, images/s and time left; redirected, a plain line on stderr every few seconds. The per-epoch summary
/// goes to stdout either way.
/// </summary>
internal sealed class TrainingProgress : TrainingMonitor
{
    /// <summary>Seconds between two plain progress lines.</summary>
    private const double PlainInterval = 5;

    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;
    private readonly bool _quiet;
    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private readonly Action<IReadOnlyList<EpochMetrics>>? _epochDone;
    private ProgressTask? _task;

    public TrainingProgress(TextWriter stdout, TextWriter stderr, bool quiet, Action<IReadOnlyList<EpochMetrics>>? epochDone)
    {
        _stdout = stdout;
        _stderr = stderr;
        _quiet = quiet;
        _epochDone = epochDone;
    }

    private bool Interactive => !_quiet && ReferenceEquals(_stderr, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>Runs <paramref name="train"/> (which runs the trainer with this monitor) under the progress display.</summary>
    public void Run(Action train)
    {
        if (!Interactive)
        {
            train();
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                _task = ctx.AddTask("starting", maxValue: 1);
                train();
            });
    }

    public override void Note(string message) => _stdout.WriteLine(message);

    public override void Step(in StepProgress p)
    {
        var line = $"epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches}: loss {p.Loss:0.0000}, accuracy {p.Accuracy:P1}, " +
                   $"{p.ImagesPerSecond:N0} images/s, {Fmt(p.Remaining)} left";
        if (_task is not null)
        {
            _task.MaxValue = p.Batches;
            _task.Value = p.Batch;
            _task.Description = Markup.Escape(line);
            return;
        }
        if (_quiet || _sinceLine.Elapsed.TotalSeconds < PlainInterval && p.Batch != p.Batches) return;
        _sinceLine.Restart();
        _stderr.WriteLine(line);
    }

    public override void Validating(int epoch, long done, long total)
    {
        if (_task is not null)
        {
            _task.MaxValue = total;
            _task.Value = done;
            _task.Description = Markup.Escape($"epoch {epoch}: validating {done:N0}/{total:N0}");
        }
    }

    public override void EpochEnded(EpochMetrics m, IReadOnlyList<EpochMetrics> history, bool best)
    {
        var validation = m.ValidationTop1 is { } top1
            ? $", validation loss {m.ValidationLoss:0.0000}, top-1 {top1:P2}, top-5 {m.ValidationTopK:P2}{(best ? " (best so far: best.onnx)" : "")}"
            : "";
        _stdout.WriteLine($"epoch {m.Epoch}: train loss {m.TrainLoss:0.0000}, accuracy {m.TrainAccuracy:P2}{validation}; lr {m.LearningRate:G4}, " +
                          $"{m.Seconds:0.0} s, {m.ImagesPerSecond:N0} images/s");
        _sinceLine.Restart();
        _epochDone?.Invoke(history);
    }

    private static string Fmt(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : t.ToString(@"m\:ss");
}
