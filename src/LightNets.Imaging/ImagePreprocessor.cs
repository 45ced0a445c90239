namespace LightNets.Imaging;

/// <summary>
/// Turns a decoded image into a model input (3 × Crop × Crop floats, CHW) exactly as torchvision does on a PIL image:
/// PIL's antialiased bilinear resize (a triangle filter whose support widens with the downscale factor, in PIL's
/// 22-bit fixed point, rounded to 8 bits after each of the two passes), then the center crop (offsets rounded like
/// Python's <c>round</c>), then ÷255 and the normalization in float32.
/// <para>
/// Only the pixels inside the crop are resampled: each output pixel of PIL's resize depends only on its own
/// coordinates, so computing the cropped window alone gives the same values for less work. Scratch buffers are
/// kept and reused, so after the first images a call allocates nothing; an instance is therefore not thread-safe
/// (use one per thread).
/// </para>
/// </summary>
public sealed class ImagePreprocessor
{
    // PIL's Resample.c: 32 bits minus 8 for the pixel value and 2 of headroom.
    private const int PrecisionBits = 32 - 8 - 2;
    private const int Half = 1 << (PrecisionBits - 1);

    private readonly float[] _lut = new float[3 * 256];
    private readonly Taps _x = new(), _y = new();
    private double[] _kernel = new double[8];
    private byte[] _rows = [];

    /// <param name="preprocessing">Sizes and normalization; validated here.</param>
    public ImagePreprocessor(Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        preprocessing.Validate();
        Preprocessing = preprocessing;
        // torchvision computes v/255, then (x − mean)/std, in float32: a table of the 256 results per channel is exact.
        for (var c = 0; c < 3; c++)
            for (var v = 0; v < 256; v++)
                _lut[c * 256 + v] = (v / 255f - preprocessing.Mean[c]) / preprocessing.Std[c];
    }

    public Preprocessing Preprocessing { get; }

    /// <summary>Floats per image: 3 × Crop × Crop.</summary>
    public int OutputLength => 3 * Preprocessing.Crop * Preprocessing.Crop;

    /// <summary>Preprocesses <paramref name="image"/> into a new CHW array (allocates; use the span overload in loops).</summary>
    public float[] Run(DecodedImage image)
    {
        var output = new float[OutputLength];
        Run(image, output);
        return output;
    }

    /// <summary>Preprocesses <paramref name="image"/> into <paramref name="output"/> (CHW, <see cref="OutputLength"/> floats).</summary>
    public void Run(DecodedImage image, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (output.Length != OutputLength)
            throw new ArgumentException($"the output needs {OutputLength} floats (3×{Preprocessing.Crop}×{Preprocessing.Crop}), got {output.Length}", nameof(output));
        var crop = Preprocessing.Crop;
        var (width, height) = Preprocessing.ResizedSize(image.Width, image.Height);
        // torchvision's CenterCrop: int(round((size - crop) / 2.0)), and Python rounds halves to even.
        var top = (int)Math.Round((height - crop) / 2.0, MidpointRounding.ToEven);
        var left = (int)Math.Round((width - crop) / 2.0, MidpointRounding.ToEven);
        Precompute(image.Width, width, left, crop, _x, ref _kernel);
        Precompute(image.Height, height, top, crop, _y, ref _kernel);

        // Source rows the crop's rows read (the bounds grow with the output row).
        var firstRow = _y.Start[0];
        var endRow = _y.Start[crop - 1] + _y.Count[crop - 1];
        var rowBytes = 3 * crop;
        var needed = (endRow - firstRow) * rowBytes;
        if (_rows.Length < needed) _rows = new byte[needed];
        Horizontal(image, firstRow, endRow, crop);
        Vertical(output, firstRow, crop);
    }

    /// <summary>First pass: the crop's columns of every needed source row, as 8-bit RGB (PIL rounds here too).</summary>
    private void Horizontal(DecodedImage image, int firstRow, int endRow, int crop)
    {
        var src = image.Rgba;
        var (stepX, stepY) = (image.StepX, image.StepY);
        var taps = _x;
        var k = taps.Weights;
        var i = 0;
        for (var row = firstRow; row < endRow; row++)
        {
            var rowOrigin = image.Origin + row * stepY;
            for (var xx = 0; xx < crop; xx++)
            {
                var w = xx * taps.Stride;
                var o = rowOrigin + taps.Start[xx] * stepX;
                int s0 = Half, s1 = Half, s2 = Half;
                for (var t = 0; t < taps.Count[xx]; t++, o += stepX)
                {
                    var kt = k[w + t];
                    s0 += src[o] * kt;
                    s1 += src[o + 1] * kt;
                    s2 += src[o + 2] * kt;
                }
                _rows[i++] = Clip8(s0);
                _rows[i++] = Clip8(s1);
                _rows[i++] = Clip8(s2);
            }
        }
    }

    /// <summary>Second pass: the crop's rows, rounded to 8 bits, then normalized into the CHW planes.</summary>
    private void Vertical(Span<float> output, int firstRow, int crop)
    {
        var taps = _y;
        var k = taps.Weights;
        var rows = _rows;
        var rowBytes = 3 * crop;
        var plane = crop * crop;
        for (var yy = 0; yy < crop; yy++)
        {
            var w = yy * taps.Stride;
            var baseRow = (taps.Start[yy] - firstRow) * rowBytes;
            var n = taps.Count[yy];
            for (var xx = 0; xx < crop; xx++)
            {
                int s0 = Half, s1 = Half, s2 = Half;
                var o = baseRow + 3 * xx;
                for (var t = 0; t < n; t++, o += rowBytes)
                {
                    var kt = k[w + t];
                    s0 += rows[o] * kt;
                    s1 += rows[o + 1] * kt;
                    s2 += rows[o + 2] * kt;
                }
                var at = yy * crop + xx;
                output[at] = _lut[Clip8(s0)];
                output[plane + at] = _lut[256 + Clip8(s1)];
                output[2 * plane + at] = _lut[512 + Clip8(s2)];
            }
        }
    }

    private static byte Clip8(int v) =>
        v >= 255 << PrecisionBits ? (byte)255 : v <= 0 ? (byte)0 : (byte)(v >> PrecisionBits);

    /// <summary>
    /// PIL's <c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c> for output positions first … first+count−1 of a
    /// resize from <paramref name="inSize"/> to <paramref name="outSize"/>, same double arithmetic in the same order
    /// so that the fixed-point weights are identical.
    /// </summary>
    private static void Precompute(int inSize, int outSize, int first, int count, Taps taps, ref double[] kernel)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = 1.0 * filterScale; // the bilinear (triangle) filter's support is 1
        var stride = (int)Math.Ceiling(support) * 2 + 1;
        taps.Ensure(count, stride);
        if (kernel.Length < stride) kernel = new double[stride];
        var ss = 1.0 / filterScale;
        for (var i = 0; i < count; i++)
        {
            var center = (first + i + 0.5) * scale;
            var min = Math.Max((int)(center - support + 0.5), 0);
            var n = Math.Min((int)(center + support + 0.5), inSize) - min;
            var sum = 0.0;
            for (var x = 0; x < n; x++)
            {
                var d = Math.Abs((x + min - center + 0.5) * ss);
                var w = d < 1.0 ? 1.0 - d : 0.0;
                kernel[x] = w;
                sum += w;
            }
            for (var x = 0; x < n; x++)
            {
                var v = sum != 0.0 ? kernel[x] / sum : kernel[x];
                taps.Weights[i * stride + x] = v < 0 ? (int)(-0.5 + v * (1 << PrecisionBits)) : (int)(0.5 + v * (1 << PrecisionBits));
            }
            taps.Start[i] = min;
            taps.Count[i] = n;
        }
    }

    /// <summary>One axis's taps: per output position, the first source index, the count and fixed-point weights.</summary>
    private sealed class Taps
    {
        public int[] Start = [], Count = [], Weights = [];
        public int Stride;

        public void Ensure(int positions, int stride)
        {
            Stride = stride;
            if (Start.Length < positions) { Start = new int[positions]; Count = new int[positions]; }
            if (Weights.Length < positions * stride) Weights = new int[positions * stride];
        }
    }
}
