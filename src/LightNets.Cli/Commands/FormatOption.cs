using System.CommandLine;
using LightNets.Cli.Output;

namespace LightNets.Cli.Commands;

internal static class FormatOption
{
    public static Option<string> Choice(string name, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => values[0] };
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    public static Option<string> Create(params string[] formats)
    {
        var option = new Option<string>("--format")
        {
            Description = $"Output format: {string.Join(", ", formats)}.",
            DefaultValueFactory = _ => formats[0],
        };
        option.AcceptOnlyFromAmong(formats);
        return option;
    }

    public static OutputFormat Get(ParseResult p, Option<string> option) => Enum.Parse<OutputFormat>(p.GetValue(option)!, ignoreCase: true);
}
