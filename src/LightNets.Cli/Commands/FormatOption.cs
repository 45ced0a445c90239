using LightNets.Cli.Output;

namespace LightNets.Cli.Commands;

/// <summary>The <c>--format</c> option: the formats a command writes, the first being its default.</summary>
internal static class FormatOption
{
    public static ChoiceOption<OutputFormat> Create(params OutputFormat[] formats) =>
        new("--format", "Output format.", formats[0], formats);
}
