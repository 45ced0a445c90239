namespace LightNets.Training.Data.Transforms;

/// <summary>
/// torchvision's <c>Normalize(mean, std)</c>: (x − mean[c]) / std[c] per channel, in float32. One value serves every
/// channel; otherwise there is one per channel.
/// </summary>
public sealed class Normalize : ImageTransform
{
    private readonly float[] _mean, _std;

    public Normalize(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || mean.Count != std.Count)
            throw new DatasetException($"Normalize needs as many standard deviations as means (one, or one per channel), got {mean.Count} and {std.Count}");
        foreach (var m in mean)
            if (!float.IsFinite(m)) throw new DatasetException($"every mean must be finite, got {m}");
        foreach (var s in std)
            if (!(s > 0) || !float.IsFinite(s)) throw new DatasetException($"every standard deviation must be positive and finite, got {s}");
        (_mean, _std) = ([.. mean], [.. std]);
    }

    public IReadOnlyList<float> Mean => _mean;

    public IReadOnlyList<float> Std => _std;

    public override ImageShape OutputShape(ImageShape input)
    {
        if (_mean.Length != 1 && _mean.Length != input.Channels)
            throw new DatasetException($"Normalize has {_mean.Length} means and standard deviations for images of {input.Channels} channel{(input.Channels == 1 ? "" : "s")}: give one value, or one per channel");
        return input;
    }

    internal override bool InPlace => true;

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch)
    {
        OutputShape(source.Shape);
        target.Reset(source.Channels, source.Height, source.Width);
        for (var c = 0; c < source.Channels; c++)
        {
            var (m, s) = _mean.Length == 1 ? (_mean[0], _std[0]) : (_mean[c], _std[c]);
            var src = source.Plane(c);
            var dst = target.Plane(c);
            for (var i = 0; i < src.Length; i++) dst[i] = (src[i] - m) / s;
        }
    }

    public override string ToString() => $"Normalize(mean {string.Join(", ", _mean)}, std {string.Join(", ", _std)})";
}

/// <summary>torchvision's <c>RandomHorizontalFlip(p)</c>: mirrors the image left–right with probability <see cref="Probability"/>.</summary>
public sealed class HorizontalFlip : ImageTransform
{
    public HorizontalFlip(double probability = 0.5) =>
        Probability = probability is >= 0 and <= 1 ? probability : throw new DatasetException($"the flip probability must be 0 to 1, got {probability}");

    public double Probability { get; }

    public override ImageShape OutputShape(ImageShape input) => input;

    internal override bool InPlace => true;

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch)
    {
        // One draw per item whether or not it flips, so the later steps' draws do not depend on this one's outcome.
        var flip = random.NextDouble() < Probability;
        target.Reset(source.Channels, source.Height, source.Width);
        if (!flip)
        {
            if (!ReferenceEquals(source, target)) source.Pixels.CopyTo(target.Pixels);
            return;
        }
        var (h, w) = (source.Height, source.Width);
        for (var c = 0; c < source.Channels; c++)
        {
            var src = source.Plane(c);
            var dst = target.Plane(c);
            for (var y = 0; y < h; y++)
            {
                var row = dst.Slice(y * w, w);
                if (!ReferenceEquals(source, target)) src.Slice(y * w, w).CopyTo(row);
                row.Reverse();
            }
        }
    }

    public override string ToString() => $"HorizontalFlip(p {Probability})";
}

/// <summary>
/// A grayscale image repeated into <see cref="Channels"/> channels (PIL's <c>convert("RGB")</c>), for a model whose stem
/// takes RGB. An image that already has that many channels passes unchanged.
/// </summary>
public sealed class ReplicateChannels : ImageTransform
{
    public ReplicateChannels(int channels = 3) =>
        Channels = channels is >= 1 and <= 4 ? channels : throw new DatasetException($"ReplicateChannels makes 1 to 4 channels, got {channels}");

    public int Channels { get; }

    public override ImageShape OutputShape(ImageShape input)
    {
        if (input.Channels != 1 && input.Channels != Channels)
            throw new DatasetException($"ReplicateChannels({Channels}) repeats a 1-channel image; these images have {input.Channels} channels");
        return input with { Channels = Channels };
    }

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch)
    {
        OutputShape(source.Shape);
        target.Reset(Channels, source.Height, source.Width);
        for (var c = 0; c < Channels; c++) source.Plane(source.Channels == 1 ? 0 : c).CopyTo(target.Plane(c));
    }

    public override string ToString() => $"ReplicateChannels({Channels})";
}
