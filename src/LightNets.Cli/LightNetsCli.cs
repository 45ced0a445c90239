using System.CommandLine;
using System.Reflection;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using LightNets.Cli.Commands;

namespace LightNets.Cli;

/// <summary>
/// The <c>lightnets</c> command. Every failure the user can cause ends as one line on stderr and a non-zero exit:
/// 1 for a bad model, file or combination of options, or a failed run; 2 for a command line that does not parse, an option
/// value outside its range, or no command at all. Set LIGHTNETS_DEBUG=1 for stack traces.
/// </summary>
public static class LightNetsCli
{
    public const int ExitError = 1;
    public const int ExitUsage = 2;

    private static HelpOption HelpWithConventions()
    {
        var help = new HelpOption();
        help.Action = new ConventionsHelpAction((HelpAction)help.Action!);
        return help;
    }

    /// <summary>"lightnets 1.2.3+commit": the assembly's informational version (the package version and the source revision).</summary>
    public static string Version =>
        "lightnets " + (typeof(LightNetsCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                        ?? typeof(LightNetsCli).Assembly.GetName().Version?.ToString() ?? "unknown");

    /// <summary>The command tree, writing to <paramref name="stdout"/> and <paramref name="stderr"/> (tests parse with it).</summary>
    internal static Command CreateRoot(TextWriter stdout, TextWriter stderr)
    {
        // A plain command named "lightnets" (RootCommand would take the assembly's name, LightNets.Cli).
        var version = new Option<bool>("--version") { Description = "Print the version and exit." };
        var root = new Command("lightnets",
            "LightNets: MobileNetV1–V3 and ShuffleNetV1–V2 built from their papers' tables, costed (params, MACs, memory access) and run.")
        {
            HelpWithConventions(),
            version,
            ModelsCommand.Create(stdout),
            InfoCommand.Create(stdout, stderr),
            ExportCommand.Create(stdout),
            RunCommand.Create(stdout, stderr),
            BenchCommand.Create(stdout, stderr),
            ClassifyCommand.Create(stdout, stderr),
            GuidelinesCommand.Create(stdout, stderr),
            AdviseCommand.Create(stdout, stderr),
            CompareCommand.Create(stdout, stderr),
            TrainCommand.Create(stdout, stderr),
            EvaluateCommand.Create(stdout, stderr),
            QuantizeCommand.Create(stdout, stderr),
            BenchTrainCommand.Create(stdout, stderr),
            WeightsCommand.Create(stdout, stderr),
        };
        root.SetAction(p =>
        {
            if (p.GetValue(version))
            {
                stdout.WriteLine(Version);
                return 0;
            }
            // No command: a usage error, so the usage goes to stderr (stdout may be a pipe expecting data).
            stderr.WriteLine("lightnets: a command is required.");
            stderr.WriteLine();
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = stderr, Error = stderr });
            return ExitUsage;
        });
        return root;
    }

    /// <summary>
    /// A file error the commands' own checks did not turn into a LightNetsException (an unreadable input, a disk that
    /// fills up mid-write): .NET's message names the path, so it stays, after the reason in plain words.
    /// </summary>
    private static string IoMessage(Exception e)
    {
        var message = e.Message.ReplaceLineEndings(" ");
        if (e is FileNotFoundException) return message; // the commands throw these with their own wording ("no such input file: ...")
        var reason = OutputPath.Reason(e);
        return reason == message ? $"file error: {message}" : $"{reason}: {message}";
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = CreateRoot(stdout, stderr);

        ParseResult parsed;
        try
        {
            parsed = root.Parse(args);
        }
        catch (Exception e)
        {
            stderr.WriteLine($"lightnets: error: {e.Message}");
            return ExitUsage;
        }
        if (parsed.Errors.Count > 0 && parsed.Action is not ConventionsHelpAction)
        {
            foreach (var error in parsed.Errors)
                stderr.WriteLine($"lightnets: error: {error.Message}");
            stderr.WriteLine("Run 'lightnets --help' (or 'lightnets COMMAND --help') for usage.");
            return ExitUsage;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is LightNetsException or CliUsageException)
        {
            stderr.WriteLine($"lightnets: error: {e.Message}");
            if (Environment.GetEnvironmentVariable("LIGHTNETS_DEBUG") == "1") stderr.WriteLine(e);
            return ExitError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"lightnets: error: {IoMessage(e)}");
            if (Environment.GetEnvironmentVariable("LIGHTNETS_DEBUG") == "1") stderr.WriteLine(e);
            return ExitError;
        }
        catch (Exception e) when (MissingNativeLibrary(e) is { } missing)
        {
            // A native library (SkiaSharp for images, ONNX Runtime for --compare) or one it needs is not installed.
            stderr.WriteLine($"lightnets: error: a native library could not be loaded: {missing}");
            if (Environment.GetEnvironmentVariable("LIGHTNETS_DEBUG") == "1") stderr.WriteLine(e);
            return ExitError;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"lightnets: internal error ({e.GetType().Name}): {e.Message} — please report it; LIGHTNETS_DEBUG=1 shows the stack trace");
            if (Environment.GetEnvironmentVariable("LIGHTNETS_DEBUG") == "1") stderr.WriteLine(e);
            return ExitError;
        }
    }

    /// <summary>The first line of a DllNotFoundException's message (or of one a type initializer wrapped), else null.</summary>
    internal static string? MissingNativeLibrary(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is DllNotFoundException d)
            {
                var lines = d.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                // The loader lists every path it tried; the line naming what is missing (a dependency's "cannot open") says most.
                return lines.FirstOrDefault(l => l.Contains("cannot open shared object file", StringComparison.Ordinal)) ?? lines.FirstOrDefault() ?? d.Message;
            }
        return null;
    }
}

/// <summary>Help that ends with the counting conventions for the commands that print counts.</summary>
internal sealed class ConventionsHelpAction(HelpAction inner) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        var result = inner.Invoke(parseResult);
        if (parseResult.CommandResult.Command.Name is "lightnets" or "models" or "info")
            parseResult.InvocationConfiguration.Output.WriteLine(Commands.Conventions.Help);
        return result;
    }
}

/// <summary>A bad combination of options that the parser cannot see (e.g. --width and --scale together).</summary>
public sealed class CliUsageException(string message) : Exception(message);
