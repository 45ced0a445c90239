using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime;

/// <summary>How an <see cref="InferenceSession"/> compiles and runs a graph.</summary>
public sealed record SessionOptions
{
    /// <summary>Threads per run (the caller's thread included); 0 means every core. 1 runs everything on the caller's thread.</summary>
    public int Threads { get; init; }

    /// <summary>The instruction-set tier to use; null picks the best this process supports (<see cref="CpuCaps.Best"/>).</summary>
    public Isa? Isa { get; init; }

    /// <summary>
    /// Fuse element-wise work into the convolutions (activations, residual adds, SE scales in the epilogues; depthwise
    /// convolutions banded with their 1×1 neighbours). Off, every graph node runs as its own pass over memory, as the
    /// ShuffleNetV2 guideline experiments (G4) require. BatchNorm is folded either way.
    /// </summary>
    public bool Fuse { get; init; } = true;

    /// <summary>
    /// Run a QDQ model's quantized layers (QuantizeLinear/DequantizeLinear around them) on int8 kernels, holding their
    /// activations as 8-bit codes; false runs every layer in float32 with the quantizers rounding values (the QDQ
    /// graph's reference semantics, slower). No effect on a float model.
    /// </summary>
    public bool Int8 { get; init; } = true;

    /// <summary>Tests and benchmarks: the int8 GEMM path (null: the best this process runs).</summary>
    internal Kernels.Cpu.Int8.Int8Isa? Int8Path { get; init; }

    /// <summary>
    /// Tests and benchmarks: band depthwise convolutions with their 1×1 neighbours, float and int8 (false runs them as separate
    /// steps, which must write the same codes in int8, and lets a profile time each convolution on its own).
    /// </summary>
    internal bool Bands { get; init; } = true;

    /// <summary>
    /// Most bytes of working memory (intermediate tensors and per-thread scratch) the session may allocate; default
    /// 4 GiB, and never more than one .NET array holds (8 GiB). A graph that needs more — a huge batch or input size,
    /// perhaps declared by a model file — fails with <see cref="WorkingMemoryException"/> before anything is allocated.
    /// </summary>
    public long MaxArenaBytes { get; init; } = DefaultMaxArenaBytes;

    public const long DefaultMaxArenaBytes = 4L << 30;

    /// <summary>
    /// Tests only: every arena buffer gets a guard zone after it, filled with a canary before its first step and checked
    /// after every step that may write it, so that a kernel writing past its buffer fails with the step's name.
    /// </summary>
    internal bool GuardBuffers { get; init; }

    internal int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    internal Isa EffectiveIsa
    {
        get
        {
            var isa = Isa ?? CpuCaps.Best;
            if (!CpuCaps.Supports(isa))
                throw new PlatformNotSupportedException($"{isa} is not supported by this process ({CpuCaps.Describe()})");
            return isa;
        }
    }
}
