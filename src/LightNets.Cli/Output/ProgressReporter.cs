using Spectre.Console;

namespace LightNets.Cli.Output;

/// <summary>
/// Progress for long commands: a Spectre.Console progress bar when stderr is a terminal, plain "title: i/n" lines
/// otherwise (progress bars print nothing when redirected). Always on stderr, so that stdout stays machine-readable.
/// </summary>
public sealed class ProgressReporter
{
    private readonly TextWriter _stderr;
    private readonly bool _quiet;

    public ProgressReporter(TextWriter stderr, bool quiet = false)
    {
        _stderr = stderr;
        _quiet = quiet;
    }

    private bool Interactive => !_quiet && ReferenceEquals(_stderr, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>Runs <paramref name="work"/>, which reports each finished unit of <paramref name="total"/> through its argument.</summary>
    public void Run(string title, int total, Action<Action<string?>> work)
    {
        if (Interactive)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: total);
                    work(label =>
                    {
                        if (label is not null) task.Description = Markup.Escape($"{title}: {label}");
                        task.Increment(1);
                    });
                });
            return;
        }
        var done = 0;
        work(label =>
        {
            done++;
            if (!_quiet) _stderr.WriteLine($"{title}: {done}/{total}{(label is null ? "" : " " + label)}");
        });
    }
}
