using System.CommandLine;
using LightNets.Cli.Output;
using LightNets.Cost;
using LightNets.Models;

namespace LightNets.Cli.Commands;

/// <summary><c>lightnets models</c>: every registered configuration with its params, MACs and memory access cost.</summary>
internal static class ModelsCommand
{
    public static Command Create(TextWriter stdout)
    {
        var format = FormatOption.Create(OutputFormat.Table, OutputFormat.Csv, OutputFormat.Json, OutputFormat.Markdown);
        var command = new Command("models", "List the zoo: every registered configuration with params, MACs and memory access cost (MAC).")
        {
            format,
        };
        command.SetAction(p =>
        {
            Write(stdout, format.Get(p));
            return 0;
        });
        return command;
    }

    private sealed record Row(ZooConfiguration Config, CostReport Cost);

    private static void Write(TextWriter stdout, OutputFormat format)
    {
        var rows = ModelZoo.Configurations
            .Select(c => new Row(c, CostReport.Analyze(ModelZoo.Build(c.Entry.Family, c.Options))))
            .ToArray();

        if (format == OutputFormat.Json)
        {
            Json.Write(stdout, json =>
            {
                json.WriteStartArray();
                foreach (var r in rows)
                {
                    json.WriteStartObject();
                    json.WriteString("model", r.Config.Entry.Name);
                    json.WriteString("family", r.Config.Entry.Family.ToString());
                    json.WriteString("configuration", r.Config.Options.Describe(r.Config.Entry.Family));
                    json.WriteNumber("resolution", r.Config.Options.Resolution ?? 224);
                    json.WriteNumber("params", r.Cost.Params);
                    json.WriteNumber("params_no_bn", r.Cost.ParamsNoBatchNorm);
                    json.WriteNumber("params_folded", r.Cost.ParamsFolded);
                    json.WriteNumber("macs", r.Cost.Macs);
                    json.WriteNumber("macs_without_classifier", r.Cost.MacsWithoutClassifier);
                    json.WriteNumber("mac", r.Cost.MemoryAccess);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            });
            return;
        }

        var machine = format == OutputFormat.Csv;
        var table = new TextTable(machine ? null : $"LightNets zoo: {rows.Length} configurations (batch 1, 1000 classes)",
        [
            new("model"), new("family"), new("configuration"), new("resolution", true), new("params", true), new("params no-BN", true),
            new("params folded", true), new("MACs", true), new("MACs w/o FC", true), new("MAC", true),
        ]);
        Func<long, string> n = machine ? Fmt.Plain : Fmt.Int;
        foreach (var r in rows)
        {
            table.Add(r.Config.Entry.Name, r.Config.Entry.Family.ToString(), r.Config.Options.Describe(r.Config.Entry.Family), (r.Config.Options.Resolution ?? 224).ToString(),
                n(r.Cost.Params), n(r.Cost.ParamsNoBatchNorm), n(r.Cost.ParamsFolded), n(r.Cost.Macs), n(r.Cost.MacsWithoutClassifier),
                n(r.Cost.MemoryAccess));
        }
        table.Write(stdout, format);
    }
}
