using LightNets.Tensors;

namespace LightNets.Runtime;

/// <summary>
/// The caller's memory for one <see cref="InferenceSession"/>'s inputs and outputs, bound once by name (or position)
/// and reused by every <see cref="InferenceSession.Run(SessionBinding)"/>, which allocates nothing. Inputs are read in
/// place (NCHW, each its input's element count); each bound output is overwritten with its values (NCHW). An output
/// left unbound is computed but not copied; every input must be bound before a run.
/// <code>
/// var binding = session.CreateBinding();
/// var logits = new Tensor(session.OutputShapeOf("logits"));
/// binding.BindInput("image", image);          // a Tensor, float[], or any Memory&lt;float&gt;
/// binding.BindOutput("logits", logits);
/// binding.BindOutput("features", features);   // float[] of features' element count
/// for (...) { fill image; session.Run(binding); read logits, features; }
/// </code>
/// Binding checks names and sizes right away. A binding is not meant to be changed while a run uses it: give each
/// thread that runs the session its own.
/// </summary>
public sealed class SessionBinding
{
    private readonly ReadOnlyMemory<float>[] _inputs;
    private readonly Memory<float>[] _outputs;

    internal SessionBinding(InferenceSession session)
    {
        Session = session;
        _inputs = new ReadOnlyMemory<float>[session.Inputs.Count];
        _outputs = new Memory<float>[session.Outputs.Count];
    }

    /// <summary>The session this binding was created by, the only one it runs with.</summary>
    public InferenceSession Session { get; }

    internal ReadOnlySpan<ReadOnlyMemory<float>> Inputs => _inputs;
    internal ReadOnlySpan<Memory<float>> Outputs => _outputs;

    /// <summary>Reads input <paramref name="name"/> from <paramref name="data"/> on every run.</summary>
    /// <exception cref="InputNameException">The graph has no input of that name.</exception>
    /// <exception cref="InputShapeException"><paramref name="data"/> is not the input's element count.</exception>
    public void BindInput(string name, ReadOnlyMemory<float> data) => BindInput(Session.InputIndex(name), data);

    /// <summary>Reads input <paramref name="index"/> (position in <see cref="InferenceSession.Inputs"/>) from <paramref name="data"/>.</summary>
    public void BindInput(int index, ReadOnlyMemory<float> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _inputs.Length);
        Session.CheckInputLength(index, data.Length);
        _inputs[index] = data;
    }

    /// <summary>Reads input <paramref name="name"/> from <paramref name="tensor"/>, whose shape must be the input's.</summary>
    /// <exception cref="InputShapeException">The tensor's shape differs from the input's.</exception>
    public void BindInput(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = Session.InputShapeOf(name);
        if (tensor.Shape != shape) throw new InputShapeException($"input '{name}' expects {shape} but the tensor given is {tensor.Shape}");
        BindInput(name, tensor.Data);
    }

    /// <summary>Copies output <paramref name="name"/> into <paramref name="buffer"/> after every run (every position, if the graph lists it twice).</summary>
    /// <exception cref="OutputNameException">The graph has no output of that name.</exception>
    /// <exception cref="InputShapeException"><paramref name="buffer"/> is not the output's element count.</exception>
    public void BindOutput(string name, Memory<float> buffer)
    {
        var first = Session.OutputIndex(name);
        for (var i = first; i < _outputs.Length; i++)
        {
            if (Session.OutputNames[i] == name) BindOutput(i, buffer);
        }
    }

    /// <summary>Copies output <paramref name="index"/> (position in <see cref="InferenceSession.Outputs"/>) into <paramref name="buffer"/>.</summary>
    public void BindOutput(int index, Memory<float> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _outputs.Length);
        Session.CheckOutputLength(index, buffer.Length);
        _outputs[index] = buffer;
    }

    /// <summary>Copies output <paramref name="name"/> into <paramref name="tensor"/>, whose shape must be the output's.</summary>
    /// <exception cref="InputShapeException">The tensor's shape differs from the output's.</exception>
    public void BindOutput(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = Session.OutputShapeOf(name);
        if (tensor.Shape != shape) throw new InputShapeException($"output '{name}' is {shape} but the tensor given is {tensor.Shape}");
        BindOutput(name, tensor.Data);
    }

    internal void CheckInputsBound()
    {
        for (var i = 0; i < _inputs.Length; i++)
        {
            // Every input has at least one element, so an empty binding is a missing one.
            if (_inputs[i].IsEmpty)
                throw new InputNameException($"input '{Session.InputNames[i]}' [{Session.Inputs[i].Shape}] is not bound: call BindInput first");
        }
    }
}
