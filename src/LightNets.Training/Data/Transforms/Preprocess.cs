using LightNets.Imaging;

namespace LightNets.Training.Data.Transforms;

/// <summary>
/// torchvision's evaluation preprocessing, <c>Resize(shorter)</c> + <c>CenterCrop(crop)</c> + <c>Normalize(mean, std)</c>,
/// giving 3 × crop × crop. As the first step of a pipeline over decoded image files (an image folder) it is exactly what
/// <c>lightnets classify</c> does (<see cref="ImagePreprocessor"/>, PIL's 8-bit resize), so a model evaluated here scores
/// each image as classify would. Anywhere else, or on in-memory images, it resizes in float (as torchvision does on
/// tensors), and a grayscale image is repeated into 3 channels first.
/// </summary>
public sealed class Preprocess : ImageTransform
{
    public Preprocess(Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        try
        {
            preprocessing.Validate();
        }
        catch (ArgumentException e)
        {
            throw new DatasetException($"bad evaluation preprocessing: {e.Message}", e);
        }
        Preprocessing = preprocessing;
    }

    public Preprocessing Preprocessing { get; }

    public override ImageShape OutputShape(ImageShape input)
    {
        if (input.Channels is not (1 or 3))
            throw new DatasetException($"Preprocess takes grayscale or RGB images, not {input.Channels} channels");
        return new ImageShape(3, Preprocessing.Crop, Preprocessing.Crop);
    }

    internal override void Apply(FloatImage source, FloatImage target, ref DataRandom random, TransformScratch scratch)
    {
        OutputShape(source.Shape);
        var (width, height) = Preprocessing.ResizedSize(source.Width, source.Height);
        var resized = scratch.Extra;
        Resampler.Resize(source, 0, 0, source.Width, source.Height, resized, height, width, scratch);
        var crop = Preprocessing.Crop;
        target.Reset(3, crop, crop); // room for 3 channels before the crop writes as many as the image has
        Window.Copy(resized, CenterCrop.Offset(height, crop), CenterCrop.Offset(width, crop), target, crop, crop, 0);
        var gray = target.Channels == 1;
        target.Reset(3, crop, crop);
        for (var c = 0; c < 3; c++)
        {
            var plane = target.Plane(c);
            if (gray && c > 0) target.Plane(0).CopyTo(plane);
        }
        for (var c = 0; c < 3; c++)
        {
            var plane = target.Plane(c);
            var (m, s) = (Preprocessing.Mean[c], Preprocessing.Std[c]);
            for (var i = 0; i < plane.Length; i++) plane[i] = (plane[i] - m) / s;
        }
    }

    public override string ToString() => $"Preprocess({Preprocessing})";
}
