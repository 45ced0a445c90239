using System.CommandLine;

namespace LightNets.Cli.Commands;

/// <summary>
/// An option whose value is one of an enum's members, named on the command line by the member's name in lower case
/// (<c>WidthRounding.Timm</c> is <c>timm</c>). Parsing, the help text, the error message and the tests all read the
/// same table, <see cref="Values"/>, so a value cannot be listed under one name and mapped to another member.
/// </summary>
public sealed class ChoiceOption<T> : Option<T?> where T : struct, Enum
{
    /// <param name="name">The option, e.g. <c>--rounding</c>.</param>
    /// <param name="description">What the values mean; the default, when there is one, is appended.</param>
    /// <param name="defaultValue">The value when the option is not given; null: not given stays null (a model knob left at the model's default).</param>
    /// <param name="values">The members offered (default: all), in the order help lists them.</param>
    public ChoiceOption(string name, string description, T? defaultValue = null, params T[] values) : base(name)
    {
        Values = values.Length > 0 ? values : Enum.GetValues<T>();
        Default = defaultValue;
        var names = Values.Select(NameOf).ToArray();
        Description = defaultValue is { } d ? $"{description} Default: {NameOf(d)}." : description;
        HelpName = string.Join("|", names);
        CompletionSources.Add(names);
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            foreach (var v in Values)
                if (string.Equals(NameOf(v), token, StringComparison.OrdinalIgnoreCase)) return v;
            result.AddError($"{name} takes {Words.Or(names)}, not '{token}'");
            return null;
        };
    }

    /// <summary>The members this option offers.</summary>
    public IReadOnlyList<T> Values { get; }

    /// <summary>The value when the option is not given (null: none).</summary>
    public T? Default { get; }

    /// <summary>A member's command-line name.</summary>
    public static string NameOf(T value) => value.ToString().ToLowerInvariant();

    /// <summary>The value given, or <see cref="Default"/>.</summary>
    public T Get(ParseResult p) => p.GetValue(this) ?? Default ?? throw new InvalidOperationException($"{Name} has no default; read it with GetValue");
}

/// <summary>Lists for messages.</summary>
internal static class Words
{
    /// <summary>"a", "a or b", "a, b or c".</summary>
    public static string Or(IReadOnlyList<string> items) => Join(items, "or");

    /// <summary>"a", "a and b", "a, b and c".</summary>
    public static string And(IReadOnlyList<string> items) => Join(items, "and");

    private static string Join(IReadOnlyList<string> items, string last) =>
        items.Count <= 1 ? string.Join("", items) : $"{string.Join(", ", items.Take(items.Count - 1))} {last} {items[^1]}";
}
