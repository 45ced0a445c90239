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
/// instruction set, weights packed once, and a memory plan. Immutable and thread-safe: each <see cref="Run(ReadOnlySpan{float}, Span{float})"/>
/// rents its own arena, so after the first call a run allocates nothing.
/// <code>
/// using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
/// session.Run(input, output);
/// </code>
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly ExecutionPlan _plan;
    private readonly WorkerPool? _pool;
    private readonly ConcurrentBag<Arena> _arenas = [];

    public InferenceSession(Graph graph, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options ??= new SessionOptions();
        Threads = options.EffectiveThreads;
        Isa = options.EffectiveIsa;
        Graph = graph;
        CheckTensorSizes(graph, options.MaxArenaBytes); // before compiling: the compiler indexes within a tensor with ints
        _plan = PlanCompiler.Compile(graph, Isa, Threads, options.Fuse, options.GuardBuffers);
        CheckWorkingMemory(graph, _plan.ArenaFloats, options.MaxArenaBytes);
        _pool = Threads > 1 ? new WorkerPool(Threads) : null;
        _arenas.Add(new Arena(_plan.ArenaFloats)); // allocated and touched now, not in the first run
    }

    /// <summary>
    /// Refuses a graph with a single intermediate tensor above the limit (the arena would be larger still), before
    /// compiling it. The input is the caller's memory, not the arena's.
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
        $"{graph.Name}: at input {graph.Input.Shape} {need}, more than the session's limit of {Bytes(Limit(maxBytes))} of working memory "
        + "(SessionOptions.MaxArenaBytes, at most one array's 8 GiB): lower the batch or the input size, or raise the limit");

    private static string Bytes(long b) => b >= 1L << 30 ? $"{b / (double)(1L << 30):0.##} GiB" : $"{b / (double)(1L << 20):0.##} MiB";

    public Graph Graph { get; }
    public int Threads { get; }
    public Isa Isa { get; }
    public Shape InputShape => _plan.InputShape;
    public Shape OutputShape => _plan.OutputShape;

    /// <summary>Bytes of one run's arena (all activations and scratch, after liveness packing).</summary>
    public long ArenaBytes => _plan.ArenaBytes;

    /// <summary>Number of kernel steps after fusion.</summary>
    public int StepCount => _plan.Steps.Count;

    /// <summary>Why the runtime layout is what it is.</summary>
    public string Layout => _plan.Layout;

    internal ExecutionPlan Plan => _plan;

    /// <summary>Runs the graph on <paramref name="input"/> (NCHW, <see cref="InputShape"/>) into <paramref name="output"/> (<see cref="OutputShape"/>).</summary>
    /// <exception cref="InputShapeException">A span's length does not match the shape.</exception>
    public void Run(ReadOnlySpan<float> input, Span<float> output) => Run(input, output, null);

    public void Run(Tensor input, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (input.Shape != InputShape)
            throw new InputShapeException($"input '{Graph.Input.Name}' expects {InputShape} but got {input.Shape}");
        if (output.Shape != OutputShape)
            throw new InputShapeException($"output '{Graph.Output}' is {OutputShape} but the tensor given is {output.Shape}");
        Run(input.Data, output.Data);
    }

    /// <summary>Runs and returns a new output tensor (allocates it; use the span overload in loops).</summary>
    public Tensor Run(Tensor input)
    {
        var output = new Tensor(OutputShape);
        Run(input, output);
        return output;
    }

    internal unsafe void Run(ReadOnlySpan<float> input, Span<float> output, Action<int, long>? onStep)
    {
        if (input.Length != InputShape.ElementCount)
            throw new InputShapeException($"input '{Graph.Input.Name}' needs {InputShape.ElementCount} floats ({InputShape}) but got {input.Length}");
        if (output.Length != OutputShape.ElementCount)
            throw new InputShapeException($"output needs {OutputShape.ElementCount} floats ({OutputShape}) but got {output.Length}");
        if (!_arenas.TryTake(out var arena)) arena = new Arena(_plan.ArenaFloats);
        var pool = _pool is not null && _pool.TryEnter() ? _pool : null;
        try
        {
            fixed (float* x = input)
            {
                _plan.Execute(x, arena, pool, onStep);
            }
            CopyOut(arena, output);
        }
        finally
        {
            pool?.Exit();
            _arenas.Add(arena);
        }
    }

    /// <summary>The output view, read in the caller's order (N, C, H, W).</summary>
    private unsafe void CopyOut(Arena arena, Span<float> output)
    {
        var v = _plan.Output;
        var src = arena.Pointer + v.Slot.Offset + v.ChannelOffset;
        var i = 0;
        for (var n = 0; n < v.Batch; n++)
            for (var c = 0; c < v.Channels; c++)
                for (var y = 0; y < v.Height; y++)
                    for (var x = 0; x < v.Width; x++)
                        output[i++] = src[n * v.BatchStride + y * v.RowStride + (long)x * v.PixelStride + (long)v.Physical(c) * v.ChannelStride];
    }

    public void Dispose() => _pool?.Dispose();
}
