using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

public static partial class TrainReference
{
    /// <summary>
    /// Softmax cross-entropy with label smoothing ε over logits [n, classes], as PyTorch's
    /// <c>cross_entropy(logits, labels, label_smoothing=ε)</c>: target = (1 − ε)·onehot(label) + ε/classes,
    /// loss = mean over the batch of −Σ_k target_k · log softmax(logits)_k, and
    /// dlogits = (softmax − target) / n. The log-softmax subtracts each row's maximum first, so large logits do not
    /// overflow. Returns the loss; overwrites <paramref name="dlogits"/>.
    /// </summary>
    public static T SoftmaxCrossEntropy<T>(int n, int classes, ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, T smoothing, Span<T> dlogits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelArgs.Positive(n, nameof(n));
        KernelArgs.Positive(classes, nameof(classes));
        KernelArgs.Length(logits, (long)n * classes, nameof(logits));
        KernelArgs.Length(labels, n, nameof(labels));
        KernelArgs.Length<T>(dlogits, (long)n * classes, nameof(dlogits));
        if (!(smoothing >= T.Zero && smoothing <= T.One))
            throw new ArgumentException($"label smoothing must lie in [0, 1] but is {smoothing}", nameof(smoothing));
        var count = T.CreateChecked(n);
        var spread = smoothing / T.CreateChecked(classes);
        var total = T.Zero;
        for (var i = 0; i < n; i++)
        {
            var label = labels[i];
            if ((uint)label >= (uint)classes)
                throw new ArgumentException($"label {label} of sample {i} is outside the {classes} classes", nameof(labels));
            var row = logits.Slice(i * classes, classes);
            var max = row[0];
            for (var k = 1; k < classes; k++) max = T.Max(max, row[k]);
            var sumExp = T.Zero;
            for (var k = 0; k < classes; k++) sumExp += T.Exp(row[k] - max);
            var logSumExp = max + T.Log(sumExp);
            for (var k = 0; k < classes; k++)
            {
                var target = k == label ? T.One - smoothing + spread : spread;
                total -= target * (row[k] - logSumExp);
                dlogits[i * classes + k] = (T.Exp(row[k] - logSumExp) - target) / count;
            }
        }
        return total / count;
    }
}
