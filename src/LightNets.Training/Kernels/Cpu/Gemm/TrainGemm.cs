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

/// <summary>
/// The three matrix products of training on NHWC activations (M = N·H·W pixel rows) and PyTorch-layout weights:
/// <list type="bullet">
/// <item><see cref="Product"/>: C[M, N] (+)= A[M, K]·B + bias, B = Wᵀ (forward: y = x·Wᵀ) or B = W (backward-data:
/// dx = dy·W). B is packed per call into scratch and the inference micro-kernels (<see cref="GemmKernel"/>) run
/// unchanged; M is split across threads (or N's panels when M is short), which never changes an element's arithmetic.</item>
/// <item><see cref="Reduction"/>: C[N1, N2] = Σ_p A[p, N1]ᵀ·B[p, N2] (backward-weight: dW = dyᵀ·x), reading both
/// operands in place with <see cref="ReductionTile"/>. The sum over p is cut into segments fixed by the shape
/// (<see cref="Partition.ReductionSegments"/>), each summed in p order into its own partial, the partials added in
/// segment order: bit-identical for any thread count.</item>
/// </list>
/// The parallel work items are created once per instance and reused, so a call allocates nothing; an instance serves
/// one call at a time (like the <see cref="TrainContext"/> it runs on).
/// </summary>
internal sealed unsafe class TrainGemm
{
    private readonly PackWork _pack = new();
    private readonly ProductWork _product = new();
    private readonly ReductionWork _reduction = new();
    private readonly SumPartialsWork _sum = new();

    /// <summary>Rows below which a product splits N's panels across threads rather than M (as the inference GemmStep).</summary>
    private static int PanelSplitRows(Isa isa) => 4 * 8 * GemmKernel.TileRows(isa);

    /// <summary>Scratch floats <see cref="Product"/> needs: the packed B and its padded bias.</summary>
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
        float* c, nint ldc, bool accumulate, float* scratch)
    {
        if (m <= 0 || n <= 0) return;
        var isa = ctx.Isa;
        var l = new PanelLayout(k, n, isa);
        var packedBias = scratch + Partition.Align(l.DataFloats);
        PanelPacking.Bias(l, bias, packedBias);
        var tile = GemmKernel.TileRows(isa);
        var work = (long)m * n * Math.Max(k, 1);
        _pack.Set(l, layout, b, ldb, scratch);
        var p = _product;
        p.Layout = l;
        p.Panels = l.Set(scratch, packedBias);
        p.Args = new GemmArgs { A = a, Lda = lda, C = c, Ldc = ldc, Residual = accumulate ? c : null, Ldr = ldc, Activation = FusedActivation.None };
        p.Rows = m;
        p.Isa = isa;
        p.Tile = tile;
        p.SplitPanels = m < PanelSplitRows(isa);
        // Rows per GemmKernel call: an A block of about 128 KB, reused from L2 across all of B's panels.
        p.BlockRows = Math.Max(tile, Math.Min(512, 32768 / Math.Max(k, 1)) / tile * tile);
        if (p.SplitPanels)
        {
            // Each part packs the panels it computes.
            p.Pack = _pack;
            ctx.Run(p, Partition.Parts(work, ctx.Threads, l.Panels));
        }
        else
        {
            p.Pack = null;
            ctx.Run(_pack, Partition.Parts(l.DataFloats * 8, ctx.Threads, l.Panels));
            ctx.Run(p, Partition.Parts(work, ctx.Threads, (m + tile - 1) / tile));
        }
    }

    /// <summary>
    /// How a reduction product is cut: <see cref="Segments"/> (shape only) × <see cref="Groups"/> of output tiles
    /// (which may follow the thread count), the rows summed per chunk, and the scratch it needs.
    /// </summary>
    public readonly struct ReductionPlan
    {
        public ReductionPlan(int m, int n1, int n2, Isa isa, int threads)
        {
            M = m;
            N1 = n1;
            N2 = n2;
            Isa = isa;
            Main = PackedMatrix.MainWidth(isa);
            var tileRows = ReductionTile.TileRows(isa);
            RowTiles = (n1 + tileRows - 1) / tileRows;
            Panels = (n2 + Main - 1) / Main;
            Tiles = RowTiles * Panels;
            // Segments from a tier-independent count of 8×32 tiles: many tiles already give every thread work.
            var referenceTiles = (long)((n1 + 7) / 8) * ((n2 + 31) / 32);
            Segments = Partition.ReductionSegments(m, (int)Math.Min(16, 16 / Math.Max(1, referenceTiles)));
            var target = Partition.Parts((long)m * n1 * n2, threads, int.MaxValue);
            Groups = Math.Clamp((target + Segments - 1) / Segments, 1, Tiles);
            Chunk = Math.Min(256, Math.Max(1, m));
            // A last panel whose width is not a multiple of 8 is copied per chunk (see ReductionTile), one buffer per part.
            TailCopy = isa != Isa.Scalar && n2 % 8 != 0;
            PartialFloats = (long)(Segments - 1) * n1 * n2;
            ScratchFloats = Partition.Align(PartialFloats) + (TailCopy ? (long)Parts * Chunk * Main : 0);
        }

        public int M { get; }
        public int N1 { get; }
        public int N2 { get; }
        public Isa Isa { get; }
        public int Main { get; }
        public int RowTiles { get; }
        public int Panels { get; }
        public int Tiles { get; }
        public int Segments { get; }
        public int Groups { get; }
        public int Chunk { get; }
        public bool TailCopy { get; }
        public long PartialFloats { get; }
        public long ScratchFloats { get; }
        public int Parts => Segments * Groups;

        public int Width(int panel) => panel == Panels - 1 ? (N2 - panel * Main + 7) / 8 * 8 : Main;
    }

    /// <summary>
    /// C[n1, n2] = Σ_{p &lt; m} A[p, ·]ᵀ·B[p, ·] (overwritten): A row p at a + p·lda (n1 values), B row p at b + p·ldb
    /// (n2 values), C row i at c + i·ldc. <paramref name="scratch"/> holds <see cref="ReductionPlan.ScratchFloats"/>
    /// floats of the plan made for this call's shape and context.
    /// </summary>
    public void Reduction(TrainContext ctx, in ReductionPlan plan, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, float* scratch)
    {
        if (plan.N1 <= 0 || plan.N2 <= 0) return;
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
        r.C = c;
        r.Ldc = ldc;
        r.Partials = scratch;
        r.Tails = scratch + Partition.Align(plan.PartialFloats);
        ctx.Run(r, plan.Parts);
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
        public PanelLayout Layout;
        public PanelSet Panels;
        public GemmArgs Args;
        public int Rows;
        public Isa Isa;
        public int Tile;
        public int BlockRows;
        public bool SplitPanels;
        public PackWork? Pack;

        public void Execute(int part, int parts)
        {
            if (SplitPanels)
            {
                var (first, end) = Partition.Share(Layout.Panels, part, parts);
                Pack?.Pack(first, end);
                GemmKernel.Run(Panels, Args, 0, Rows, first, end, Isa);
                return;
            }
            var (start, stop) = Partition.Share(Rows, part, parts, Tile);
            for (var row = start; row < stop; row += BlockRows)
                GemmKernel.Run(Panels, Args, row, Math.Min(stop, row + BlockRows), 0, Layout.Panels, Isa);
        }
    }

    private sealed class ReductionWork : IParallelWork
    {
        public ReductionPlan Plan;
        public float* A;
        public nint Lda;
        public float* B;
        public nint Ldb;
        public float* C;
        public nint Ldc;
        public float* Partials;
        public float* Tails;

        public void Execute(int part, int parts)
        {
            var plan = Plan;
            var segment = part / plan.Groups;
            var (m0, m1) = Partition.Share(plan.M, segment, plan.Segments);
            var dst = segment == 0 ? C : Partials + (segment - 1) * (nint)plan.N1 * plan.N2;
            var ldd = segment == 0 ? Ldc : plan.N2;
            var (t0, t1) = Partition.Share(plan.Tiles, part % plan.Groups, plan.Groups);
            var rowTiles = plan.RowTiles;
            var rowsPerTile = plan.N1 / rowTiles;
            var longer = plan.N1 % rowTiles;
            var tail = Tails + (nint)part * plan.Chunk * plan.Main;
            if (m0 == m1)
            {
                // An empty segment still owns its partial (or C): it contributes zeros.
                for (var t = t0; t < t1; t++) Clear(dst, ldd, plan, t, rowsPerTile, longer);
                return;
            }
            for (var p0 = m0; p0 < m1; p0 += plan.Chunk)
            {
                var kc = Math.Min(plan.Chunk, m1 - p0);
                var accumulate = p0 != m0;
                var copied = false;
                for (var t = t0; t < t1; t++)
                {
                    var panel = t / rowTiles;
                    var rt = t % rowTiles;
                    var row = rt * rowsPerTile + Math.Min(rt, longer);
                    var rows = rowsPerTile + (rt < longer ? 1 : 0);
                    var col0 = panel * plan.Main;
                    var width = plan.Width(panel);
                    var cols = Math.Min(width, plan.N2 - col0);
                    var bp = B + p0 * Ldb + col0;
                    var ldb = Ldb;
                    if (plan.TailCopy && panel == plan.Panels - 1)
                    {
                        if (!copied) CopyTail(bp, Ldb, tail, kc, cols, width);
                        copied = true;
                        bp = tail;
                        ldb = width;
                    }
                    ReductionTile.Tile(plan.Isa, width, rows, kc, A + p0 * Lda + row, Lda, bp, ldb, dst + row * ldd + col0, ldd, cols, accumulate);
                }
            }
        }

        private static void Clear(float* dst, nint ldd, in ReductionPlan plan, int t, int rowsPerTile, int longer)
        {
            var panel = t / plan.RowTiles;
            var rt = t % plan.RowTiles;
            var row = rt * rowsPerTile + Math.Min(rt, longer);
            var rows = rowsPerTile + (rt < longer ? 1 : 0);
            var col0 = panel * plan.Main;
            var cols = Math.Min(plan.Width(panel), plan.N2 - col0);
            for (var r = row; r < row + rows; r++) new Span<float>(dst + r * ldd + col0, cols).Clear();
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
