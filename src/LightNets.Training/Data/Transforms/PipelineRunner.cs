using LightNets.Imaging;

namespace LightNets.Training.Data.Transforms;

/// <summary>
/// One worker's means of running a pipeline: two images the steps write in turn, the steps' shared scratch and, when the
/// pipeline starts with <see cref="Preprocess"/>, its <see cref="ImagePreprocessor"/>. Everything grows to the largest
/// image seen and is then reused, so an in-memory data set's items cost no allocation. Not thread-safe.
/// </summary>
internal sealed class PipelineRunner(ImagePipeline pipeline)
{
    /// <summary>v / 255 in float32 for every byte, as ToTensor computes it.</summary>
    private static readonly float[] Unit = Enumerable.Range(0, 256).Select(v => v / 255f).ToArray();

    private readonly ImageTransform[] _steps = pipeline.StepArray;
    private readonly TransformScratch _scratch = new();
    private FloatImage _current = new(), _spare = new();
    private ImagePreprocessor? _preprocessor;

    /// <summary>Transforms <paramref name="item"/> into <paramref name="output"/>, which must hold exactly the result.</summary>
    public void Run(ImageItem item, ref DataRandom random, Span<float> output)
    {
        var first = 0;
        if (_steps.Length > 0 && _steps[0] is Preprocess preprocess && item.Decoded is { } decoded)
        {
            _preprocessor ??= new ImagePreprocessor(preprocess.Preprocessing);
            var crop = preprocess.Preprocessing.Crop;
            _current.Reset(3, crop, crop);
            _preprocessor.Run(decoded, _current.Pixels);
            first = 1;
        }
        else
        {
            _current.Reset(item.Channels, item.Height, item.Width);
            var pixels = item.Pixels;
            var values = _current.Pixels;
            for (var i = 0; i < values.Length; i++) values[i] = Unit[pixels[i]];
        }
        for (var s = first; s < _steps.Length; s++)
        {
            var step = _steps[s];
            if (step.InPlace)
            {
                step.Apply(_current, _current, ref random, _scratch);
                continue;
            }
            step.Apply(_current, _spare, ref random, _scratch);
            (_current, _spare) = (_spare, _current);
        }
        if (_current.Length != output.Length)
            throw new DatasetException(
                $"the transforms made a {_current.Shape} image of a {item.Shape} one, where the batch holds {output.Length:N0} values per image: end the transforms with a fixed size (Resize, CenterCrop, RandomResizedCrop)");
        _current.Pixels.CopyTo(output);
    }
}
