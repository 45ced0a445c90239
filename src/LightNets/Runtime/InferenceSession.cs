using System.Collections.Concurrent;
using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Plan;
using LightNets.Runtime.Threading;
using LightNets.Tensors;

namespace LightNets.Runtime;

/// <summary>
/// A graph compiled for the CPU: passes (BatchNorm folded, activations, residual adds and SE scales fused into the
/// convolutions, ShuffleNet's channel split/shuffle/concat turned into index maps), NHWC kernels for the best
/// instruction set, weights packed once, and a memory plan. Immutable and thread-safe: each run rents its own arena,
/// so after the first call a run allocates nothing.
/// <para>
/// A graph may have any number of inputs and outputs (<see cref="Inputs"/>, <see cref="Outputs"/>): an output can be an
/// intermediate value that later nodes also read (features beside logits), a graph input, or a constant, and the same
/// value may be listed twice. A model with one input and one output runs with
/// <see cref="Run(ReadOnlySpan{float}, Span{float})"/>; any model with a <see cref="SessionBinding"/> or
/// <see cref="Run(ReadOnlySpan{ReadOnlyMemory{float}}, ReadOnlySpan{Memory{float}})"/>.
/// </para>
/// <code>
/// using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
/// session.Run(input, output);                                 // one input, one output
///
/// var binding = session.CreateBinding();                      // several: bind once, run many times
/// binding.BindInput("image", image);
/// binding.BindOutput("logits", logits);
/// binding.BindOutput("features", features);
/// session.Run(binding);
/// </code>
/// <para>
/// <see cref="Dispose"/> stops the worker threads (sessions with <see cref="SessionOptions.Threads"/> above 1) and
/// releases the arenas; calling it again does nothing. After it every other member throws
/// <see cref="ObjectDisposedException"/>. A run already under way on another thread when Dispose is called finishes
/// normally (Dispose waits for it to release the worker threads; a run that had not yet claimed them finishes on its
/// own thread); runs that start after Dispose throw.
/// </para>
/// </summary>
public sealed partial class InferenceSession : IDisposable
{
    private readonly ExecutionPlan _plan;
    private readonly WorkerPool? _pool;
    private readonly ConcurrentBag<Arena> _arenas = [];
    private readonly Graph _graph;
    private readonly Value[] _inputs;
    private readonly Value[] _outputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _threads;
    private readonly Isa _isa;
    private int _disposed;

    /// <exception cref="WorkingMemoryException">The graph needs more working memory than <see cref="SessionOptions.MaxArenaBytes"/>.</exception>
    public InferenceSession(Graph graph, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options ??= new SessionOptions();
        _threads = options.EffectiveThreads;
        _isa = options.EffectiveIsa;
        _graph = graph;
        CheckTensorSizes(graph, options.MaxArenaBytes); // before compiling: the compiler indexes within a tensor with ints
        _plan = PlanCompiler.Compile(graph, _isa, _threads, options.Fuse, options.GuardBuffers,
            options.Int8 ? Kernels.Cpu.Int8.Int8Caps.Effective(options.Int8Path ?? Kernels.Cpu.Int8.Int8Caps.Best) : null, options.Int8Path is not null,
            options.Bands);
        CheckWorkingMemory(graph, _plan.ArenaFloats, options.MaxArenaBytes);
        _inputs = _plan.Inputs.Select(i => new Value(i.Name, i.Shape)).ToArray();
        _outputs = _plan.Outputs.Select(o => new Value(o.Name, o.Shape)).ToArray();
        _inputNames = _inputs.Select(i => i.Name).ToArray();
        _outputNames = _outputs.Select(o => o.Name).ToArray();
        _pool = _threads > 1 ? new WorkerPool(_threads) : null;
        _arenas.Add(NewArena()); // allocated and touched now, not in the first run
    }

    /// <summary>
    /// Refuses a graph with a single intermediate tensor above the limit (the arena would be larger still), before
    /// compiling it. The inputs are the caller's memory, not the arena's.
    /// </summary>
    private static void CheckTensorSizes(Graph graph, long maxBytes)
    {
        if (maxBytes < 1) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "SessionOptions.MaxArenaBytes must be positive");
        foreach (var value in graph.Nodes.SelectMany(n => n.Outputs))
        {
            long floats;
            try { floats = graph.ShapeOf(value).ElementCount; }
            catch (OverflowException) { floats = long.MaxValue / sizeof(float); }
            if (floats > Limit(maxBytes) / sizeof(float))
                throw Refusal(graph, $"its tensor '{value}' ({graph.ShapeOf(value)}) alone needs {Bytes(floats * sizeof(float))}", maxBytes);
        }
    }

    /// <summary>Refuses, before allocating it, an arena above the caller's limit or above what one array can hold.</summary>
    private static void CheckWorkingMemory(Graph graph, long floats, long maxBytes)
    {
        var bytes = (floats + Arena.AlignmentFloats) * sizeof(float);
        if (floats < 0 || bytes > Limit(maxBytes)) throw Refusal(graph, $"it needs {Bytes(bytes)} of working memory", maxBytes);
    }

    private static long Limit(long maxBytes) => Math.Min(maxBytes, Arena.MaxFloats * sizeof(float));

    private static WorkingMemoryException Refusal(Graph graph, string need, long maxBytes) => new(
        $"{graph.Name}: at {InputsText(graph)} {need}, more than the session's limit of {Bytes(Limit(maxBytes))} of working memory "
        + "(SessionOptions.MaxArenaBytes, at most one array's 8 GiB): lower the batch or the input size, or raise the limit");

    private static string InputsText(Graph graph) => graph.Inputs.Count == 1
        ? $"input {graph.Inputs[0].Shape}"
        : $"inputs {string.Join(", ", graph.Inputs.Select(i => $"'{i.Name}' {i.Shape}"))}";

    private static string Bytes(long b) => b >= 1L << 30 ? $"{b / (double)(1L << 30):0.##} GiB" : $"{b / (double)(1L << 20):0.##} MiB";

    /// <summary>The graph as given (before the compiler's passes).</summary>
    public Graph Graph => Live(_graph);

    public int Threads => Live(_threads);
    public Isa Isa => Live(_isa);

    /// <summary>The graph inputs in declared order, with their shapes (NCHW; every dimension fixed, the batch included).</summary>
    public IReadOnlyList<Value> Inputs => Live(_inputs);

    /// <summary>The graph outputs in declared order, with their shapes; a value the graph lists twice appears twice.</summary>
    public IReadOnlyList<Value> Outputs => Live(_outputs);

    public IReadOnlyList<string> InputNames => Live(_inputNames);
    public IReadOnlyList<string> OutputNames => Live(_outputNames);

    /// <summary>Position of input <paramref name="name"/> in <see cref="Inputs"/>.</summary>
    /// <exception cref="InputNameException">The graph has no input of that name (the message lists them).</exception>
    public int InputIndex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var i = Array.IndexOf(Live(_inputNames), name);
        return i >= 0 ? i : throw new InputNameException($"{_graph.Name} has no input '{name}'; its inputs are {List(_inputs)}");
    }

    /// <summary>Position of output <paramref name="name"/> in <see cref="Outputs"/> (the first, if the graph lists it twice).</summary>
    /// <exception cref="OutputNameException">The graph has no output of that name (the message lists them).</exception>
    public int OutputIndex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var i = Array.IndexOf(Live(_outputNames), name);
        return i >= 0 ? i : throw new OutputNameException($"{_graph.Name} has no output '{name}'; its outputs are {List(_outputs)}");
    }

    /// <summary>The shape of input <paramref name="name"/>.</summary>
    /// <exception cref="InputNameException">No input of that name.</exception>
    public Shape InputShapeOf(string name) => _inputs[InputIndex(name)].Shape;

    /// <summary>The shape of output <paramref name="name"/>.</summary>
    /// <exception cref="OutputNameException">No output of that name.</exception>
    public Shape OutputShapeOf(string name) => _outputs[OutputIndex(name)].Shape;

    /// <summary>The shape of the graph's only input.</summary>
    /// <exception cref="InputNameException">The graph has several inputs: use <see cref="Inputs"/> or <see cref="InputShapeOf"/>.</exception>
    public Shape InputShape => Single(Live(_inputs), "input").Shape;

    /// <summary>The shape of the graph's only output.</summary>
    /// <exception cref="OutputNameException">The graph has several outputs: use <see cref="Outputs"/> or <see cref="OutputShapeOf"/>.</exception>
    public Shape OutputShape => Single(Live(_outputs), "output").Shape;

    /// <summary>Bytes of one run's arena (all activations and scratch, after liveness packing).</summary>
    public long ArenaBytes => Live(_plan).ArenaBytes;

    /// <summary>Number of kernel steps after fusion.</summary>
    public int StepCount => Live(_plan).Steps.Count;

    /// <summary>Why the runtime layout is what it is.</summary>
    public string Layout => Live(_plan).Layout;

    internal ExecutionPlan Plan => Live(_plan);

    /// <summary>
    /// A new, empty binding for this session's inputs and outputs (it allocates once; runs with it allocate nothing).
    /// See <see cref="SessionBinding"/>.
    /// </summary>
    public SessionBinding CreateBinding() => new(Live(this));

    /// <summary>
    /// Stops the worker threads and releases the arenas; a second call does nothing. See the class remarks for runs on
    /// other threads at the time.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_pool is not null)
        {
            // Wait until no run holds the workers, then keep them: a run that starts later finds the pool taken and
            // stays on its own thread, so no run ever hands work to a stopped pool.
            var spin = new SpinWait();
            while (!_pool.TryEnter()) spin.SpinOnce();
            _pool.Dispose();
        }
        _arenas.Clear();
    }

    private T Live<T>(T value)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return value;
    }

    private Value Single(Value[] values, string kind)
    {
        if (values.Length == 1) return values[0];
        var message = $"{_graph.Name} has {values.Length} {kind}s ({List(values)}), where a model with one {kind} is needed "
            + "(InferenceSession runs several with CreateBinding() or Run(inputs, outputs))";
        throw kind == "input" ? new InputNameException(message) : new OutputNameException(message);
    }

    private static string List(IEnumerable<Value> values) => string.Join(", ", values.Select(v => $"'{v.Name}' [{v.Shape}]"));

    private Arena NewArena() => new(_plan.ArenaFloats, _plan.Inputs.Count);
}
