using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;
using LightNets.Tensors;

namespace LightNets.Runtime.Plan;

/// <summary>
/// A compiled model: steps bound to arena offsets, the arena size, and where each graph input is read from and each
/// graph output is found. Immutable; each run brings its own <see cref="Arena"/>, whose input table holds the addresses
/// of that run's inputs.
/// </summary>
internal sealed class ExecutionPlan(
    IReadOnlyList<Step> steps, long arenaFloats, PlanInput[] inputs, PlanOutput[] outputs, Isa isa, BufferGuard[]? guards, string layout)
{
    public IReadOnlyList<Step> Steps { get; } = steps;
    public long ArenaFloats { get; } = arenaFloats;

    /// <summary>The graph inputs in declared order: input k is read in place from the run's input address k (NCHW).</summary>
    public IReadOnlyList<PlanInput> Inputs { get; } = inputs;

    /// <summary>The graph outputs in declared order (a value may be listed twice).</summary>
    public IReadOnlyList<PlanOutput> Outputs { get; } = outputs;

    public Isa Isa { get; } = isa;

    /// <summary>Why the runtime layout is what it is (for reports).</summary>
    public string Layout { get; } = layout;

    public long ArenaBytes => ArenaFloats * sizeof(float);

    /// <summary>
    /// Runs every step on the inputs whose addresses are in <paramref name="arena"/>'s input table;
    /// <paramref name="onStep"/> (profiling) is called with each step's elapsed ticks.
    /// </summary>
    public unsafe void Execute(Arena arena, WorkerPool? pool, Action<int, long>? onStep = null)
    {
        var ctx = arena.Context(Isa);
        var runner = arena.Runner;
        for (var i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            if (guards is not null) ArmGuards(arena.Pointer, i);
            var start = onStep is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            var parts = pool is null ? 1 : step.Parts(pool.Threads);
            if (parts > 1)
            {
                runner.Set(step, ctx);
                pool!.Run(runner, parts);
            }
            else
            {
                step.Run(ctx, 0, 1);
            }
            onStep?.Invoke(i, System.Diagnostics.Stopwatch.GetTimestamp() - start);
            if (guards is not null) CheckGuards(arena.Pointer, i);
        }
    }

    /// <summary>
    /// Copies output <paramref name="index"/> of the run that just executed in <paramref name="arena"/> into
    /// <paramref name="destination"/> in NCHW order (its view may be NHWC, strided, channel-mapped, or one of the
    /// inputs; a constant output is copied from the plan).
    /// </summary>
    public unsafe void CopyOut(Arena arena, int index, Span<float> destination)
    {
        var output = Outputs[index];
        if (output.IsConstant)
        {
            output.Constant.CopyTo(destination);
            return;
        }
        var v = output.View;
        var src = arena.Context(Isa).Base(v);
        var i = 0;
        for (var n = 0; n < v.Batch; n++)
            for (var c = 0; c < v.Channels; c++)
                for (var y = 0; y < v.Height; y++)
                    for (var x = 0; x < v.Width; x++)
                        destination[i++] = src[n * v.BatchStride + y * v.RowStride + (long)x * v.PixelStride + (long)v.Physical(c) * v.ChannelStride];
    }

    /// <summary>Canaries for the buffers whose life starts at step <paramref name="step"/> (guarded plans only).</summary>
    private unsafe void ArmGuards(float* arena, int step)
    {
        foreach (var g in guards!)
            if (g.FirstUse == step)
                new Span<uint>(arena + g.Offset, g.Floats).Fill(BufferGuard.Canary);
    }

    private unsafe void CheckGuards(float* arena, int step)
    {
        foreach (var g in guards!)
        {
            if (g.FirstUse > step || g.LastUse < step) continue;
            var zone = new ReadOnlySpan<uint>(arena + g.Offset, g.Floats);
            var hit = zone.IndexOfAnyExcept(BufferGuard.Canary);
            if (hit >= 0)
                throw new InvalidOperationException(
                    $"step {step} '{Steps[step].Name}' ({Steps[step].Describe()}) wrote past the end of buffer '{g.Buffer}' (guard float {hit} changed)");
        }
    }
}

/// <summary>The guard zone after one arena buffer: where it is and while the buffer lives.</summary>
internal sealed record BufferGuard(string Buffer, long Offset, int Floats, int FirstUse, int LastUse)
{
    /// <summary>A NaN bit pattern no kernel produces by arithmetic on the test inputs.</summary>
    public const uint Canary = 0x7FBADBAD;
}

/// <summary>One graph input of a plan: read in place from the caller's memory, NCHW row-major.</summary>
internal sealed record PlanInput(string Name, Shape Shape);

/// <summary>
/// One graph output of a plan: the view holding it after the last step (a node's output or a graph input), or, for an
/// initializer, the constant itself (<see cref="Constant"/>, NCHW row-major).
/// </summary>
internal sealed record PlanOutput(string Name, Shape Shape, TensorView? View, float[]? Constant)
{
    [MemberNotNullWhen(false, nameof(View))]
    [MemberNotNullWhen(true, nameof(Constant))]
    public bool IsConstant => View is null;
}

/// <summary>
/// The memory of one run: a pinned, 64-byte-aligned block touched once at creation (first-touch page faults cost
/// ≈ 12 µs per 4 KiB page here, so an arena is reused forever, never re-mapped per run), and a pinned table of the
/// run's input addresses with the pins that keep them there, filled by the session before each run.
/// </summary>
internal sealed unsafe class Arena
{
    private readonly float[] _memory;
    private readonly nint[] _inputs;

    /// <summary>Extra floats so that the first element can be moved to a 64-byte boundary.</summary>
    public const int AlignmentFloats = 16;

    /// <summary>The largest arena one array holds.</summary>
    public static long MaxFloats => Array.MaxLength - AlignmentFloats;

    public Arena(long floats, int inputs)
    {
        _inputs = GC.AllocateArray<nint>(Math.Max(1, inputs), pinned: true);
        Pins = new MemoryHandle[inputs];
        _memory = GC.AllocateArray<float>(checked((int)Math.Max(AlignmentFloats, floats + AlignmentFloats)), pinned: true);
        var address = (nuint)Unsafe.AsPointer(ref _memory[0]);
        var aligned = (address + 63) & ~(nuint)63;
        Pointer = (float*)aligned;
        Floats = floats;
        new Span<float>(Pointer, (int)floats).Clear(); // touch every page now, not during the first run
    }

    public float* Pointer { get; }
    public long Floats { get; }
    public StepRunner Runner { get; } = new();

    /// <summary>Address of graph input <paramref name="index"/> for the next run.</summary>
    public void SetInput(int index, float* address) => _inputs[index] = (nint)address;

    /// <summary>Pins of the inputs given as <see cref="Memory{T}"/>, released after the run.</summary>
    public MemoryHandle[] Pins { get; }

    public RunContext Context(Isa isa) => new((float**)Unsafe.AsPointer(ref _inputs[0]), Pointer, isa);
}

/// <summary>Adapts one step of one run to <see cref="IParallelWork"/> without allocating per step.</summary>
internal sealed class StepRunner : IParallelWork
{
    private Step? _step;
    private RunContext _ctx;

    public void Set(Step step, RunContext ctx)
    {
        _step = step;
        _ctx = ctx;
    }

    public void Execute(int part, int parts) => _step!.Run(_ctx, part, parts);
}
