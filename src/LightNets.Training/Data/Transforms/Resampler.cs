namespace LightNets.Training.Data.Transforms;

/// <summary>
/// Antialiased bilinear resampling of float images, as PIL's <c>BILINEAR</c> filter and torchvision's
/// <c>antialias=True</c> define it: a triangle filter whose support widens with the downscale factor (so shrinking
/// averages every source pixel instead of skipping some), taps clipped to the source window and renormalised, computed
/// in two separable passes (rows, then columns). The source window is a box of the image: RandomResizedCrop resizes
/// its crop without copying it first.
/// </summary>
internal static class Resampler
{
    /// <summary>One axis's taps: for each output position, the first source index, the tap count and the weights.</summary>
    internal sealed class Axis
    {
        public int[] Start = [], Count = [];
        public float[] Weights = [];
        public int Stride;

        /// <summary>Taps for resizing <paramref name="inSize"/> source positions to <paramref name="outSize"/>.</summary>
        public void Compute(int inSize, int outSize)
        {
            var scale = (double)inSize / outSize;
            var filterScale = Math.Max(scale, 1.0);
            var support = filterScale; // the triangle filter reaches 1 source pixel, widened when shrinking
            Stride = (int)Math.Ceiling(support) * 2 + 1;
            if (Start.Length < outSize) { Start = new int[outSize]; Count = new int[outSize]; }
            if (Weights.Length < outSize * Stride) Weights = new float[outSize * Stride];
            for (var i = 0; i < outSize; i++)
            {
                var center = (i + 0.5) * scale;
                // Truncation toward zero, then clipping, as PIL's precompute_coeffs does.
                var first = Math.Max((int)(center - support + 0.5), 0);
                var count = Math.Min((int)(center + support + 0.5), inSize) - first;
                var sum = 0.0;
                for (var t = 0; t < count; t++) sum += Tap(first + t, center, filterScale);
                for (var t = 0; t < count; t++)
                {
                    var w = Tap(first + t, center, filterScale);
                    Weights[i * Stride + t] = (float)(sum != 0.0 ? w / sum : w);
                }
                Start[i] = first;
                Count[i] = count;
            }
        }

        /// <summary>The triangle filter's weight of source pixel <paramref name="x"/> (centre x + 0.5) for an output centred at <paramref name="center"/>.</summary>
        private static double Tap(int x, double center, double filterScale)
        {
            var d = Math.Abs((x - center + 0.5) / filterScale);
            return d < 1.0 ? 1.0 - d : 0.0;
        }
    }

    /// <summary>
    /// Resizes the box (<paramref name="left"/>, <paramref name="top"/>, <paramref name="width"/> × <paramref name="height"/>)
    /// of <paramref name="source"/> to <paramref name="outHeight"/> × <paramref name="outWidth"/> into <paramref name="target"/>.
    /// </summary>
    public static void Resize(FloatImage source, int left, int top, int width, int height, FloatImage target, int outHeight, int outWidth, TransformScratch scratch)
    {
        var channels = source.Channels;
        var columns = scratch.Columns;
        var rows = scratch.Rows;
        columns.Compute(width, outWidth);
        rows.Compute(height, outHeight);
        // Rows pass: every source row of the box, resampled to the output width.
        var between = scratch.Between;
        between.Reset(channels, height, outWidth);
        for (var c = 0; c < channels; c++)
        {
            var src = source.Plane(c);
            var dst = between.Plane(c);
            for (var y = 0; y < height; y++)
            {
                var row = src.Slice((top + y) * source.Width + left, width);
                var outRow = dst.Slice(y * outWidth, outWidth);
                for (var x = 0; x < outWidth; x++)
                {
                    var taps = columns.Weights.AsSpan(x * columns.Stride, columns.Count[x]);
                    var at = row.Slice(columns.Start[x], taps.Length);
                    var s = 0f;
                    for (var t = 0; t < taps.Length; t++) s += at[t] * taps[t];
                    outRow[x] = s;
                }
            }
        }
        // Columns pass: each output row from the rows its taps reach.
        target.Reset(channels, outHeight, outWidth);
        for (var c = 0; c < channels; c++)
        {
            var src = between.Plane(c);
            var dst = target.Plane(c);
            for (var y = 0; y < outHeight; y++)
            {
                var outRow = dst.Slice(y * outWidth, outWidth);
                outRow.Clear();
                var first = rows.Start[y];
                for (var t = 0; t < rows.Count[y]; t++)
                {
                    var w = rows.Weights[y * rows.Stride + t];
                    var row = src.Slice((first + t) * outWidth, outWidth);
                    for (var x = 0; x < outWidth; x++) outRow[x] += row[x] * w;
                }
            }
        }
    }
}
