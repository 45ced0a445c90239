using LightNets.Tensors;

namespace LightNets.Cli.Engines;

/// <summary>
/// Scores each image an evaluation prepares in ONNX Runtime as well, one image at a time (so any batch size the file
/// declares, 1 or dynamic, takes it): ONNX Runtime's top-1 and the images on which its top-1 is LightNets'. For an int8
/// QDQ file this says whether the two engines' integer arithmetic leads to the same answers.
/// </summary>
internal sealed class EngineAgreement : IDisposable
{
    private readonly OnnxRuntimeEngine _engine;
    private readonly Shape _shape;
    private readonly float[] _image;
    private long _correct;

    public EngineAgreement(byte[] model, Shape input, int threads)
    {
        _engine = new OnnxRuntimeEngine(model, threads);
        _shape = new Shape(1, input[1], input[2], input[3]);
        _image = new float[_shape.ElementCount];
    }

    public long Images { get; private set; }
    public long Agreeing { get; private set; }
    public double Top1 => Images == 0 ? 0 : (double)_correct / Images;
    public double Agreement => Images == 0 ? 0 : (double)Agreeing / Images;

    public void Score(ReadOnlySpan<float> image, int label, ReadOnlySpan<float> logits)
    {
        image.CopyTo(_image);
        var output = _engine.Run(new Tensor(_shape, _image)).Data;
        if (output.Length != logits.Length)
            throw new LightNetsException($"ONNX Runtime gives {output.Length} scores per image where LightNets gives {logits.Length}");
        var theirs = ArgMax(output);
        Images++;
        if (theirs == label) _correct++;
        if (theirs == ArgMax(logits)) Agreeing++;
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
            if (v[i] > v[best]) best = i;
        return best;
    }

    public void Dispose() => _engine.Dispose();
}
