using LightNets.Training.Kernels;
using R = LightNets.Training.Kernels.Reference.TrainReference;

namespace LightNets.Training.Engine;

/// <summary>
/// <see cref="ITrainKernels"/> on the plain reference loops in float32, on the calling thread (the context's threads and
/// scratch are unused). Slow by design: the oracle for the fast kernels and for the engine's own tests.
/// </summary>
public sealed class ReferenceTrainKernels : ITrainKernels
{
    public static readonly ReferenceTrainKernels Instance = new();

    public string Name => "ref";

    public void ConvForward(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y) =>
        R.ConvForward(s, x, w, bias, y);

    public void ConvBackwardData(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx) =>
        R.ConvBackwardData(s, dy, w, dx);

    public void ConvBackwardWeight(TrainContext ctx, in ConvShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias) =>
        R.ConvBackwardWeight(s, x, dy, dw, dbias);

    public void LinearForward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y) =>
        R.LinearForward(n, inF, outF, x, w, b, y);

    public void LinearBackward(TrainContext ctx, int n, int inF, int outF, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dw, Span<float> db) =>
        R.LinearBackward(n, inF, outF, x, w, dy, dx, dw, db);

    public void BatchNormTrainForward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, float momentum, Span<float> runningMean, Span<float> runningVar, Span<float> saveMean, Span<float> saveInvStd, Span<float> y) =>
        R.BatchNormTrainForward(rows, c, x, gamma, beta, eps, momentum, runningMean, runningVar, saveMean, saveInvStd, y);

    public void BatchNormBackward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveInvStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta) =>
        R.BatchNormBackward(rows, c, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);

    public void BatchNormEvalForward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> y) =>
        R.BatchNormEvalForward(rows, c, x, gamma, beta, eps, runningMean, runningVar, y);

    public void ActivationForward(TrainContext ctx, Activation a, ReadOnlySpan<float> x, Span<float> y) => R.ActivationForward(a, x, y);

    public void ActivationBackward(TrainContext ctx, Activation a, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) =>
        R.ActivationBackward(a, x, dy, dx);

    public void ScaleChannelsForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> s, Span<float> y) =>
        R.ScaleChannelsForward(n, hw, c, x, s, y);

    public void ScaleChannelsBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> s, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> ds) =>
        R.ScaleChannelsBackward(n, hw, c, x, s, dy, dx, ds);

    public void MaxPoolForward(TrainContext ctx, in PoolShape p, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax) =>
        R.MaxPoolForward(p, x, y, argmax);

    public void MaxPoolBackward(TrainContext ctx, in PoolShape p, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx) =>
        R.MaxPoolBackward(p, dy, argmax, dx);

    public void AvgPoolForward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y) =>
        R.AvgPoolForward(p, countIncludePad, x, y);

    public void AvgPoolBackward(TrainContext ctx, in PoolShape p, bool countIncludePad, ReadOnlySpan<float> dy, Span<float> dx) =>
        R.AvgPoolBackward(p, countIncludePad, dy, dx);

    public void GlobalAvgPoolForward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> x, Span<float> y) =>
        R.GlobalAvgPoolForward(n, hw, c, x, y);

    public void GlobalAvgPoolBackward(TrainContext ctx, int n, int hw, int c, ReadOnlySpan<float> dy, Span<float> dx) =>
        R.GlobalAvgPoolBackward(n, hw, c, dy, dx);

    public void GatherChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<float> x, Span<float> y) =>
        R.GatherChannels(rows, cin, cout, map, x, y);

    public void ScatterAddChannels(TrainContext ctx, int rows, int cin, int cout, ReadOnlySpan<int> map, ReadOnlySpan<float> dy, Span<float> dx) =>
        R.ScatterAddChannels(rows, cin, cout, map, dy, dx);

    public float SoftmaxCrossEntropy(TrainContext ctx, int n, int classes, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, float smoothing,
        Span<float> dlogits) =>
        R.SoftmaxCrossEntropy(n, classes, logits, labels, smoothing, dlogits);
}
