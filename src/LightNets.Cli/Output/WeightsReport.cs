using LightNets.Cost;
using LightNets.Models;
using LightNets.Weights;
using LightNets.Weights.Mapping;

namespace LightNets.Cli.Output;

/// <summary><c>lightnets weights inspect</c>'s output: the file's tensors, then the zoo configurations it fits.</summary>
internal static class WeightsReport
{
    /// <summary>A configuration the file fits, with its parameter count (C1, as `lightnets models` counts).</summary>
    public sealed record Fit(CheckpointFit Configuration, string Command, long Params);

    public static IReadOnlyList<Fit> Fits(CheckpointTensors file) => CheckpointFits.Find(file)
        .Select(f => new Fit(f, CheckpointLoader.Command(f), CostReport.Analyze(ModelZoo.Build(f.Naming.Family, f.Options)).Params))
        .ToArray();

    /// <summary>"PyTorch checkpoint (zip)": the container in words.</summary>
    public static string Format(WeightFormat format) => format switch
    {
        WeightFormat.PyTorchZip => "PyTorch checkpoint (zip)",
        WeightFormat.PyTorchLegacy => "PyTorch checkpoint (legacy format)",
        WeightFormat.SafeTensors => "safetensors",
        _ => format.ToString(),
    };

    public static void Write(TextWriter stdout, OutputFormat format, StateDict dict, CheckpointTensors file, IReadOnlyList<Fit> fits)
    {
        if (format == OutputFormat.Json)
        {
            WriteJson(stdout, dict, file, fits);
            return;
        }
        var counters = file.Names.Count(CheckpointTensors.IsIgnored);
        var where = (dict.Prefix is { } saved ? $", under '{saved}'" : "") + (file.StrippedPrefix is { } prefix ? $", keys without nn.DataParallel's '{prefix}'" : "");
        // CSV holds the tables alone; the other formats say first what the file is (a line, not a table title, which a
        // console table would wrap to its own width).
        var prose = format != OutputFormat.Csv;
        if (prose)
        {
            stdout.WriteLine($"{dict.SourceName}: {Format(dict.Format)}, {dict.Count} tensors ({counters} BatchNorm counters), {Fmt.Int(dict.Sum(t => t.Bytes))} bytes{where}");
            foreach (var (key, value) in dict.Metadata) stdout.WriteLine($"metadata: {key} = {value}");
        }
        var tensors = new TextTable(null, [new("name"), new("dtype"), new("shape"), new("bytes", true)]);
        foreach (var t in dict) tensors.Add(t.Name, t.DType, CheckpointTensors.Format(t.Shape), Fmt.Int(t.Bytes));
        tensors.Write(stdout, format);
        stdout.WriteLine();

        if (fits.Count == 0)
        {
            stdout.WriteLine($"fits no zoo configuration: {CheckpointFits.WhyNone(file)}");
            return;
        }
        if (prose) stdout.WriteLine($"{dict.SourceName} fits:");
        var table = new TextTable(null, [new("model"), new("source"), new("configuration"), new("params", true)]);
        foreach (var f in fits) table.Add(f.Command, f.Configuration.Naming.Name, f.Configuration.Description, Fmt.Int(f.Params));
        table.Write(stdout, format);
        if (prose)
            stdout.WriteLine($"use: lightnets classify {fits[0].Command} --weights {dict.SourceName} IMAGE (also run, bench, evaluate, train --from; weights convert writes ONNX)");
    }

    private static void WriteJson(TextWriter stdout, StateDict dict, CheckpointTensors file, IReadOnlyList<Fit> fits) => Json.Write(stdout, json =>
    {
        json.WriteStartObject();
        json.WriteString("file", dict.SourceName);
        json.WriteString("format", dict.Format.ToString());
        json.WriteString("prefix", dict.Prefix);
        json.WriteString("stripped_prefix", file.StrippedPrefix);
        json.WriteStartObject("metadata");
        foreach (var (key, value) in dict.Metadata) json.WriteString(key, value);
        json.WriteEndObject();
        json.WriteStartArray("tensors");
        foreach (var t in dict)
        {
            json.WriteStartObject();
            json.WriteString("name", t.Name);
            json.WriteString("dtype", t.DType);
            json.WriteStartArray("shape");
            foreach (var d in t.Shape) json.WriteNumberValue(d);
            json.WriteEndArray();
            json.WriteNumber("bytes", t.Bytes);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("fits");
        foreach (var f in fits)
        {
            var o = f.Configuration.Options;
            json.WriteStartObject();
            json.WriteString("model", f.Configuration.Model);
            json.WriteString("command", f.Command);
            json.WriteString("source", f.Configuration.Naming.Source.ToString().ToLowerInvariant());
            json.WriteString("family", f.Configuration.Naming.Family.ToString());
            json.WriteString("configuration", f.Configuration.Description);
            json.WriteNumber("width", o.Width!.Value);
            json.WriteNumber("classes", o.Classes!.Value);
            json.WriteNumber("input_channels", o.InputChannels!.Value);
            json.WriteNumber("params", f.Params);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (fits.Count == 0) json.WriteString("why_none", CheckpointFits.WhyNone(file));
        json.WriteEndObject();
    });
}
