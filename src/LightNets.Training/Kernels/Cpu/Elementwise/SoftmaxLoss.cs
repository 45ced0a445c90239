using LightNets.Runtime.Threading;

namespace LightNets.Training.Kernels.Cpu.Elementwise;

/// <summary>
/// Softmax cross-entropy with label smoothing (f32-softmax-xent): the rows' log-sum-exps and dlogits in parallel, each
/// row with the reference's scalar operations (<see cref="MathF.Exp"/>, <see cref="MathF.Log(float)"/>, <see cref="float.Max"/>),
/// then the loss summed on the calling thread in the reference's order, so the loss and every dlogit are bit-identical
/// to <see cref="Reference.TrainReference.SoftmaxCrossEntropy{T}"/>. A loss layer is small (batch × classes); this
/// kernel's point is to cost nothing and allocate nothing. One call at a time per instance.
/// </summary>
internal sealed unsafe class SoftmaxLoss
{
    private readonly RowWork _rows = new();

    /// <summary>Returns the mean loss and overwrites dlogits; labels are already checked; <paramref name="lse"/> holds n floats.</summary>
    public float Run(TrainContext ctx, int n, int classes, float* logits, int* labels, float smoothing, float* dlogits, float* lse)
    {
        var w = _rows;
        w.Classes = classes;
        w.Logits = logits;
        w.Labels = labels;
        w.Smoothing = smoothing;
        w.Spread = smoothing / classes;
        w.Count = n;
        w.Dlogits = dlogits;
        w.Lse = lse;
        ctx.Run(w, Partition.Parts(20L * n * classes, ctx.Threads, n));
        var total = 0f;
        for (var i = 0; i < n; i++)
        {
            var row = logits + (nint)i * classes;
            for (var k = 0; k < classes; k++)
            {
                var target = k == labels[i] ? 1f - smoothing + w.Spread : w.Spread;
                total -= target * (row[k] - lse[i]);
            }
        }
        return total / n;
    }

    private sealed class RowWork : IParallelWork
    {
        public int Classes;
        public float* Logits;
        public int* Labels;
        public float Smoothing;
        public float Spread;
        public int Count;
        public float* Dlogits;
        public float* Lse;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(Count, part, parts);
            float count = Count;
            for (var i = start; i < end; i++)
            {
                var row = Logits + (nint)i * Classes;
                var max = row[0];
                for (var k = 1; k < Classes; k++) max = float.Max(max, row[k]);
                var sumExp = 0f;
                for (var k = 0; k < Classes; k++) sumExp += MathF.Exp(row[k] - max);
                var lse = max + MathF.Log(sumExp);
                Lse[i] = lse;
                var d = Dlogits + (nint)i * Classes;
                for (var k = 0; k < Classes; k++)
                {
                    var target = k == Labels[i] ? 1f - Smoothing + Spread : Spread;
                    d[k] = (MathF.Exp(row[k] - lse) - target) / count;
                }
            }
        }
    }
}
