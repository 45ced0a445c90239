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
        _plan = PlanCompiler.Compile(graph, Isa, Threads, options.Fuse, options.GuardBuffers);
        _pool = Threads > 1 ? new WorkerPool(Threads) : null;
        _arenas.Add(new Arena(_plan.ArenaFloats)); // allocated and touched now, not in the first run
    }

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
