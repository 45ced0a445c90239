using System.CommandLine;
using System.Globalization;
using System.Numerics;
using LightNets.Models;

namespace LightNets.Cli.Commands;

/// <summary>
/// The options several commands share, each made here once so that the same option follows the same rule in every
/// command. Values out of range are parse errors (exit 2, one line naming the option, its range and the value given),
/// found before any model is built or any file written.
/// </summary>
public static class CliOptions
{
    /// <summary>
    /// Most threads a run may use. Each is an OS thread that spins between steps, so more threads than cores only slow a
    /// run down; 1024 leaves room for oversubscription experiments and for the largest machines (a 2-socket EPYC has 768
    /// hardware threads) while refusing values that are typing mistakes.
    /// </summary>
    public const int MaxThreads = 1024;

    /// <summary>Largest batch: the zoo's own limit (<see cref="ModelConfig.MaxBatch"/>), also for ONNX files and classify's batches.</summary>
    public const int MaxBatch = ModelConfig.MaxBatch;

    /// <summary>Most timed or warm-up runs: bench keeps one double per timed run, and a million runs of the smallest model take hours.</summary>
    public const int MaxRuns = 1_000_000;

    /// <summary>Most measurement rounds of compare and guidelines (each round times every configuration).</summary>
    public const int MaxRounds = 1000;

    /// <param name="defaults">What runs when the option is not given, e.g. "every core".</param>
    public static Option<int?> Threads(string defaults) =>
        Number<int>("--threads", $"Threads per run, 1–{MaxThreads} (default: {defaults}).", 1, MaxThreads);

    public static Option<int?> Top() => Number<int>("--top", "How many classes to print per image, at least 1 (default 5).", 1);

    /// <param name="what">What the number is, e.g. "Images per inference".</param>
    /// <param name="more">The rest of the sentence in parentheses: the default and what else to know.</param>
    public static Option<int?> Batch(string what, string more) => Number<int>("--batch", $"{what}, 1–{MaxBatch} ({more}).", 1, MaxBatch);

    public static Option<int?> Runs(string what, string more) => Number<int>("--runs", $"{what}, 1–{MaxRuns:N0} ({more}).", 1, MaxRuns);

    public static Option<int?> Warmup(string what, string more) => Number<int>("--warmup", $"{what}, 0–{MaxRuns:N0} ({more}).", 0, MaxRuns);

    public static Option<int?> Rounds(string what, string more) => Number<int>("--rounds", $"{what}, 1–{MaxRounds} ({more}).", 1, MaxRounds);

    /// <summary>A number option; a token that is not such a number, or is outside [min, max], is a parse error.</summary>
    public static Option<T?> Number<T>(string name, string description, T? min = null, T? max = null) where T : struct, INumber<T> => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!T.TryParse(token, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError($"{name} needs a {(typeof(T) == typeof(double) || typeof(T) == typeof(float) ? "number" : "whole number")}, got '{token}'");
                return null;
            }
            if (min is { } lo && value < lo || max is { } hi && value > hi)
            {
                result.AddError(max is null ? $"{name} must be at least {min}, got {token}" : $"{name} must be {min} to {max}, got {token}");
                return null;
            }
            return value;
        },
    };
}
