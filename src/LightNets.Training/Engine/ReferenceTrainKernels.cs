using System.Numerics;
using LightNets.Training.Kernels;
using R = LightNets.Training.Kernels.Reference.TrainReference;

namespace LightNets.Training.Engine;

/// <summary>
/// <see cref="ITrainKernels{T}"/> on the plain reference loops, on the calling thread (the context's threads and scratch
/// are unused). Slow by design: the oracle for the fast kernels, and in double the engine of whole-plan gradient checks.
/// </summary>
public class ReferenceTrainKernels<T> : ITrainKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public string Name => "ref";

    public void ConvForward(TrainContext ctx, in ConvShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y) =>
        R.ConvForward(s, x, w, bias, y);

    public void ConvBackwardData(TrainContext ctx, in ConvShape s, ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx) =>
        R.ConvBackwardData(s, dy, w, dx);

    public void ConvBackwardWeight(TrainContext ctx, in ConvShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, Span<T> dbias) =>
        R.ConvBackwardWeight(s, x, dy, dw, dbias);

    public void LinearForward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y) =>
        R.LinearForward(n, inF, outF, x, w, b, y);

    public void LinearBackward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> dw, Span<T> db) =>
        R.LinearBackward(n, inF, outF, x, w, dy, dx, dw, db);

    public void BatchNormTrainForward(TrainContext ctx, int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        T eps, T momentum, Span<T> runningMean, Span<T> runningVar, Span<T> saveMean, Span<T> saveInvStd, Span<T> y) =>
        R.BatchNormTrainForward(rows, c, x, gamma, beta, eps, momentum, runningMean, runningVar, saveMean, saveInvStd, y);

    public void BatchNormBackward(TrainContext ctx, int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> saveMean, ReadOnlySpan<T> saveInvStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta) =>
        R.BatchNormBackward(rows, c, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);

    public void BatchNormActivationTrainForward(TrainContext ctx, int rows, int c, Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> beta, T eps, T momentum, Span<T> runningMean, Span<T> runningVar, Span<T> saveMean, Span<T> saveInvStd, Span<T> saveScale,
        Span<T> z) =>
        R.BatchNormActivationTrainForward(rows, c, a, x, gamma, beta, eps, momentum, runningMean, runningVar, saveMean, saveInvStd, saveScale, z);

    public void BatchNormActivationBackward(TrainContext ctx, int rows, int c, Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> dz,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, ReadOnlySpan<T> saveMean, ReadOnlySpan<T> saveInvStd, ReadOnlySpan<T> saveScale, Span<T> dx,
        Span<T> dgamma, Span<T> dbeta) =>
        R.BatchNormActivationBackward(rows, c, a, x, dz, gamma, beta, saveMean, saveInvStd, saveScale, dx, dgamma, dbeta);

    public void BatchNormEvalForward(TrainContext ctx, int rows, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        T eps, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> y) =>
        R.BatchNormEvalForward(rows, c, x, gamma, beta, eps, runningMean, runningVar, y);

    public void ActivationForward(TrainContext ctx, Activation a, ReadOnlySpan<T> x, Span<T> y) => R.ActivationForward(a, x, y);

    public void ActivationBackward(TrainContext ctx, Activation a, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) =>
        R.ActivationBackward(a, x, dy, dx);

    public void ScaleChannelsForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> s, Span<T> y) =>
        R.ScaleChannelsForward(n, hw, c, x, s, y);

    public void ScaleChannelsBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<T> x, ReadOnlySpan<T> s, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> ds) =>
        R.ScaleChannelsBackward(n, hw, c, x, s, dy, dx, ds);

    public void MaxPoolForward(TrainContext ctx, in PoolShape p, ReadOnlySpan<T> x, Span<T> y, Span<int> argmax) =>
        R.MaxPoolForward(p, x, y, argmax);

    public void MaxPoolBackward(TrainContext ctx, in PoolShape p, ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, Span<T> dx) =>
        R.MaxPoolBackward(p, dy, argmax, dx);

    public void AvgPoolForward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<T> x, Span<T> y) =>
        R.AvgPoolForward(p, countIncludePad, x, y);

    public void AvgPoolBackward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<T> dy, Span<T> dx) =>
        R.AvgPoolBackward(p, countIncludePad, dy, dx);

    public void GlobalAvgPoolForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<T> x, Span<T> y) =>
        R.GlobalAvgPoolForward(n, hw, c, x, y);

    public void GlobalAvgPoolBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<T> dy, Span<T> dx) =>
        R.GlobalAvgPoolBackward(n, hw, c, dy, dx);

    public void GatherChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<T> x, Span<T> y) =>
        R.GatherChannels(rows, cin, cout, map, x, y);

    public void ScatterAddChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<T> dy, Span<T> dx) =>
        R.ScatterAddChannels(rows, cin, cout, map, dy, dx);

    public T SoftmaxCrossEntropy(TrainContext ctx, int n, int classes, ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, T smoothing,
        Span<T> dlogits) =>
        R.SoftmaxCrossEntropy(n, classes, logits, labels, smoothing, dlogits);
}

/// <summary>The reference kernels in float32, the oracle a <c>TrainingSession</c> can train with.</summary>
public sealed class ReferenceTrainKernels : ReferenceTrainKernels<float>, ITrainKernels
{
    public static readonly ReferenceTrainKernels Instance = new();
}
