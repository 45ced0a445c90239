using LightNets.Graphs;
using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Plan.Steps;

/// <summary>
/// The row-band geometry of a depthwise convolution fused with the 1×1 convolutions around it, shared by the float
/// (<see cref="FusedDepthwiseStep"/>) and the uint8 (<see cref="Int8.Int8FusedDepthwiseStep"/>) forms: how many output
/// rows a band holds so that its expansion rows and depthwise rows fit in half the L2, and how the bands are shared
/// among threads. Sizes are in elements of the step's scratch (floats or bytes).
/// </summary>
internal abstract class BandedDepthwiseStep(string name, IReadOnlyList<Node> nodes) : Step(name, nodes)
{
    /// <summary>Most scratch bytes per band (expansion rows + depthwise rows): half the 1 MiB L2, the rest for weights.</summary>
    protected const long BandBytes = 512 * 1024;

    /// <summary>The multiply-adds of the whole step: expansion over the input, depthwise and projection over the output.</summary>
    protected static long Work(in DwConvShape shape, long expandMacsPerPixel, long projectMacsPerPixel, int batch) =>
        (long)batch * (expandMacsPerPixel * shape.H * shape.W
            + (long)shape.OH * shape.OW * (shape.C * shape.KH * shape.KW + projectMacsPerPixel));

    protected static int MaxParts(int threads) => Math.Max(1, 2 * threads);

    /// <summary>Input rows a band of <paramref name="rows"/> output rows reads.</summary>
    protected static int ExpansionRows(in DwConvShape shape, int rows) => Math.Min((rows - 1) * shape.StrideH + shape.KH, shape.H);

    /// <summary>
    /// Output rows per band and bands per image: as many rows as fit <see cref="BandBytes"/> (scratch pixels
    /// <paramref name="stride"/> elements of <paramref name="elementBytes"/> bytes apart), and enough bands to share
    /// among the threads.
    /// </summary>
    protected static (int BandRows, int BandsPerImage) Banding(in DwConvShape shape, bool expand, bool project, int stride, int elementBytes,
        long work, int batch, int threads)
    {
        // Elements one more band row costs: its expansion rows (stride s) and its depthwise row.
        var perRow = (expand ? (long)shape.StrideH * shape.W * stride : 0) + (project ? (long)shape.OW * stride : 0);
        var fixedRows = expand ? (long)Math.Max(shape.KH - shape.StrideH, 0) * shape.W * stride : 0;
        var rows = perRow == 0 ? shape.OH : (int)Math.Clamp((BandBytes / elementBytes - fixedRows) / perRow, 1, shape.OH);
        var bands = Math.Max((shape.OH + rows - 1) / rows, PartsFor(work, threads, shape.OH) / Math.Max(batch, 1));
        bands = Math.Clamp(bands, 1, shape.OH);
        var bandRows = (shape.OH + bands - 1) / bands;
        return (bandRows, (shape.OH + bandRows - 1) / bandRows);
    }

    /// <summary>
    /// Expansion rows computed per row of the image when <paramref name="threads"/> threads share one image's bands: a
    /// part keeps the rows its consecutive bands share, but each part recomputes the k − s rows at its first band's top.
    /// 1 means no waste; a 7×7 map with a 5×5 kernel in four parts of two rows computes 3.4× the expansion.
    /// </summary>
    protected static double ExpansionRecompute(in DwConvShape shape, (int BandRows, int BandsPerImage) banding, long work, int batch, int threads)
    {
        var (bandRows, bandsPerImage) = banding;
        var parts = PartsFor(work, threads, Math.Min(batch * bandsPerImage, MaxParts(threads)));
        var partsPerImage = Math.Max(1, parts / Math.Max(batch, 1));
        if (partsPerImage == 1) return 1;
        var bandsPerPart = (bandsPerImage + partsPerImage - 1) / partsPerImage;
        var rowsPerPart = Math.Min(bandsPerPart * bandRows, shape.OH);
        var parted = (shape.OH + rowsPerPart - 1) / rowsPerPart;
        return (double)parted * ExpansionRows(shape, rowsPerPart) / shape.H;
    }

    /// <summary>The input rows [First, Last) the windows of output rows [r0, r0 + rows) touch, clipped to the image.</summary>
    protected static (int First, int Last) BandInputRows(in DwConvShape shape, int r0, int rows) =>
        (Math.Max(r0 * shape.StrideH - shape.PadTop, 0), Math.Min((r0 + rows - 1) * shape.StrideH - shape.PadTop + shape.KH, shape.H));

    /// <summary>
    /// The expansion rows one thread's scratch holds across the consecutive bands it computes: rows [First, End) of
    /// image Image, First at the top of the scratch.
    /// </summary>
    protected struct ExpansionWindow()
    {
        private int _image = -1, _first, _end;

        /// <summary>
        /// Makes the scratch hold rows [<paramref name="first"/>, <paramref name="last"/>) of image <paramref name="n"/>:
        /// the rows shared with the previous band are moved to the top (the k − s rows of a window's overlap are never
        /// recomputed), and the rows still to compute, [From, last), returned with the image row now at the top.
        /// </summary>
        public unsafe (int From, int Top) Advance(int n, int first, int last, byte* scratch, long rowBytes, long capacityBytes)
        {
            if (_image == n && first >= _first && first < _end)
            {
                Buffer.MemoryCopy(scratch + (first - _first) * rowBytes, scratch, capacityBytes, (_end - first) * rowBytes);
                _first = first;
            }
            else
            {
                _image = n;
                _first = _end = first;
            }
            var from = _end;
            _end = last;
            return (from, _first);
        }
    }
}
