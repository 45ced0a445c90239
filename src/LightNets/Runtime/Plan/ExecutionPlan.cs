using System.Runtime.CompilerServices;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;
using LightNets.Tensors;

namespace LightNets.Runtime.Plan;

/// <summary>
/// A compiled model: steps bound to arena offsets, the arena size and where the output is. Immutable; each run
/// brings its own <see cref="Arena"/>.
/// </summary>
internal sealed class ExecutionPlan(
    IReadOnlyList<Step> steps, long arenaFloats, Shape inputShape, Shape outputShape, TensorView output, Isa isa,
    BufferGuard[]? guards, string layout)
{
    public IReadOnlyList<Step> Steps { get; } = steps;
    public long ArenaFloats { get; } = arenaFloats;
    public Shape InputShape { get; } = inputShape;
    public Shape OutputShape { get; } = outputShape;

    /// <summary>The output view: a dense arena region in the caller's layout (NCHW order for feature maps).</summary>
    public TensorView Output { get; } = output;

    public Isa Isa { get; } = isa;

    /// <summary>Why the runtime layout is what it is (for reports).</summary>
    public string Layout { get; } = layout;

    public long ArenaBytes => ArenaFloats * sizeof(float);

    /// <summary>Runs every step; <paramref name="onStep"/> (profiling) is called with each step's elapsed ticks.</summary>
    public unsafe void Execute(float* input, Arena arena, WorkerPool? pool, Action<int, long>? onStep = null)
    {
        var ctx = new RunContext(input, arena.Pointer, Isa);
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

/// <summary>
/// The memory of one run: a pinned, 64-byte-aligned block touched once at creation (first-touch page faults cost
/// ≈ 12 µs per 4 KiB here, so an arena is reused forever, never re-mapped per run).
/// </summary>
internal sealed unsafe class Arena
{
    private readonly float[] _memory;

    /// <summary>Extra floats so that the first element can be moved to a 64-byte boundary.</summary>
    public const int AlignmentFloats = 16;

    /// <summary>The largest arena one array holds.</summary>
    public static long MaxFloats => Array.MaxLength - AlignmentFloats;

    public Arena(long floats)
    {
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
