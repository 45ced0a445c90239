using LightNets.Imaging;

namespace LightNets.Training.Data.Transforms;

/// <summary>
/// The transforms that turn a data set's item into a model input, in order, like torchvision's <c>Compose</c>: the
/// item's 8-bit pixels divided by 255 (<c>ToTensor</c>), then each step. Immutable; the loader runs it on its workers.
/// The recipes below are the usual ones; any list of steps may be given.
/// </summary>
public sealed class ImagePipeline
{
    private readonly ImageTransform[] _steps;

    public ImagePipeline(params IEnumerable<ImageTransform> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _steps = [.. steps];
        if (_steps.Any(s => s is null)) throw new ArgumentException("a pipeline step is null", nameof(steps));
        if (_steps.Skip(1).Any(s => s is Preprocess))
            throw new DatasetException("Preprocess must be the first step: it reads the decoded image as classify does");
    }

    public IReadOnlyList<ImageTransform> Steps => _steps;

    internal ImageTransform[] StepArray => _steps;

    /// <summary>The shape the pipeline gives items of shape <paramref name="input"/> (height and width 0: any size).</summary>
    /// <exception cref="DatasetException">A step cannot take what the one before gives it.</exception>
    public ImageShape OutputShape(ImageShape input)
    {
        foreach (var step in _steps) input = step.OutputShape(input);
        return input;
    }

    /// <summary>Runs the pipeline on one item (allocates; the loader reuses its buffers instead).</summary>
    public float[] Apply(ImageItem item, int seed = 0, int epoch = 0, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(item);
        var shape = OutputShape(item.Shape);
        var output = new float[shape.Length];
        var random = DataRandom.ForItem(seed, epoch, index);
        new PipelineRunner(this).Run(item, ref random, output);
        return output;
    }

    /// <summary>
    /// Training on small images (Fashion-MNIST, CIFAR): Normalize, then a random <paramref name="size"/>² crop of the
    /// image padded by <paramref name="padding"/> pixels of the mean (0 after Normalize, as the torch_fmnist.py anchor
    /// pads), then a horizontal flip with probability ½; the grayscale image repeated to 3 channels when
    /// <paramref name="channels"/> is 3.
    /// </summary>
    public static ImagePipeline SmallImageTraining(int size, int padding, IReadOnlyList<float> mean, IReadOnlyList<float> std, int channels = 0) =>
        new([new Normalize(mean, std), new RandomCrop(size, padding), new HorizontalFlip(), .. Replicate(channels)]);

    /// <summary>Evaluation on small images: Normalize, then the centre <paramref name="size"/>² (padding with the mean when the image is smaller: 28 → 32).</summary>
    public static ImagePipeline SmallImageEvaluation(int size, IReadOnlyList<float> mean, IReadOnlyList<float> std, int channels = 0) =>
        new([new Normalize(mean, std), new CenterCrop(size), .. Replicate(channels)]);

    /// <summary>
    /// torchvision's ImageNet training augmentation: RandomResizedCrop(<paramref name="size"/>), a horizontal flip with
    /// probability ½, Normalize (ImageNet's statistics unless given).
    /// </summary>
    public static ImagePipeline ImageNetTraining(int size, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null) =>
        new(new RandomResizedCrop(size), new HorizontalFlip(), new Normalize(mean ?? Preprocessing.ImageNet.Mean, std ?? Preprocessing.ImageNet.Std));

    /// <summary>torchvision's evaluation preprocessing (for 224: Resize(256), CenterCrop(224), ImageNet statistics).</summary>
    public static ImagePipeline ImageNetEvaluation(Preprocessing preprocessing) => new(new Preprocess(preprocessing));

    private static ImageTransform[] Replicate(int channels) => channels switch
    {
        0 or 1 => [],
        _ => [new ReplicateChannels(channels)],
    };

    public override string ToString() => _steps.Length == 0 ? "ToTensor" : "ToTensor → " + string.Join(" → ", _steps.Select(s => s.ToString()));
}
