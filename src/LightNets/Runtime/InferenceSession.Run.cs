using LightNets.Runtime.Plan;
using LightNets.Tensors;

namespace LightNets.Runtime;

/// <summary>The ways to run a session (see <see cref="InferenceSession"/>).</summary>
public sealed partial class InferenceSession
{
    /// <summary>
    /// Runs a graph with one input and one output on <paramref name="input"/> (NCHW, <see cref="InputShape"/>) into
    /// <paramref name="output"/> (<see cref="OutputShape"/>). Allocates nothing.
    /// </summary>
    /// <exception cref="InputShapeException">A span's length does not match the shape.</exception>
    /// <exception cref="InputNameException">The graph has several inputs.</exception>
    /// <exception cref="OutputNameException">The graph has several outputs.</exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    public void Run(ReadOnlySpan<float> input, Span<float> output) => Run(input, output, null);

    /// <summary>As <see cref="Run(ReadOnlySpan{float}, Span{float})"/>, checking both tensors' shapes.</summary>
    public void Run(Tensor input, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var (x, y) = (InputShape, OutputShape);
        if (input.Shape != x)
            throw new InputShapeException($"input '{_inputNames[0]}' expects {x} but got {input.Shape}");
        if (output.Shape != y)
            throw new InputShapeException($"output '{_outputNames[0]}' is {y} but the tensor given is {output.Shape}");
        Run(input.Data, output.Data);
    }

    /// <summary>Runs a graph with one input and one output and returns a new output tensor (allocates it; use the span overload in loops).</summary>
    public Tensor Run(Tensor input)
    {
        var output = new Tensor(OutputShape);
        Run(input, output);
        return output;
    }

    /// <summary>
    /// Runs on every input bound to <paramref name="binding"/> and copies each bound output into its buffer (outputs
    /// left unbound are computed but not copied). Allocates nothing. Several threads may run the same session at once,
    /// each with its own binding.
    /// </summary>
    /// <exception cref="InputNameException">An input has not been bound.</exception>
    /// <exception cref="ArgumentException">The binding belongs to another session.</exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    public void Run(SessionBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (binding.Session != Live(this))
            throw new ArgumentException("the binding was created by another session: create one with this session's CreateBinding()", nameof(binding));
        binding.CheckInputsBound();
        RunBound(binding.Inputs, binding.Outputs, null);
    }

    /// <summary><see cref="Run(SessionBinding)"/>, reporting each step's elapsed ticks to <paramref name="onStep"/> (profiling).</summary>
    internal void Run(SessionBinding binding, Action<int, long> onStep)
    {
        if (binding.Session != Live(this))
            throw new ArgumentException("the binding was created by another session: create one with this session's CreateBinding()", nameof(binding));
        binding.CheckInputsBound();
        RunBound(binding.Inputs, binding.Outputs, onStep);
    }

    /// <summary>
    /// Runs on <paramref name="inputs"/>, one per graph input in the order of <see cref="Inputs"/> (NCHW, each of its
    /// input's element count), into <paramref name="outputs"/>, one per graph output in the order of
    /// <see cref="Outputs"/>; an empty buffer skips that output. Allocates nothing (collection expressions of spans
    /// live on the stack):
    /// <code>session.Run([image, mask], [logits, features]);</code>
    /// </summary>
    /// <exception cref="InputNameException">Not one input per graph input.</exception>
    /// <exception cref="OutputNameException">Not one buffer per graph output.</exception>
    /// <exception cref="InputShapeException">A buffer's length does not match its shape.</exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    public void Run(ReadOnlySpan<ReadOnlyMemory<float>> inputs, ReadOnlySpan<Memory<float>> outputs)
    {
        var declaredInputs = Live(_inputs);
        if (inputs.Length != declaredInputs.Length)
            throw new InputNameException($"{_graph.Name} has {declaredInputs.Length} inputs ({List(declaredInputs)}) but {inputs.Length} were given");
        if (outputs.Length != _outputs.Length)
            throw new OutputNameException($"{_graph.Name} has {_outputs.Length} outputs ({List(_outputs)}) but {outputs.Length} buffers were given");
        for (var i = 0; i < inputs.Length; i++) CheckInputLength(i, inputs[i].Length);
        for (var i = 0; i < outputs.Length; i++)
        {
            if (!outputs[i].IsEmpty) CheckOutputLength(i, outputs[i].Length);
        }
        RunBound(inputs, outputs, null);
    }

    /// <summary>
    /// Runs on <paramref name="inputs"/> (exactly the graph's inputs, by name) and returns every output by name, in new
    /// tensors: convenient, and it allocates; use a <see cref="SessionBinding"/> in loops. The same contract as
    /// <see cref="ReferenceInterpreter.Run(Graphs.Graph, IReadOnlyDictionary{string, Tensor})"/>.
    /// </summary>
    /// <exception cref="InputNameException">An input is missing or not declared by the graph.</exception>
    /// <exception cref="InputShapeException">An input's shape differs from the declared one.</exception>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        ReferenceInterpreter.ValidateInputs(Live(_graph), inputs);
        var given = _inputs.Select(i => (ReadOnlyMemory<float>)inputs[i.Name].Data).ToArray();
        var results = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var buffers = new Memory<float>[_outputs.Length];
        for (var i = 0; i < _outputs.Length; i++)
        {
            // A name listed twice is one value: copied once.
            if (results.ContainsKey(_outputs[i].Name)) continue;
            var tensor = new Tensor(_outputs[i].Shape);
            results[_outputs[i].Name] = tensor;
            buffers[i] = tensor.Data;
        }
        RunBound(given, buffers, null);
        return results;
    }

    internal unsafe void Run(ReadOnlySpan<float> input, Span<float> output, Action<int, long>? onStep)
    {
        var (x, y) = (InputShape, OutputShape);
        if (input.Length != x.ElementCount)
            throw new InputShapeException($"input '{_inputNames[0]}' needs {x.ElementCount} floats ({x}) but got {input.Length}");
        if (output.Length != y.ElementCount)
            throw new InputShapeException($"output '{_outputNames[0]}' needs {y.ElementCount} floats ({y}) but got {output.Length}");
        var arena = Rent();
        try
        {
            fixed (float* p = input)
            {
                arena.SetInput(0, p);
                Execute(arena, onStep);
                _plan.CopyOut(arena, 0, output); // while the input is pinned: the output may be the input itself
            }
        }
        finally
        {
            Return(arena);
        }
    }

    internal void CheckInputLength(int index, int length)
    {
        var shape = Live(_inputs)[index].Shape;
        if (length != shape.ElementCount)
            throw new InputShapeException($"input '{_inputs[index].Name}' needs {shape.ElementCount} floats ({shape}) but got {length}");
    }

    internal void CheckOutputLength(int index, int length)
    {
        var shape = Live(_outputs)[index].Shape;
        if (length != shape.ElementCount)
            throw new InputShapeException($"output '{_outputs[index].Name}' needs {shape.ElementCount} floats ({shape}) but got {length}");
    }

    /// <summary>Runs on checked buffers: pins the inputs for the run, copies every non-empty output buffer.</summary>
    private unsafe void RunBound(ReadOnlySpan<ReadOnlyMemory<float>> inputs, ReadOnlySpan<Memory<float>> outputs, Action<int, long>? onStep)
    {
        var arena = Rent();
        var pins = arena.Pins;
        try
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                pins[i] = inputs[i].Pin();
                arena.SetInput(i, (float*)pins[i].Pointer);
            }
            Execute(arena, onStep);
            for (var i = 0; i < outputs.Length; i++)
            {
                if (!outputs[i].IsEmpty) _plan.CopyOut(arena, i, outputs[i].Span);
            }
        }
        finally
        {
            for (var i = 0; i < pins.Length; i++)
            {
                pins[i].Dispose();
                pins[i] = default;
            }
            Return(arena);
        }
    }

    private void Execute(Arena arena, Action<int, long>? onStep)
    {
        // One run at a time uses the worker threads; a concurrent run (or any run after Dispose) stays on its own thread.
        var pool = _pool is not null && _pool.TryEnter() ? _pool : null;
        try
        {
            _plan.Execute(arena, pool, onStep);
        }
        finally
        {
            pool?.Exit();
        }
    }

    private Arena Rent() => Live(_arenas).TryTake(out var arena) ? arena : NewArena();

    private void Return(Arena arena)
    {
        if (Volatile.Read(ref _disposed) == 0) _arenas.Add(arena);
    }
}
