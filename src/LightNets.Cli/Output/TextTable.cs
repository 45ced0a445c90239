using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LightNets.Cli.Output;

/// <summary>A column of a <see cref="TextTable"/>; numbers are right-aligned.</summary>
public sealed record Column(string Header, bool Numeric = false);

/// <summary>
/// Rows of already formatted cells, rendered as a console table (Spectre.Console), CSV or a Markdown pipe table.
/// JSON is written by each command with typed values instead.
/// </summary>
public sealed class TextTable(string? title, IReadOnlyList<Column> columns)
{
    private readonly List<string[]> _rows = [];

    public string? Title { get; } = title;
    public IReadOnlyList<Column> Columns { get; } = columns;
    public IReadOnlyList<string[]> Rows => _rows;

    public void Add(params string[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"row has {cells.Length} cells for {Columns.Count} columns");
        _rows.Add(cells);
    }

    public void Write(TextWriter writer, OutputFormat format)
    {
        switch (format)
        {
            case OutputFormat.Csv:
                writer.WriteLine(string.Join(",", Columns.Select(c => Csv(c.Header))));
                foreach (var row in _rows) writer.WriteLine(string.Join(",", row.Select(Csv)));
                break;
            case OutputFormat.Markdown:
                if (Title is not null) writer.WriteLine($"**{Title}**\n");
                writer.WriteLine("| " + string.Join(" | ", Columns.Select(c => c.Header)) + " |");
                writer.WriteLine("|" + string.Join("|", Columns.Select(c => c.Numeric ? "---:" : "---")) + "|");
                foreach (var row in _rows) writer.WriteLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|"))) + " |");
                break;
            default:
                var table = new Table().Border(TableBorder.Rounded);
                if (Title is not null) table.Title(Markup.Escape(Title));
                foreach (var c in Columns)
                    table.AddColumn(new TableColumn(Markup.Escape(c.Header)) { Alignment = c.Numeric ? Justify.Right : Justify.Left, NoWrap = true });
                foreach (var row in _rows) table.AddRow(row.Select(c => (IRenderable)new Text(c)).ToArray());
                // Redirected output has no width to fit: give the table its natural width, never Spectre's "…" for a table too wide.
                var natural = Columns.Select((c, i) => _rows.Select(r => r[i].Length).Append(c.Header.Length).Max() + 3).Sum() + 1;
                Console(writer, Math.Max(natural, Title?.Length ?? 0)).Write(table);
                break;
        }
    }

    /// <summary>A Spectre console on <paramref name="writer"/>; colourless and at least <paramref name="width"/> wide when it is not a terminal.</summary>
    public static IAnsiConsole Console(TextWriter writer, int width = 240)
    {
        var terminal = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!terminal) console.Profile.Width = Math.Max(width, 240);
        return console;
    }

    /// <summary>RFC 4180: a field holding a comma, a double quote or a line break is quoted, its quotes doubled.</summary>
    internal static string Csv(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + cell.Replace("\"", "\"\"") + "\"" : cell;
}

/// <summary>Invariant-culture number formatting for every output format.</summary>
public static class Fmt
{
    public static string Int(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
    public static string Plain(long v) => v.ToString(CultureInfo.InvariantCulture);
    public static string Millions(long v) => (v / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M";
    public static string Percent(double share) => (share * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";
    public static string Num(double v, string format = "0.###") => v.ToString(format, CultureInfo.InvariantCulture);
    public static string Shape(Tensors.Shape s) => string.Join("×", s);

    public static StringBuilder Line(this StringBuilder sb, string text) => sb.Append(text).Append('\n');
}
