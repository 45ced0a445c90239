using System.Runtime.InteropServices;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Threading;

namespace LightNets.Training;

/// <summary>
/// What the fast training kernels share within one training session: the ISA tier, the worker threads, and scratch
/// memory that grows during the first step and is reused afterwards (so no step after the first allocates). Not
/// thread-safe: one training step at a time uses a context.
/// </summary>
public sealed unsafe class TrainContext : IDisposable
{
    private readonly WorkerPool? _pool;
    private float* _scratch;
    private nint _scratchFloats;

    /// <param name="threads">Threads the kernels may use (the caller's plus threads − 1 workers).</param>
    /// <param name="isa">The SIMD tier (tests force lower tiers); the best this CPU has by default.</param>
    public TrainContext(int threads = 1, Isa? isa = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        Isa = isa ?? CpuCaps.Best;
        if (!CpuCaps.Supports(Isa)) throw new ArgumentException($"this CPU has no {Isa.Word()} tier", nameof(isa));
        _pool = threads > 1 ? new WorkerPool(threads) : null;
    }

    public int Threads { get; }
    public Isa Isa { get; }

    /// <summary>
    /// Runs parts 0..parts−1 of <paramref name="work"/> on the context's threads. Which thread runs a part never changes
    /// the result, so a kernel that splits its work by a fixed rule (not by thread) is deterministic.
    /// </summary>
    internal void Run(IParallelWork work, int parts)
    {
        if (_pool is null) for (var p = 0; p < parts; p++) work.Execute(p, parts);
        else _pool.Run(work, parts);
    }

    /// <summary>
    /// At least <paramref name="floats"/> floats of 64-byte-aligned scratch, valid until the next call. Grows (and
    /// allocates) only when asked for more than ever before: a training step asks the same sizes every time.
    /// </summary>
    public float* Scratch(nint floats)
    {
        if (floats > _scratchFloats)
        {
            if (_scratch is not null) NativeMemory.AlignedFree(_scratch);
            _scratch = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            _scratchFloats = floats;
        }
        return _scratch;
    }

    public void Dispose()
    {
        _pool?.Dispose();
        if (_scratch is not null) NativeMemory.AlignedFree(_scratch);
        _scratch = null;
        _scratchFloats = 0;
        GC.SuppressFinalize(this);
    }

    ~TrainContext()
    {
        if (_scratch is not null) NativeMemory.AlignedFree(_scratch);
    }
}
