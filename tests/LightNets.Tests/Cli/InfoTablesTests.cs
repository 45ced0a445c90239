using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LightNets.Tests.Cli;

/// <summary><c>info</c> as CSV: one table per stream or file, plain numbers, a header row, RFC 4180 quoting; read back by a strict parser.</summary>
public sealed class InfoTablesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lightnets-info-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("layer")]
    [InlineData("block")]
    [InlineData("node")]
    public void The_csv_is_one_table_of_plain_numbers_that_add_up_to_the_totals(string by)
    {
        var r = CliRunner.Run("info", "shufflenetv1_g3_100", "--format", "csv", "--by", by);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = Csv.Parse(r.Stdout);
        var header = rows[0];
        Assert.Equal(["params", "macs", "mac", "share"], header[^4..]);
        Assert.All(rows, row => Assert.Equal(header.Length, row.Length)); // one table: every row has the header's columns
        var body = rows.Skip(1).ToArray();
        long Sum(string column) => body.Sum(row => long.Parse(row[Array.IndexOf(header, column)], NumberStyles.None, CultureInfo.InvariantCulture));
        var totals = JsonDocument.Parse(CliRunner.Run("info", "shufflenetv1_g3_100", "--format", "json").Stdout).RootElement;
        Assert.Equal(totals.GetProperty("macs").GetInt64(), Sum("macs"));
        if (by != "layer") Assert.Equal(totals.GetProperty("params").GetInt64(), Sum("params")); // the layer view leaves out nothing but parameter-free ops
        var shares = body.Select(row => double.Parse(row[^1], NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        Assert.All(shares, s => Assert.InRange(s, 0, 1));
        Assert.Equal(1.0, shares.Sum(), 6);
        Assert.DoesNotContain("%", r.Stdout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Each_table_by_name_and_the_totals_use_the_json_names(bool allOps)
    {
        string[] mode = allOps ? ["--all-ops"] : [];
        var totals = Csv.Parse(CliRunner.Run(["info", "mobilenet_v2", "--format", "csv", "--table", "totals", .. mode]).Stdout);
        Assert.Equal(["quantity", "value", "convention"], totals[0]);
        var values = totals.Skip(1).ToDictionary(row => row[0], row => long.Parse(row[1], NumberStyles.None, CultureInfo.InvariantCulture));
        var json = JsonDocument.Parse(CliRunner.Run(["info", "mobilenet_v2", "--format", "json", .. mode]).Stdout).RootElement;
        foreach (var (key, value) in values) Assert.Equal(json.GetProperty(key).GetInt64(), value);
        Assert.Equal(["params", "params_no_bn", "params_folded", "params_keras", "macs", "macs_without_classifier", "flops_2x", "mac", "mac_all_ops"], values.Keys);
        Assert.True(values["mac"] < values["mac_all_ops"]);

        var published = Csv.Parse(CliRunner.Run("info", "mobilenetv1_100", "--format", "csv", "--table", "published").Stdout);
        Assert.Equal("source", published[0][0]);
        var p6 = published.Single(row => row[0] == "P-MN1 Table 8");
        Assert.Equal("569", p6[1]);
        Assert.Equal("true", p6[2]);
    }

    [Fact]
    public void Out_writes_each_table_to_its_own_file()
    {
        var out1 = Path.Combine(_dir, "tables");
        var r = CliRunner.Run("info", "shufflenetv2_100", "--layout", "paper", "--out", out1, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        JsonDocument.Parse(r.Stdout).Dispose(); // stdout keeps its own format
        Assert.Contains($"info: wrote {Path.Combine(out1, "layers.csv")}, {Path.Combine(out1, "totals.csv")}, {Path.Combine(out1, "published.csv")}", r.Stderr);
        Assert.Equal("index", Csv.Parse(File.ReadAllText(Path.Combine(out1, "layers.csv")))[0][0]);
        Assert.Equal("quantity", Csv.Parse(File.ReadAllText(Path.Combine(out1, "totals.csv")))[0][0]);
        var published = Csv.Parse(File.ReadAllText(Path.Combine(out1, "published.csv")));
        Assert.True(published.Count > 1);
        Assert.All(published.Skip(1), row => Assert.Equal(published[0].Length, row.Length));
    }

    [Theory]
    [InlineData("--format csv --table all", "a CSV holds one table")]
    [InlineData("--format json --table layers", "--format json holds every table in one object")]
    public void Incompatible_choices_are_one_line(string args, string message)
    {
        var r = CliRunner.Run(["info", "mobilenet_v2", .. args.Split(' ')]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Markdown_and_table_show_every_table_by_default_and_one_when_asked()
    {
        var all = CliRunner.Run("info", "mobilenetv1_100", "--format", "markdown").Stdout;
        Assert.Contains("**Totals**", all);
        Assert.Contains("**Published figures", all);
        var one = CliRunner.Run("info", "mobilenetv1_100", "--format", "markdown", "--table", "totals").Stdout;
        Assert.Contains("**Totals**", one);
        Assert.DoesNotContain("**Published figures", one);
        Assert.DoesNotContain("conv 3×3/2", one);
    }

    [Fact]
    public void Cells_are_quoted_as_rfc_4180_says()
    {
        Assert.Equal("plain", LightNets.Cli.Output.TextTable.Csv("plain"));
        Assert.Equal("\"a,b\"", LightNets.Cli.Output.TextTable.Csv("a,b"));
        Assert.Equal("\"say \"\"hi\"\"\"", LightNets.Cli.Output.TextTable.Csv("say \"hi\""));
        Assert.Equal("\"two\nlines\"", LightNets.Cli.Output.TextTable.Csv("two\nlines"));
        Assert.Equal("\"carriage\rreturn\"", LightNets.Cli.Output.TextTable.Csv("carriage\rreturn"));
        var t = new LightNets.Cli.Output.TextTable(null, [new("a"), new("b")]);
        t.Add("x,\"y\"", "line\r\nbreak");
        var w = new StringWriter();
        t.Write(w, LightNets.Cli.Output.OutputFormat.Csv);
        Assert.Equal([["a", "b"], ["x,\"y\"", "line\r\nbreak"]], Csv.Parse(w.ToString()));
    }

    /// <summary>A strict RFC 4180 reader: quoted fields with doubled quotes; a bare quote inside an unquoted field is an error.</summary>
    private static class Csv
    {
        public static List<string[]> Parse(string text)
        {
            var rows = new List<string[]>();
            var row = new List<string>();
            var field = new StringBuilder();
            var i = 0;
            while (i < text.Length)
            {
                if (text[i] == '"')
                {
                    Assert.Equal(0, field.Length);
                    i++;
                    while (true)
                    {
                        Assert.True(i < text.Length, "unterminated quoted field");
                        if (text[i] == '"')
                        {
                            if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                            i++;
                            break;
                        }
                        field.Append(text[i++]);
                    }
                    Assert.True(i == text.Length || text[i] is ',' or '\n' or '\r', $"text after a closing quote at {i}");
                    continue;
                }
                switch (text[i])
                {
                    case ',':
                        row.Add(field.ToString());
                        field.Clear();
                        i++;
                        break;
                    case '\r' or '\n':
                        row.Add(field.ToString());
                        field.Clear();
                        rows.Add([.. row]);
                        row.Clear();
                        i += text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                        break;
                    default:
                        Assert.NotEqual('"', text[i]);
                        field.Append(text[i++]);
                        break;
                }
            }
            if (field.Length > 0 || row.Count > 0)
            {
                row.Add(field.ToString());
                rows.Add([.. row]);
            }
            return rows;
        }
    }
}
