using System.Text.Json.Nodes;
using LightNets.Imaging;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;

namespace LightNets.Training.Trainer;

/// <summary>How a data set's images become model inputs.</summary>
public enum RecipeKind
{
    /// <summary>
    /// Small images of one size held in memory (Fashion-MNIST, MNIST, CIFAR-10): normalised with the training set's own
    /// statistics, then padded and randomly cropped to the model's resolution with horizontal flips (the CIFAR recipe);
    /// evaluated on the centre crop (28 → 32 pads 2 pixels of the mean on every side). A resolution far above the
    /// images' size resizes them instead.
    /// </summary>
    SmallImages,

    /// <summary>
    /// Photographs of any size (an image folder): torchvision's ImageNet recipe, RandomResizedCrop + flip for training,
    /// Resize + CenterCrop for evaluation (exactly <c>lightnets classify</c>'s), ImageNet's statistics.
    /// </summary>
    Photos,
}

/// <summary>
/// The preprocessing of one run, in one place, so that training, validation and the exported model agree: the
/// training augmentation, the evaluation transforms, and what the exported ONNX model must do to take what
/// <c>lightnets classify</c> gives it (RGB normalised with ImageNet's statistics at a given size).
/// </summary>
public sealed record DataRecipe
{
    /// <summary>Padding of the random crop of small images (the CIFAR and torch_fmnist.py recipe: 4).</summary>
    public const int CropPadding = 4;

    /// <summary>ITU-R 601 luma weights: how a grayscale value is made from RGB (PIL's <c>convert("L")</c>).</summary>
    private static readonly float[] Luma = [0.299f, 0.587f, 0.114f];

    public required RecipeKind Kind { get; init; }

    /// <summary>The model's input side in pixels.</summary>
    public required int Resolution { get; init; }

    /// <summary>Channels the model takes (1 or 3).</summary>
    public required int ModelChannels { get; init; }

    /// <summary>Channels of the data's images (1 or 3); grayscale images are repeated for a 3-channel model.</summary>
    public required int DataChannels { get; init; }

    /// <summary>The images' size (small images), or null for images of any size.</summary>
    public ImageShape? ItemShape { get; init; }

    /// <summary>Per data channel (or one value for all): what Normalize subtracts, on the 0–1 scale.</summary>
    public required float[] Mean { get; init; }

    /// <summary>Per data channel (or one value for all): what Normalize divides by.</summary>
    public required float[] Std { get; init; }

    /// <summary>
    /// Probability of torchvision's RandomErasing (default area 2–33 %, ratio 0.3–3.3, the mean as value) after the
    /// other training transforms (0: none). Zhong et al. report it helps on Fashion-MNIST and CIFAR.
    /// </summary>
    public double RandomErasing
    {
        get;
        init => field = value is >= 0 and <= 1 ? value : throw new DatasetException($"the random erasing probability must be 0 to 1, got {value}");
    }

    /// <summary>
    /// The recipe for training on <paramref name="train"/> a model that takes <paramref name="modelChannels"/> channels at
    /// <paramref name="resolution"/> pixels: small images (one size in memory) are normalised with their own statistics,
    /// measured here over the whole training set; images of any size with ImageNet's.
    /// </summary>
    /// <exception cref="DatasetException">An RGB data set for a 1-channel model.</exception>
    public static DataRecipe For(IImageDataset train, int modelChannels, int resolution)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (modelChannels is not (1 or 3)) throw new DatasetException($"a model takes 1 or 3 input channels, not {modelChannels}");
        if (train.Channels == 3 && modelChannels == 1)
            throw new DatasetException("the data's images are RGB but the model takes 1 channel: drop --input-channels 1 (or give grayscale data)");
        if (train.ItemShape is not { IsFixed: true } shape)
        {
            return new DataRecipe
            {
                Kind = RecipeKind.Photos, Resolution = resolution, ModelChannels = modelChannels, DataChannels = train.Channels,
                Mean = [.. Preprocessing.ImageNet.Mean], Std = [.. Preprocessing.ImageNet.Std],
            };
        }
        var (mean, std) = DatasetStatistics.MeanStd(train);
        for (var c = 0; c < std.Length; c++)
        {
            // A blank channel (every pixel the same) has no spread to divide by; centring it is all Normalize can do.
            if (!(std[c] > 0)) std[c] = 1;
        }
        return new DataRecipe
        {
            Kind = RecipeKind.SmallImages, Resolution = resolution, ModelChannels = modelChannels, DataChannels = train.Channels,
            ItemShape = shape, Mean = mean, Std = std,
        };
    }

    /// <summary>Small images are padded and cropped (not resized) when the resolution is at most this much above their size.</summary>
    private bool PadsAndCrops => ItemShape is { } s && Resolution <= Math.Min(s.Height, s.Width) + 2 * CropPadding;

    /// <summary>The training augmentation.</summary>
    public ImagePipeline TrainingPipeline()
    {
        if (Kind == RecipeKind.Photos)
        {
            var photos = ImagePipeline.ImageNetTraining(Resolution, Mean, Std);
            return RandomErasing > 0 ? new ImagePipeline([.. photos.Steps, new RandomErasing(RandomErasing)]) : photos;
        }
        List<ImageTransform> steps = [new Normalize(Mean, Std)];
        if (!PadsAndCrops) steps.Add(new Resize(Resolution));
        steps.Add(new RandomCrop(Resolution, PadsAndCrops ? CropPadding : Math.Max(1, Resolution / 8)));
        steps.Add(new HorizontalFlip());
        if (RandomErasing > 0) steps.Add(new RandomErasing(RandomErasing));
        return new ImagePipeline([.. steps, .. Replicate()]);
    }

    /// <summary>The evaluation transforms (no randomness).</summary>
    public ImagePipeline EvaluationPipeline()
    {
        if (Kind == RecipeKind.Photos) return ImagePipeline.ImageNetEvaluation(Preprocessing.ForInput(Resolution) with { Mean = Mean, Std = Std });
        ImageTransform fit = PadsAndCrops ? new CenterCrop(Resolution) : new Resize(Resolution);
        return new ImagePipeline([new Normalize(Mean, Std), fit, .. Replicate()]);
    }

    private ImageTransform[] Replicate() => DataChannels == 1 && ModelChannels == 3 ? [new ReplicateChannels(3)] : [];

    /// <summary>
    /// What an exported model needs in front of the trained network so that <c>lightnets classify --resize
    /// <see cref="ExportInput.ClassifyResize"/></c> (and any ONNX user feeding RGB normalised with ImageNet's statistics)
    /// gives it exactly what evaluation gave the network. See <see cref="ExportInput"/>.
    /// </summary>
    public ExportInput ExportInput()
    {
        var imageNet = Preprocessing.ImageNet;
        if (Kind == RecipeKind.Photos)
            return new ExportInput(Resolution, default, null, null, Preprocessing.ForInput(Resolution).ResizeShorter);

        // The adapter maps classify's x' = (v − μ_c)/σ_c back to v and on to the training normalisation (v − m)/s.
        var weight = new float[ModelChannels * 3];
        var bias = new float[ModelChannels];
        for (var k = 0; k < ModelChannels; k++)
        {
            var d = DataChannels == 1 ? 0 : k;
            var (m, s) = (Mean[Mean.Length == 1 ? 0 : d], Std[Std.Length == 1 ? 0 : d]);
            double offset = 0;
            for (var c = 0; c < 3; c++)
            {
                // A grayscale model sees the luma of what classify decoded (an exact copy of a grayscale image's values).
                var share = DataChannels == 1 ? Luma[c] : c == k ? 1f : 0f;
                weight[k * 3 + c] = share * imageNet.Std[c] / s;
                offset += share * imageNet.Mean[c];
            }
            bias[k] = (float)((offset - m) / s);
        }
        var (h, w) = (ItemShape!.Value.Height, ItemShape.Value.Width);
        if (!PadsAndCrops || h != w) return new ExportInput(Resolution, default, weight, bias, Resolution);
        if (Resolution <= h) return new ExportInput(Resolution, default, weight, bias, h);
        // Evaluation pads the image with the mean (0 after Normalize) up to the resolution; zero padding in the stem
        // convolution does the same to an image taken at its own size, so the exported model takes the images as they are.
        var before = (Resolution - h) / 2;
        var after = Resolution - h - before;
        return new ExportInput(h, new Graphs.Padding2d(before, before, after, after), weight, bias, h);
    }

    /// <summary>One line for logs.</summary>
    public string Describe() => Kind == RecipeKind.Photos
        ? $"photos: RandomResizedCrop({Resolution}) + flip{Erasing}; evaluation Resize({Preprocessing.ForInput(Resolution).ResizeShorter}) + CenterCrop({Resolution}); ImageNet mean/std"
        : $"small images {ItemShape}: {(PadsAndCrops ? $"pad {CropPadding} + random {Resolution}×{Resolution} crop" : $"resize to {Resolution}, random crop")} + flip{Erasing}; " +
          $"evaluation {(PadsAndCrops ? "centre crop" : "resize")}; mean {string.Join("/", Mean.Select(v => v.ToString("0.####")))}, std {string.Join("/", Std.Select(v => v.ToString("0.####")))}" +
          (DataChannels == 1 && ModelChannels == 3 ? "; grayscale repeated to RGB" : "");

    private string Erasing => RandomErasing > 0 ? $" + random erasing (p {RandomErasing:G3})" : "";

    public JsonObject ToJson()
    {
        var json = Settings();
        // Written only when used, so that checkpoints of runs without it read (and resume) as before.
        if (RandomErasing > 0) json["random_erasing"] = RandomErasing;
        return json;
    }

    private JsonObject Settings() => new()
    {
        ["kind"] = Kind == RecipeKind.Photos ? "photos" : "small_images",
        ["resolution"] = Resolution,
        ["model_channels"] = ModelChannels,
        ["data_channels"] = DataChannels,
        ["item_height"] = ItemShape?.Height,
        ["item_width"] = ItemShape?.Width,
        ["mean"] = new JsonArray([.. Mean.Select(v => JsonValue.Create(v))]),
        ["std"] = new JsonArray([.. Std.Select(v => JsonValue.Create(v))]),
    };
}

/// <summary>
/// What the exported model takes and how it turns that into the trained network's input: an RGB image of
/// <see cref="Size"/>² normalised with ImageNet's statistics (what <c>lightnets classify --resize
/// <see cref="ClassifyResize"/></c> gives it), mapped by a 1×1 convolution (<see cref="AdapterWeight"/> [C, 3],
/// <see cref="AdapterBias"/> [C]; null: none needed) to the training normalisation, with <see cref="StemPadding"/> added
/// to the first convolution's padding where evaluation padded the images.
/// </summary>
public sealed record ExportInput(int Size, Graphs.Padding2d StemPadding, float[]? AdapterWeight, float[]? AdapterBias, int ClassifyResize);
