using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Quantization;

/// <summary>Writes the quantizers into a float graph: activation FakeQuantize nodes, int8 weight grids, int32-grid biases.</summary>
internal static class QdqGraph
{
    /// <summary>The suffix of a quantized value's name ("stage2.0.conv3" → "stage2.0.conv3_q").</summary>
    public const string Suffix = "_q";

    public static Graph Build(Graph model, IReadOnlyDictionary<string, QuantParams> grids, QuantizeOptions options)
    {
        var taken = model.Nodes.SelectMany(n => n.Outputs).Concat(model.Inputs.Select(i => i.Name)).Concat(model.Initializers.Keys)
            .ToHashSet(StringComparer.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        var nodes = new List<Node>();
        var initializers = new Dictionary<string, Tensor>(model.Initializers, StringComparer.Ordinal);

        string Quantizer(string value)
        {
            var name = Unique(taken, value + Suffix);
            nodes.Add(new Node(name, new FakeQuantizeOp(grids[value]), [value], [name], model.Producer(value)?.Block ?? ""));
            renamed[value] = name;
            return name;
        }

        foreach (var input in model.Inputs.Where(i => grids.ContainsKey(i.Name))) Quantizer(input.Name);
        foreach (var node in model.Nodes)
        {
            var inputs = node.Inputs.Select(i => renamed.GetValueOrDefault(i, i)).ToArray();
            var op = node.Op;
            if (op is Conv2dOp or GemmOp)
            {
                var weights = model.Initializers[node.Inputs[1]];
                var grid = WeightGrid(weights, options);
                var weightName = Unique(taken, node.Inputs[1] + "_int8grid");
                initializers[weightName] = grid.FakeQuantize(weights);
                inputs[1] = weightName;
                op = op is Conv2dOp conv ? conv with { WeightQuant = grid } : ((GemmOp)op) with { WeightQuant = grid };
                if (inputs.Length > 2 && InputGrid(model, grids, node.Inputs[0]) is { } x)
                {
                    var biasName = Unique(taken, node.Inputs[2] + "_int32grid");
                    initializers[biasName] = BiasOnGrid(model.Initializers[node.Inputs[2]], x.Scale[0], grid);
                    inputs[2] = biasName;
                }
            }
            nodes.Add(new Node(node.Name, op, inputs, node.Outputs, node.Block));
            foreach (var output in node.Outputs.Where(grids.ContainsKey)) Quantizer(output);
        }
        var used = nodes.SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
        foreach (var name in initializers.Keys.Where(k => !used.Contains(k)).ToArray()) initializers.Remove(name);
        var metadata = new Dictionary<string, string>(model.Metadata) { ["quantization"] = Describe(options) };
        return model.With(nodes, initializers, metadata: metadata);
    }

    public static string Describe(QuantizeOptions o) =>
        $"post-training static; activations uint8 per tensor ({o.Method.ToString().ToLowerInvariant()}" +
        (o.Method == CalibrationMethod.Percentile ? $" {o.Percentile:G6}" : "") + $"); weights int8 symmetric {(o.PerChannel ? "per channel" : "per tensor")}" +
        (o.ReduceRange ? " 7-bit" : "");

    /// <summary>Symmetric int8 scales: the largest |w| of each output channel (or of the layer) maps to ±127 (±63 with reduce-range).</summary>
    internal static QuantParams WeightGrid(Tensor weights, QuantizeOptions options)
    {
        var top = options.ReduceRange ? 63f : 127f;
        var channels = options.PerChannel ? weights.Shape[0] : 1;
        var per = (int)(weights.Length / channels);
        var scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            float amax = 0;
            foreach (var w in weights.Data.AsSpan(c * per, per))
                if (float.IsFinite(w)) amax = MathF.Max(amax, MathF.Abs(w));
            var s = amax / top;
            // An all-zero channel (a pruned filter) gets any valid scale: its weights are 0 on every grid.
            scales[c] = float.IsNormal(s) ? s : 1f;
        }
        return options.PerChannel ? new QuantParams(scales, new int[channels], QuantType.Int8, axis: 0) : QuantParams.PerTensor(scales[0], 0, QuantType.Int8);
    }

    /// <summary>b rounded to a multiple of x_scale·w_scale[c] (the int32 bias of ONNX's QDQ convention), kept in int32 range.</summary>
    internal static Tensor BiasOnGrid(Tensor bias, float inputScale, QuantParams weights)
    {
        var result = new float[bias.Length];
        for (var c = 0; c < result.Length; c++)
        {
            var step = inputScale * weights.Scale[weights.IsPerTensor ? 0 : c];
            var q = Math.Clamp(Math.Round((double)bias.Data[c] / step, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            result[c] = double.IsNaN(q) ? bias.Data[c] : (float)(q * step);
        }
        return new Tensor(bias.Shape, result);
    }

    /// <summary>The per-tensor grid of a conv/FC input (through views), or null when it is not quantized.</summary>
    private static QuantParams? InputGrid(Graph model, IReadOnlyDictionary<string, QuantParams> grids, string value) =>
        grids.TryGetValue(QuantizationPoints.Source(model, value), out var g) && g.IsPerTensor ? g : null;

    private static string Unique(HashSet<string> taken, string name)
    {
        var candidate = name;
        for (var i = 1; !taken.Add(candidate); i++) candidate = $"{name}_{i}";
        return candidate;
    }
}
