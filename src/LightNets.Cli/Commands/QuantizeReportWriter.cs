using LightNets.Cli.Output;
using LightNets.Quantization;

namespace LightNets.Cli.Commands;

/// <summary><c>quantize --report</c>'s output: a row per quantized activation, then the model's agreement with its float self.</summary>
internal static class QuantizeReportWriter
{
    /// <summary>Layers named as the ones that hurt most.</summary>
    private const int Worst = 5;

    public static void Write(TextWriter stdout, OutputFormat format, string model, QuantizationReport r)
    {
        if (format == OutputFormat.Json)
        {
            Json.Write(stdout, json =>
            {
                json.WriteStartObject();
                json.WriteString("model", model);
                json.WriteNumber("images", r.Images);
                json.WriteNumber("top1_agreement", r.Top1Agreement);
                Number(json, "output_sqnr_db", r.OutputSqnrDb);
                json.WriteStartArray("layers");
                foreach (var l in r.Layers)
                {
                    json.WriteStartObject();
                    json.WriteString("value", l.Value);
                    json.WriteString("layer", l.Layer);
                    json.WriteString("op", l.Operator);
                    json.WriteNumber("scale", l.Grid.Scale[0]);
                    json.WriteNumber("zero_point", l.Grid.ZeroPoint[0]);
                    Number(json, "sqnr_db", l.SqnrDb);
                    json.WriteNumber("clipped", l.ClippedShare);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            });
            return;
        }
        var table = new TextTable($"{model}: quantization noise per layer (float vs int8 on {r.Images:N0} images; errors of earlier layers included)",
            [new Column("layer"), new Column("op"), new Column("scale", true), new Column("zero", true), new Column("SQNR dB", true), new Column("clipped", true)]);
        foreach (var l in r.Layers)
            table.Add(l.Layer, l.Operator, l.Grid.Scale[0].ToString("G4"), Fmt.Plain(l.Grid.ZeroPoint[0]), Db(l.SqnrDb), (l.ClippedShare * 100).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) + "%");
        table.Write(stdout, format);
        if (format == OutputFormat.Csv) return;
        stdout.WriteLine($"output (logits) SQNR {Db(r.OutputSqnrDb)} dB; top-1 agreement with float32 {Fmt.Percent(r.Top1Agreement)} of {r.Images:N0} images");
        // The layers whose own noise is largest: the drop in SQNR from the layer before (the input for the first).
        var drops = r.Layers.Select((l, i) => (l, Drop: (i == 0 ? double.PositiveInfinity : r.Layers[i - 1].SqnrDb) - l.SqnrDb))
            .Where(x => double.IsFinite(x.l.SqnrDb)).OrderBy(x => x.l.SqnrDb).Take(Worst);
        stdout.WriteLine("lowest SQNR: " + string.Join(", ", drops.Select(x => $"{x.l.Layer} ({x.l.Operator}, {Db(x.l.SqnrDb)} dB)")));
    }

    private static string Db(double db) => double.IsPositiveInfinity(db) ? "∞" : db.ToString("0.0");

    private static void Number(System.Text.Json.Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }
}
