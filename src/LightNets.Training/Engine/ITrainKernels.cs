using System.Numerics;
using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Reference;

namespace LightNets.Training.Engine;

/// <summary>
/// The training kernels a training plan calls: one method per rule of <see cref="TrainReference"/>, same names, same
/// argument order and same semantics (read the reference's documentation for each), with the session's
/// <see cref="TrainContext"/> first (threads, ISA tier, scratch). Activations are NHWC, weights in PyTorch's layout.
/// Generic over the float type so the whole training plan can also run in double for gradient checks; sessions train
/// in float through <see cref="ITrainKernels"/>. An implementation must give the same result for the same input and
/// thread count every time.
/// </summary>
public interface ITrainKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The kernel family's name in logs and reports (<c>ref</c>, or the fast kernels' ISA word).</summary>
    string Name { get; }

    void ConvForward(TrainContext ctx, in ConvShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y);
    void ConvBackwardData(TrainContext ctx, in ConvShape s, ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx);
    void ConvBackwardWeight(TrainContext ctx, in ConvShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, Span<T> dbias);

    void LinearForward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y);
    void LinearBackward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> dw, Span<T> db);

    void BatchNormTrainForward(TrainContext ctx, int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        T eps, T momentum, Span<T> runningMean, Span<T> runningVar, Span<T> saveMean, Span<T> saveInvStd, Span<T> y);
    void BatchNormBackward(TrainContext ctx, int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> saveMean, ReadOnlySpan<T> saveInvStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta);
    void BatchNormActivationTrainForward(TrainContext ctx, int rows, int c, Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> beta, T eps, T momentum, Span<T> runningMean, Span<T> runningVar, Span<T> saveMean, Span<T> saveInvStd, Span<T> saveScale, Span<T> z);
    void BatchNormActivationBackward(TrainContext ctx, int rows, int c, Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> dz, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> beta, ReadOnlySpan<T> saveMean, ReadOnlySpan<T> saveInvStd, ReadOnlySpan<T> saveScale, Span<T> dx, Span<T> dgamma,
        Span<T> dbeta);
    void BatchNormEvalForward(TrainContext ctx, int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        T eps, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> y);

    void ActivationForward(TrainContext ctx, Activation a, ReadOnlySpan<T> x, Span<T> y);
    void ActivationBackward(TrainContext ctx, Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx);

    void ScaleChannelsForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> s, Span<T> y);
    void ScaleChannelsBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> s, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> ds);

    void MaxPoolForward(TrainContext ctx, in PoolShape p, ReadOnlySpan<T> x, Span<T> y, Span<int> argmax);
    void MaxPoolBackward(TrainContext ctx, in PoolShape p, ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, Span<T> dx);
    void AvgPoolForward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<T> x, Span<T> y);
    void AvgPoolBackward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<T> dy, Span<T> dx);
    void GlobalAvgPoolForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<T> x, Span<T> y);
    void GlobalAvgPoolBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<T> dy, Span<T> dx);

    void GatherChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<T> x, Span<T> y);
    void ScatterAddChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<T> dy, Span<T> dx);

    T SoftmaxCrossEntropy(TrainContext ctx, int n, int classes, ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, T smoothing,
        Span<T> dlogits);
}

/// <summary>
/// The float32 training kernels a <c>TrainingSession</c> calls (every method is declared on
/// <see cref="ITrainKernels{T}"/> with T = float). Implementations: <see cref="ReferenceTrainKernels"/> (the plain loops,
/// single-threaded) and the SIMD twins in Kernels/Cpu.
/// </summary>
public interface ITrainKernels : ITrainKernels<float>;
