namespace LightNets.Training.Data;

/// <summary>Pixel statistics of a data set, for <c>Normalize</c>.</summary>
public static class DatasetStatistics
{
    /// <summary>
    /// The per-channel mean and standard deviation of the pixels on the 0–1 scale (the population standard deviation,
    /// as numpy's <c>std()</c>: Fashion-MNIST's training set gives 0.2860 and 0.3530), over the first
    /// <paramref name="maxItems"/> items. Sums are kept in exact integers, so the result does not depend on the order.
    /// Items that cannot be read are left out.
    /// </summary>
    public static (float[] Mean, float[] Std) MeanStd(IImageDataset dataset, int maxItems = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var channels = dataset.Channels;
        var sums = new long[channels];
        var squares = new Int128[channels];
        var counts = new long[channels];
        using var item = new ImageItem();
        for (var i = 0; i < Math.Min(maxItems, dataset.Count); i++)
        {
            if (!dataset.TryRead(i, item, out _)) continue;
            var pixels = item.Pixels;
            var plane = item.Height * item.Width;
            for (var c = 0; c < channels; c++)
            {
                long sum = 0, square = 0;
                foreach (var v in pixels.Slice(c * plane, plane))
                {
                    sum += v;
                    square += v * v;
                }
                sums[c] += sum;
                squares[c] += square;
                counts[c] += plane;
            }
        }
        if (counts[0] == 0) throw new DatasetException("no item of the data set could be read to measure its pixels");
        var mean = new float[channels];
        var std = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var m = (double)sums[c] / counts[c];
            var variance = (double)squares[c] / counts[c] - m * m;
            mean[c] = (float)(m / 255);
            std[c] = (float)(Math.Sqrt(Math.Max(variance, 0)) / 255);
        }
        return (mean, std);
    }
}
