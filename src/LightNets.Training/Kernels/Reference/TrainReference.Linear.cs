using System.Numerics;

namespace LightNets.Training.Kernels.Reference;

public static partial class TrainReference
{
    /// <summary>
    /// A fully connected layer: y[i, o] = Σ_k x[i, k] · w[o, k] + b[o] for i &lt; n, o &lt; outF, k &lt; inF, with w in
    /// PyTorch's [out, in] layout. An empty <paramref name="b"/> means no bias.
    /// </summary>
    public static void LinearForward<T>(int n, int inF, int outF, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLinear(n, inF, outF, x, w, y, "y");
        KernelArgs.Optional(b, outF, nameof(b));
        for (var i = 0; i < n; i++)
        for (var o = 0; o < outF; o++)
        {
            var sum = T.Zero;
            for (var k = 0; k < inF; k++) sum += x[i * inF + k] * w[o * inF + k];
            y[i * outF + o] = b.IsEmpty ? sum : sum + b[o];
        }
    }

    /// <summary>
    /// The gradients of a fully connected layer: dx[i, k] = Σ_o dy[i, o] · w[o, k], dw[o, k] = Σ_i dy[i, o] · x[i, k],
    /// db[o] = Σ_i dy[i, o]. An empty <paramref name="dx"/> skips the input gradient (the first trained layer), an empty
    /// <paramref name="db"/> the bias. Overwrites what it computes.
    /// </summary>
    public static void LinearBackward<T>(int n, int inF, int outF, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> dw, Span<T> db)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLinear(n, inF, outF, x, w, dy, "dy");
        KernelArgs.Optional<T>(dx, (long)n * inF, nameof(dx));
        KernelArgs.Length<T>(dw, (long)outF * inF, nameof(dw));
        KernelArgs.Optional<T>(db, outF, nameof(db));
        if (!dx.IsEmpty)
        {
            for (var i = 0; i < n; i++)
            for (var k = 0; k < inF; k++)
            {
                var sum = T.Zero;
                for (var o = 0; o < outF; o++) sum += dy[i * outF + o] * w[o * inF + k];
                dx[i * inF + k] = sum;
            }
        }
        for (var o = 0; o < outF; o++)
        {
            for (var k = 0; k < inF; k++)
            {
                var sum = T.Zero;
                for (var i = 0; i < n; i++) sum += dy[i * outF + o] * x[i * inF + k];
                dw[o * inF + k] = sum;
            }
            if (db.IsEmpty) continue;
            var bsum = T.Zero;
            for (var i = 0; i < n; i++) bsum += dy[i * outF + o];
            db[o] = bsum;
        }
    }

    private static void CheckLinear<T>(int n, int inF, int outF, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> output, string outputName)
    {
        KernelArgs.Positive(n, nameof(n));
        KernelArgs.Positive(inF, nameof(inF));
        KernelArgs.Positive(outF, nameof(outF));
        KernelArgs.Length(x, (long)n * inF, nameof(x));
        KernelArgs.Length(w, (long)outF * inF, nameof(w));
        KernelArgs.Length(output, (long)n * outF, outputName);
    }
}
