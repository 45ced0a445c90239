using LightNets.Runtime.Kernels.Cpu;
using LightNets.Runtime.Kernels.Cpu.Gemm;
using LightNets.Runtime.Threading;

namespace LightNets.Training.Kernels.Cpu.Gemm;

/// <summary>How a product's B operand is stored.</summary>
internal enum BLayout
{
    /// <summary>B = Wᵀ with W [N, K], row j at b + j·ldb: PyTorch's [out, in] weights in the forward product.</summary>
    OutputMajor,

    /// <summary>B [K, N] row-major, row k at b + k·ldb: the same weights in the backward-data product.</summary>
    RowMajor,
}

/// <summary>A matrix whose rows are made on demand (im2col): a product materializes each block of rows into scratch just before using it.</summary>
internal unsafe interface IRowSource
{
    /// <summary>Rows [<paramref name="first"/>, first + <paramref name="count"/>) at dst, row r at dst + (r − first)·ld.</summary>
    void Rows(int first, int count, float* dst, nint ld);
}

/// <summary>Where a product's rows go instead of a C matrix (col2im): each computed block is handed over, then its scratch reused.</summary>
internal unsafe interface IRowSink
{
    /// <summary>Consumes rows [<paramref name="first"/>, first + <paramref name="count"/>), row r at src + (r − first)·ld.</summary>
    void Add(int first, int count, float* src, nint ld);
}

/// <summary>
/// The two matrix products of training on NHWC activations (M = N·H·W pixel rows) and PyTorch-layout weights:
/// <list type="bullet">
/// <item><c>Product</c>: C[M, N] (+)= A[M, K]·B + bias, B = Wᵀ (forward: y = x·Wᵀ) or B = W (backward-data:
/// dx = dy·W). B is packed per call into scratch and the inference micro-kernels (<see cref="GemmKernel"/>) run
/// unchanged; M is split across threads (or N's panels when M is short), which never changes an element's arithmetic.</item>
/// <item><see cref="Reduction"/>: C[N1, N2] = Σ_p A[p, N1]ᵀ·B[p, N2] (backward-weight: dW = dyᵀ·x), reading both
/// operands in place with <see cref="ReductionTile"/>. The sum over p is cut into segments fixed by the shape
/// (<see cref="Partition.ReductionSegments"/>), each summed in p order into its own partial, the partials added in
/// segment order: bit-identical for any thread count.</item>
/// </list>
/// A product's A may be an <see cref="IRowSource"/> and its C an <see cref="IRowSink"/>, a reduction's B an
/// <see cref="IRowSource"/>: that is how im2col convolutions run without materializing the whole column matrix. The
/// parallel work items are created once per instance and reused, so a call allocates nothing; an instance serves one
/// call at a time (like the <see cref="TrainContext"/> it runs on).
/// </summary>
internal sealed unsafe class TrainGemm
{
    private readonly PackWork _pack = new();
    private readonly ProductWork _product = new();
    private readonly ReductionWork _reduction = new();
    private readonly SumPartialsWork _sum = new();

    /// <summary>
    /// How a product is cut and the scratch it needs: B's packed panels and padded bias, and with a row source or sink
    /// one block of rows per part. Rows are split in multiples of <see cref="RowGrain"/> (whole images for a sink, whose
    /// blocks of different parts must not touch the same output).
    /// </summary>
    public readonly struct ProductPlan
    {
        public ProductPlan(int m, int n, int k, Isa isa, int threads, int sourceColumns = 0, bool sink = false, int rowGrain = 0)
        {
            M = m;
            N = n;
            K = k;
            Isa = isa;
            Layout = new PanelLayout(k, n, isa);
            Tile = GemmKernel.TileRows(isa);
            RowGrain = rowGrain > 0 ? rowGrain : Tile;
            Source = sourceColumns > 0;
            Sink = sink;
            // Few rows (FC layers, 1×1 maps): split B's panels, each part packing its own. Not with a sink or source,
            // whose blocks are per part.
            SplitPanels = !Source && !Sink && m < 4 * 8 * Tile;
            // Rows per GemmKernel call: an A block of about 128 KB, reused from L2 across all of B's panels.
            BlockRows = Math.Max(Tile, Math.Min(512, 32768 / Math.Max(k, 1)) / Tile * Tile);
            var work = (long)m * n * Math.Max(k, 1);
            Parts = SplitPanels
                ? Partition.Parts(work, threads, Layout.Panels)
                : Partition.Parts(work, threads, Math.Max(1, (m + RowGrain - 1) / RowGrain));
            PackParts = SplitPanels ? Parts : Partition.Parts(Layout.DataFloats * 8, threads, Layout.Panels);
            SourceStride = Source ? (nint)Partition.Align(sourceColumns) : 0;
            SinkStride = Sink ? (nint)Partition.Align(n) : 0;
            PanelFloats = Partition.Align(Layout.DataFloats) + Partition.Align(Layout.PaddedWidth);
            BlockFloats = (long)BlockRows * (SourceStride + SinkStride);
            ScratchFloats = PanelFloats + Parts * BlockFloats;
        }

        public int M { get; }
        public int N { get; }
        public int K { get; }
        public Isa Isa { get; }
        public PanelLayout Layout { get; }
        public int Tile { get; }
        public int RowGrain { get; }
        public bool Source { get; }
        public bool Sink { get; }
        public bool SplitPanels { get; }
        public int BlockRows { get; }
        public int Parts { get; }
        public int PackParts { get; }
        public nint SourceStride { get; }
        public nint SinkStride { get; }
        public long PanelFloats { get; }
        public long BlockFloats { get; }
        public long ScratchFloats { get; }
    }

    /// <summary>Scratch floats of a plain <c>Product</c> (no source or sink).</summary>
    public static long ProductScratch(int k, int n, Isa isa)
    {
        var l = new PanelLayout(k, n, isa);
        return Partition.Align(l.DataFloats) + Partition.Align(l.PaddedWidth);
    }

    /// <summary>
    /// C[m, n] = A·B + bias, or C += A·B + bias when <paramref name="accumulate"/>; A row r at a + r·lda, C row r at
    /// c + r·ldc, B as <paramref name="layout"/> says; <paramref name="bias"/> holds n values or is null.
    /// <paramref name="scratch"/> holds <see cref="ProductScratch"/> floats, 64-byte aligned.
    /// </summary>
    public void Product(TrainContext ctx, BLayout layout, int m, int n, int k, float* a, nint lda, float* b, nint ldb, float* bias,
        float* c, nint ldc, bool accumulate, float* scratch) =>
        Product(ctx, new ProductPlan(m, n, k, ctx.Isa, ctx.Threads), layout, a, lda, null, b, ldb, bias, c, ldc, accumulate, null, scratch);

    /// <summary>
    /// The product of <paramref name="plan"/>: as the plain overload, with A's rows made by <paramref name="source"/>
    /// when it is not null (then <paramref name="a"/> is unused) and C's rows handed to <paramref name="sink"/> when it
    /// is not null (then <paramref name="c"/> is unused). <paramref name="scratch"/> holds the plan's
    /// <see cref="ProductPlan.ScratchFloats"/> floats, 64-byte aligned.
    /// </summary>
    public void Product(TrainContext ctx, in ProductPlan plan, BLayout layout, float* a, nint lda, IRowSource? source, float* b, nint ldb,
        float* bias, float* c, nint ldc, bool accumulate, IRowSink? sink, float* scratch)
    {
        if (plan.M <= 0 || plan.N <= 0) return;
        var l = plan.Layout;
        var packedBias = scratch + Partition.Align(l.DataFloats);
        PanelPacking.Bias(l, bias, packedBias);
        _pack.Set(l, layout, b, ldb, scratch);
        var p = _product;
        p.Plan = plan;
        p.Panels = l.Set(scratch, packedBias);
        p.Args = new GemmArgs { A = a, Lda = lda, C = c, Ldc = ldc, Residual = accumulate ? c : null, Ldr = ldc, Activation = FusedActivation.None };
        p.Source = source;
        p.Sink = sink;
        p.Blocks = scratch + plan.PanelFloats;
        if (plan.SplitPanels)
        {
            p.Pack = _pack;
            ctx.Run(p, plan.Parts);
        }
        else
        {
            p.Pack = null;
            ctx.Run(_pack, plan.PackParts);
            ctx.Run(p, plan.Parts);
        }
        p.Source = null;
        p.Sink = null;
    }

    /// <summary>
    /// How a reduction product is cut: <see cref="Segments"/> (shape only) × <see cref="Groups"/> of output tiles
    /// (which may follow the thread count), the rows summed per chunk, and the scratch it needs.
    /// </summary>
    public readonly struct ReductionPlan
    {
        public ReductionPlan(int m, int n1, int n2, Isa isa, int threads, bool source = false)
        {
            M = m;
            N1 = n1;
            N2 = n2;
            Isa = isa;
            Source = source;
            Main = PackedMatrix.MainWidth(isa);
            var tileRows = ReductionTile.TileRows(isa);
            RowTiles = (n1 + tileRows - 1) / tileRows;
            Panels = (n2 + Main - 1) / Main;
            Tiles = RowTiles * Panels;
            // Segments from a tier-independent count of 8×32 tiles: many tiles already give every thread work.
            var referenceTiles = (long)((n1 + 7) / 8) * ((n2 + 31) / 32);
            Segments = Partition.ReductionSegments(m, (int)Math.Min(16, 16 / Math.Max(1, referenceTiles)));
            var target = Partition.Parts((long)m * n1 * n2, threads, int.MaxValue);
            // A source is materialized once per chunk and part: each part takes whole segments' tiles, not a share.
            Groups = source ? 1 : Math.Clamp((target + Segments - 1) / Segments, 1, Tiles);
            Chunk = Math.Min(256, Math.Max(1, m));
            // Rows of B as the tiles read them: in place, or materialized with a padded stride. A last panel whose width
            // is not a multiple of 8 read in place is copied per chunk (see ReductionTile), one buffer per part.
            TailCopy = !source && isa != Isa.Scalar && n2 % 8 != 0;
            SourceStride = source ? (nint)Partition.Align(n2) : 0;
            PartialFloats = (long)(Segments - 1) * n1 * n2;
            var perPart = source ? Chunk * (long)SourceStride : TailCopy ? (long)Chunk * Main : 0;
            ScratchFloats = Partition.Align(PartialFloats) + Segments * Groups * perPart;
        }

        public int M { get; }
        public int N1 { get; }
        public int N2 { get; }
        public Isa Isa { get; }
        public bool Source { get; }
        public int Main { get; }
        public int RowTiles { get; }
        public int Panels { get; }
        public int Tiles { get; }
        public int Segments { get; }
        public int Groups { get; }
        public int Chunk { get; }
        public bool TailCopy { get; }
        public nint SourceStride { get; }
        public long PartialFloats { get; }
        public long ScratchFloats { get; }
        public int Parts => Segments * Groups;

        public int Width(int panel) => panel == Panels - 1 ? (N2 - panel * Main + 7) / 8 * 8 : Main;
    }

    /// <summary>
    /// C[n1, n2] = Σ_{p &lt; m} A[p, ·]ᵀ·B[p, ·] (overwritten): A row p at a + p·lda (n1 values), B row p at b + p·ldb
    /// (n2 values) or made by <paramref name="source"/> (then the plan must say so), C row i at c + i·ldc.
    /// <paramref name="scratch"/> holds <see cref="ReductionPlan.ScratchFloats"/> floats of the plan made for this call's
    /// shape and context.
    /// </summary>
    public void Reduction(TrainContext ctx, in ReductionPlan plan, float* a, nint lda, float* b, nint ldb, IRowSource? source, float* c,
        nint ldc, float* scratch)
    {
        if (plan.N1 <= 0 || plan.N2 <= 0) return;
        if (plan.Source != source is not null) throw new ArgumentException("the reduction plan and the call disagree on B's source", nameof(source));
        if (plan.M <= 0)
        {
            for (var i = 0; i < plan.N1; i++) new Span<float>(c + i * ldc, plan.N2).Clear();
            return;
        }
        var r = _reduction;
        r.Plan = plan;
        r.A = a;
        r.Lda = lda;
        r.B = b;
        r.Ldb = ldb;
        r.Source = source;
        r.C = c;
        r.Ldc = ldc;
        r.Partials = scratch;
        r.Buffers = scratch + Partition.Align(plan.PartialFloats);
        ctx.Run(r, plan.Parts);
        r.Source = null;
        if (plan.Segments == 1) return;
        var s = _sum;
        s.C = c;
        s.Ldc = ldc;
        s.Partials = scratch;
        s.Rows = plan.N1;
        s.Columns = plan.N2;
        s.Count = plan.Segments - 1;
        ctx.Run(s, Partition.Parts(plan.PartialFloats, ctx.Threads, plan.N1));
    }

    /// <summary>Packs B's panels, split by panel.</summary>
    private sealed class PackWork : IParallelWork
    {
        private PanelLayout _layout;
        private BLayout _kind;
        private float* _b;
        private nint _ldb;
        private float* _dst;

        public void Set(in PanelLayout layout, BLayout kind, float* b, nint ldb, float* dst)
        {
            _layout = layout;
            _kind = kind;
            _b = b;
            _ldb = ldb;
            _dst = dst;
        }

        public void Execute(int part, int parts)
        {
            var (first, end) = Partition.Share(_layout.Panels, part, parts);
            Pack(first, end);
        }

        public void Pack(int first, int end)
        {
            if (_kind == BLayout.OutputMajor) PanelPacking.FromOutputMajor(_layout, _b, _ldb, _dst, first, end);
            else PanelPacking.FromRowMajor(_layout, _b, _ldb, _dst, first, end);
        }
    }

    private sealed class ProductWork : IParallelWork
    {
        public ProductPlan Plan;
        public PanelSet Panels;
        public GemmArgs Args;
        public IRowSource? Source;
        public IRowSink? Sink;
        public float* Blocks;
        public PackWork? Pack;

        public void Execute(int part, int parts)
        {
            var plan = Plan;
            var panels = plan.Layout.Panels;
            if (plan.SplitPanels)
            {
                var (first, end) = Partition.Share(panels, part, parts);
                Pack?.Pack(first, end);
                GemmKernel.Run(Panels, Args, 0, plan.M, first, end, plan.Isa);
                return;
            }
            var (start, stop) = Partition.Share(plan.M, part, parts, plan.RowGrain);
            var block = Blocks + part * plan.BlockFloats;
            for (var row = start; row < stop; row += plan.BlockRows)
            {
                var count = Math.Min(stop - row, plan.BlockRows);
                var args = Args;
                if (Source is null) args.A += row * args.Lda;
                else
                {
                    Source.Rows(row, count, block, plan.SourceStride);
                    args.A = block;
                    args.Lda = plan.SourceStride;
                }
                if (Sink is null)
                {
                    args.C += row * args.Ldc;
                    if (args.Residual != null) args.Residual += row * args.Ldr;
                }
                else
                {
                    args.C = block + plan.BlockRows * plan.SourceStride;
                    args.Ldc = plan.SinkStride;
                    args.Residual = null;
                }
                GemmKernel.Run(Panels, args, 0, count, 0, panels, plan.Isa);
                Sink?.Add(row, count, args.C, plan.SinkStride);
            }
        }
    }

    private sealed class ReductionWork : IParallelWork
    {
        public ReductionPlan Plan;
        public float* A;
        public nint Lda;
        public float* B;
        public nint Ldb;
        public IRowSource? Source;
        public float* C;
        public nint Ldc;
        public float* Partials;
        public float* Buffers;

        public void Execute(int part, int parts)
        {
            var plan = Plan;
            var segment = part / plan.Groups;
            var (m0, m1) = Partition.Share(plan.M, segment, plan.Segments);
            var dst = segment == 0 ? C : Partials + (segment - 1) * (nint)plan.N1 * plan.N2;
            var ldd = segment == 0 ? Ldc : plan.N2;
            var (t0, t1) = Partition.Share(plan.Tiles, part % plan.Groups, plan.Groups);
            var rowsPerTile = plan.N1 / plan.RowTiles;
            var longer = plan.N1 % plan.RowTiles;
            var buffer = Buffers + (nint)part * plan.Chunk * (plan.Source ? plan.SourceStride : plan.Main);
            if (m0 == m1)
            {
                // An empty segment still owns its partial (or C): it contributes zeros.
                for (var t = t0; t < t1; t++)
                {
                    var (row, rows, col0, cols, _) = TileAt(plan, t, rowsPerTile, longer);
                    for (var r = row; r < row + rows; r++) new Span<float>(dst + r * ldd + col0, cols).Clear();
                }
                return;
            }
            for (var p0 = m0; p0 < m1; p0 += plan.Chunk)
            {
                var kc = Math.Min(plan.Chunk, m1 - p0);
                var accumulate = p0 != m0;
                var rowsB = B + p0 * Ldb;
                var ldb = Ldb;
                if (Source is not null)
                {
                    Source.Rows(p0, kc, buffer, plan.SourceStride);
                    rowsB = buffer;
                    ldb = plan.SourceStride;
                }
                var copied = false;
                for (var t = t0; t < t1; t++)
                {
                    var (row, rows, col0, cols, width) = TileAt(plan, t, rowsPerTile, longer);
                    var bp = rowsB + col0;
                    var ldp = ldb;
                    if (plan.TailCopy && col0 + plan.Main >= plan.N2)
                    {
                        if (!copied) CopyTail(bp, ldb, buffer, kc, cols, width);
                        copied = true;
                        bp = buffer;
                        ldp = width;
                    }
                    ReductionTile.Tile(plan.Isa, width, rows, kc, A + p0 * Lda + row, Lda, bp, ldp, dst + row * ldd + col0, ldd, cols, accumulate);
                }
            }
        }

        /// <summary>Tile t of the output, panel-major (consecutive tiles share B's panel): its rows and columns.</summary>
        private static (int Row, int Rows, int Col0, int Cols, int Width) TileAt(in ReductionPlan plan, int t, int rowsPerTile, int longer)
        {
            var panel = t / plan.RowTiles;
            var rt = t % plan.RowTiles;
            var col0 = panel * plan.Main;
            var width = plan.Width(panel);
            return (rt * rowsPerTile + Math.Min(rt, longer), rowsPerTile + (rt < longer ? 1 : 0), col0, Math.Min(width, plan.N2 - col0), width);
        }

        private static void CopyTail(float* src, nint lds, float* dst, int rows, int cols, int width)
        {
            for (var p = 0; p < rows; p++)
            {
                var d = new Span<float>(dst + p * width, width);
                new ReadOnlySpan<float>(src + p * lds, cols).CopyTo(d);
                d[cols..].Clear();
            }
        }
    }

    /// <summary>C += partial 1 + partial 2 + … in segment order, split by rows of C.</summary>
    private sealed class SumPartialsWork : IParallelWork
    {
        public float* C;
        public nint Ldc;
        public float* Partials;
        public int Rows;
        public int Columns;
        public int Count;

        public void Execute(int part, int parts)
        {
            var (start, end) = Partition.Share(Rows, part, parts);
            var size = (nint)Rows * Columns;
            for (var i = start; i < end; i++)
            {
                for (var s = 0; s < Count; s++) VectorMath.AddInPlace(C + i * Ldc, Partials + s * size + (nint)i * Columns, Columns);
            }
        }
    }
}
