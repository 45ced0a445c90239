namespace LightNets.Imaging;

/// <summary>
/// What a classifier expects of its input, in torchvision's terms:
/// <c>Resize(ResizeShorter)</c> (the shorter side to <see cref="ResizeShorter"/>, the longer to
/// <c>int(ResizeShorter · long / short)</c>, bilinear with antialias as PIL does it), <c>CenterCrop(Crop)</c>,
/// <c>ToTensor()</c> (÷255) and <c>Normalize(Mean, Std)</c>. The default is the ImageNet recipe of every torchvision
/// classifier: 256, 224, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
/// </summary>
public sealed record Preprocessing
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    private static readonly float[] Half = [0.5f, 0.5f, 0.5f];

    /// <summary>The shorter side after resizing, in pixels (torchvision's <c>Resize(int)</c>).</summary>
    public int ResizeShorter { get; init; } = 256;

    /// <summary>The side of the square center crop, in pixels; the model's input height and width.</summary>
    public int Crop { get; init; } = 224;

    /// <summary>Per-channel (R, G, B) mean subtracted from the [0, 1] values.</summary>
    public IReadOnlyList<float> Mean { get; init; } = ImageNetMean;

    /// <summary>Per-channel (R, G, B) standard deviation the centred values are divided by.</summary>
    public IReadOnlyList<float> Std { get; init; } = ImageNetStd;

    /// <summary>torchvision's ImageNet recipe: Resize(256), CenterCrop(224), ImageNet mean and std.</summary>
    public static Preprocessing ImageNet { get; } = new();

    /// <summary>
    /// The ImageNet recipe for a model whose input is <paramref name="crop"/> pixels square: the crop is
    /// 87.5 % of the resized shorter side, as 224 is of 256 (e.g. 160 → Resize(182), 48 → Resize(54)).
    /// </summary>
    public static Preprocessing ForInput(int crop, bool minusOneToOne = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(crop, 1);
        var resize = (int)Math.Floor(crop * 256.0 / 224.0);
        var p = new Preprocessing { Crop = crop, ResizeShorter = resize };
        return minusOneToOne ? p.WithMinusOneToOne() : p;
    }

    /// <summary>
    /// The TF/Keras ("inception") convention instead of ImageNet statistics: values in [−1, 1], i.e.
    /// <c>x / 127.5 − 1</c>, written as mean 0.5 and std 0.5.
    /// </summary>
    public Preprocessing WithMinusOneToOne() => this with { Mean = Half, Std = Half };

    /// <summary>Checks the sizes and statistics; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (Crop < 1 || Crop > 16384) throw new ArgumentException($"the crop must be 1–16384 pixels, got {Crop}");
        if (ResizeShorter < Crop || ResizeShorter > 16384)
            throw new ArgumentException($"the resize ({ResizeShorter}) must be at least the crop ({Crop}) and at most 16384 pixels");
        if (Mean.Count != 3 || Std.Count != 3) throw new ArgumentException("mean and std need 3 values each (R, G, B)");
        if (Std.Any(s => !(s > 0) || !float.IsFinite(s))) throw new ArgumentException("every std must be positive");
        if (Mean.Any(m => !float.IsFinite(m))) throw new ArgumentException("every mean must be finite");
    }

    /// <summary>torchvision's <c>Resize(int)</c> rule: the size of a <paramref name="width"/> × <paramref name="height"/> image after resizing.</summary>
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var (shorter, longer) = width <= height ? (width, height) : (height, width);
        // Python's int(size * long / short): a true division, then truncation.
        var newLong = (int)((double)ResizeShorter * longer / shorter);
        return width <= height ? (ResizeShorter, newLong) : (newLong, ResizeShorter);
    }

    public override string ToString() =>
        $"Resize({ResizeShorter}) + CenterCrop({Crop}), mean ({string.Join(", ", Mean)}), std ({string.Join(", ", Std)})";
}
