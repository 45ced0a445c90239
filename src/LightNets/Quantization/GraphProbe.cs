using LightNets.Graphs;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Quantization;

/// <summary>
/// Runs a graph on the compiled runtime with some inner values as extra outputs, one session per batch size (a data
/// set's last batch may be smaller), for calibration and the quantization report.
/// </summary>
internal sealed class GraphProbe(Graph graph, IReadOnlyList<string> values, int threads) : IDisposable
{
    private readonly Dictionary<int, InferenceSession> _sessions = [];
    private readonly Graph _probed = graph.With(outputs: graph.Outputs.Concat(values.Where(v => !graph.Outputs.Contains(v) && graph.Inputs.All(i => i.Name != v))).Distinct());

    /// <summary>Every output of the graph and every probed value for one batch (graph inputs are given back as they came).</summary>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var input = _probed.Input;
        if (batch.Shape.Rank != input.Shape.Rank || !batch.Shape.ToArray().AsSpan(1).SequenceEqual(input.Shape.ToArray().AsSpan(1)))
            throw new QuantizationException($"calibration images of shape [{batch.Shape}] do not fit the model's input '{input.Name}' [{input.Shape}]");
        var n = batch.Shape[0];
        if (!_sessions.TryGetValue(n, out var session))
            _sessions[n] = session = new InferenceSession(_probed.WithBatch(n), new SessionOptions { Threads = threads });
        var results = new Dictionary<string, Tensor>(session.Run(new Dictionary<string, Tensor> { [input.Name] = batch }), StringComparer.Ordinal)
        {
            [input.Name] = batch,
        };
        return results;
    }

    public void Dispose()
    {
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
