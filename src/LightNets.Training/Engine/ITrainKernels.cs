using LightNets.Training.Kernels;
using LightNets.Training.Kernels.Reference;

namespace LightNets.Training.Engine;

/// <summary>
/// The float32 training kernels a <c>TrainingSession</c> calls: one method per rule of <see cref="TrainReference"/>, same
/// names, same argument order and same semantics (read the reference's documentation for each), with the session's
/// <see cref="TrainContext"/> first (threads, ISA tier, scratch). Activations are NHWC, weights in PyTorch's layout.
/// Implementations: <see cref="ReferenceTrainKernels"/> (the plain loops, single-threaded) and the SIMD twins in
/// Kernels/Cpu. An implementation must give the same result for the same input and thread count every time.
/// </summary>
public interface ITrainKernels
{
    /// <summary>The kernel family's name in logs and reports (<c>ref</c>, or the fast kernels' ISA word).</summary>
    string Name { get; }

    void ConvForward(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y);
    void ConvBackwardData(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx);
    void ConvBackwardWeight(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias);

    void LinearForward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y);
    void LinearBackward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dw, Span<float> db);

    void BatchNormTrainForward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, float momentum, Span<float> runningMean, Span<float> runningVar, Span<float> saveMean, Span<float> saveInvStd, Span<float> y);
    void BatchNormBackward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveInvStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta);
    void BatchNormEvalForward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> y);

    void ActivationForward(TrainContext ctx, Activation a, ReadOnlySpan<float> x, Span<float> y);
    void ActivationBackward(TrainContext ctx, Activation a, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx);

    void ScaleChannelsForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> s, Span<float> y);
    void ScaleChannelsBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> s, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> ds);

    void MaxPoolForward(TrainContext ctx, in PoolShape p, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax);
    void MaxPoolBackward(TrainContext ctx, in PoolShape p, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx);
    void AvgPoolForward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y);
    void AvgPoolBackward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<float> dy, Span<float> dx);
    void GlobalAvgPoolForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, Span<float> y);
    void GlobalAvgPoolBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> dy, Span<float> dx);

    void GatherChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<float> x, Span<float> y);
    void ScatterAddChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<float> dy, Span<float> dx);

    float SoftmaxCrossEntropy(TrainContext ctx, int n, int classes, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, float smoothing,
        Span<float> dlogits);
}
