using LightNets.Graphs;
using LightNets.Runtime.Compiler;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan;

/// <summary>The memory one run works in: the caller's inputs (a table of addresses, one per graph input), the arena and the ISA tier.</summary>
internal readonly unsafe struct RunContext(float** inputs, float* arena, Isa isa)
{
    public readonly float** Inputs = inputs;
    public readonly float* Arena = arena;
    public readonly Isa Isa = isa;

    /// <summary>Address of element (n, y=0, x=0, physical channel 0) of <paramref name="view"/>'s image n.</summary>
    public float* Base(TensorView view, int n = 0) => Slot(view.Slot) + n * view.BatchStride + view.ChannelOffset;

    public float* Slot(BufferSlot slot) => slot.IsGraphInput ? Inputs[slot.InputIndex] : Arena + slot.Offset;
}

/// <summary>A region to prefetch: address and length in bytes (none when Bytes is 0).</summary>
internal readonly unsafe record struct PrefetchRange(nint Address, long Bytes)
{
    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of the range.</summary>
    public (nint Address, long Bytes) Share(int part, int parts)
    {
        if (Bytes == 0) return (0, 0);
        var start = Bytes * part / parts;
        var end = Bytes * (part + 1) / parts;
        return (Address + (nint)start, end - start);
    }
}

/// <summary>
/// One kernel invocation of a compiled plan, with its operands bound to arena views. Immutable after compilation:
/// <see cref="Run"/> may be called from several threads at once, each with its own arena, and from the threads of
/// one run with different <c>part</c> numbers, each doing a disjoint share of the work.
/// </summary>
internal abstract class Step
{
    protected Step(string name, IReadOnlyList<Node> nodes)
    {
        Name = name;
        Nodes = nodes;
    }

    /// <summary>The node the step is named after (usually the conv), for profiles.</summary>
    public string Name { get; }

    /// <summary>The graph nodes this step computes (a conv and the BN, activation and add fused into it).</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>What the profile prints as the operator ("conv 1×1 + ReLU6 + add").</summary>
    public abstract string Describe();

    /// <summary>The views this step reads and writes (for liveness).</summary>
    public abstract IEnumerable<TensorView> Operands();

    /// <summary>Extra arena floats the step needs while it runs (im2col tiles, per-image scaled weights).</summary>
    public virtual long ScratchFloats => 0;

    /// <summary>
    /// Memory this step should pull toward the caches while it computes (the weights of a bandwidth-bound FC layer that
    /// follows), set by the compiler; each part prefetches its share.
    /// </summary>
    public PrefetchRange Prefetch { get; set; }

    /// <summary>Whether the step can issue prefetches while it computes (it runs GEMMs).</summary>
    public virtual bool CanPrefetch => false;

    /// <summary>Arena offset of the step's scratch, set by the memory planner.</summary>
    public long ScratchOffset { get; set; }

    /// <summary>
    /// Into how many parts the work is worth splitting for <paramref name="threads"/> threads: 1 keeps the step on the
    /// calling thread (small 7×7 layers, where waking a worker costs more than it saves).
    /// </summary>
    public virtual int Parts(int threads) => 1;

    /// <summary>Does part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public abstract unsafe void Run(in RunContext ctx, int part, int parts);

    /// <summary>
    /// Work below which a step stays on one thread: about 3 µs of arithmetic (multiply-adds, or element moves for copies),
    /// a little more than handing a part to a spinning worker costs.
    /// </summary>
    protected const long MinParallelWork = 300_000;

    /// <summary>
    /// How many parts to cut <paramref name="work"/> into: 1 when small, else two per thread (parts are claimed from a
    /// shared counter, so a worker that wakes late takes fewer), never more than <paramref name="maxParts"/>.
    /// </summary>
    protected static int PartsFor(long work, int threads, int maxParts)
    {
        if (threads <= 1 || work < MinParallelWork) return 1;
        var parts = work < 8 * MinParallelWork ? threads : 2 * threads;
        return Math.Max(1, Math.Min(parts, maxParts));
    }

    /// <summary>Splits [0, count) into <paramref name="parts"/> contiguous ranges aligned to <paramref name="grain"/>.</summary>
    protected static (int Start, int End) Share(int count, int part, int parts, int grain = 1)
    {
        var units = (count + grain - 1) / grain;
        var start = (int)((long)units * part / parts) * grain;
        var end = (int)((long)units * (part + 1) / parts) * grain;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    public override string ToString() => $"{Name}: {Describe()}";
}
