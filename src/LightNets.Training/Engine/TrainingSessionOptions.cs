using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Training.Engine;

/// <summary>How a <see cref="TrainingSession"/> compiles and runs a graph.</summary>
public sealed record TrainingSessionOptions
{
    /// <summary>Threads the kernels may use (the caller's included); 0 means every core.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>The SIMD tier for the fast kernels; null picks the best this CPU has.</summary>
    public Isa? Isa { get; init; }

    /// <summary>The kernels the session computes with; null means <see cref="ReferenceTrainKernels"/>.</summary>
    public ITrainKernels? Kernels { get; init; }

    /// <summary>Label smoothing ε of the cross-entropy loss: the target is (1 − ε)·one-hot + ε/classes. 0 = none.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>
    /// BatchNorm's momentum in PyTorch's convention: running = (1 − m)·running + m·batch. PyTorch's default is 0.1;
    /// TensorFlow's "decay d" is m = 1 − d (torchvision's MobileNetV3 and the paper use 0.01, TF's decay 0.99).
    /// </summary>
    public float BatchNormMomentum { get; init; } = 0.1f;

    /// <summary>Seed of the dropout masks: with the same seed, thread count and data, two runs are bit-identical.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Most bytes the session's arena (activations kept for backward, gradients, scratch) may take; a larger plan fails
    /// with <see cref="WorkingMemoryException"/> before anything is allocated. Default 4 GiB.
    /// </summary>
    public long MaxArenaBytes { get; init; } = 4L << 30;

    /// <summary>
    /// Whether a BatchNorm and the ReLU, ReLU6 or h-swish right after it run as one step (the default): the same result
    /// bit for bit, two passes over memory fewer each way and one buffer fewer. Off only to compare the two.
    /// </summary>
    public bool FuseBatchNormActivation { get; init; } = true;

    /// <summary>
    /// Data-parallel replicas (default 1: the whole batch in one plan, each layer cut across the threads). With R &gt; 1
    /// the batch is cut into R equal parts, each trained by its own copy of the plan on its own threads
    /// (<see cref="Threads"/> / R each), and the gradients are averaged, as DistributedDataParallel over R devices:
    /// BatchNorm then normalises each part with that part's statistics. Faster for small networks on few cores (each
    /// thread runs whole layers in its own cache instead of meeting the other at every layer); the batch must divide
    /// into parts of at least 2 images.
    /// </summary>
    public int Replicas { get; init; } = 1;

    internal int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}
