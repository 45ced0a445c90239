namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// C = act(A·B + bias (+ R)) for row-major A (M×K, optionally read through a K index table), a <see cref="PackedMatrix"/>
/// B and row-major C: the 1×1 convolution of an NHWC tensor, the grouped 1×1 convolution (one call per group), the FC
/// layer and the k×k convolution after im2col. Only rows [rowStart, rowEnd), so that callers split M across threads.
/// </summary>
public static unsafe class GemmKernel
{
    /// <summary>Rows per micro-kernel call: the granularity in which callers should split M.</summary>
    public static int TileRows(Isa isa) => isa switch
    {
        Isa.V512 => GemmTileV512.Rows,
        Isa.V256 => GemmTileV256.Rows,
        _ => GemmTileScalar.Rows,
    };

    public static void Run(PackedMatrix b, in GemmArgs args, int rowStart, int rowEnd, Isa isa)
    {
        fixed (float* packed = b.Data)
        fixed (float* bias = b.Bias)
            Run(PanelSet.Of(b, packed, bias), args, rowStart, rowEnd, 0, b.Panels, isa);
    }

    /// <summary>Rows [rowStart, rowEnd) × panels [panelStart, panelEnd) of B given as raw packed panels.</summary>
    public static void Run(in PanelSet b, in GemmArgs args, int rowStart, int rowEnd, int panelStart, int panelEnd, Isa isa)
    {
        if (rowEnd <= rowStart || panelEnd <= panelStart) return;
        if (!CpuCaps.Supports(isa)) throw new PlatformNotSupportedException($"{isa} is not supported on this machine ({CpuCaps.Describe()})");
        if (args.KIndex == null) Dispatch<DenseK>(b, args, rowStart, rowEnd, panelStart, panelEnd, isa);
        else Dispatch<GatheredK>(b, args, rowStart, rowEnd, panelStart, panelEnd, isa);
    }

    private static void Dispatch<TK>(in PanelSet b, in GemmArgs args, int rowStart, int rowEnd, int panelStart, int panelEnd, Isa isa)
        where TK : struct, IKIndex
    {
        switch (args.Activation)
        {
            case FusedActivation.None: Run<IdentityActivation, TK>(b, args, rowStart, rowEnd, panelStart, panelEnd, isa); break;
            case FusedActivation.Relu: Run<ReluActivation, TK>(b, args, rowStart, rowEnd, panelStart, panelEnd, isa); break;
            case FusedActivation.Relu6: Run<Relu6Activation, TK>(b, args, rowStart, rowEnd, panelStart, panelEnd, isa); break;
            case FusedActivation.HardSwish: Run<HardSwishActivation, TK>(b, args, rowStart, rowEnd, panelStart, panelEnd, isa); break;
            case FusedActivation.HardSigmoid: Run<HardSigmoidActivation, TK>(b, args, rowStart, rowEnd, panelStart, panelEnd, isa); break;
            default: throw new ArgumentOutOfRangeException(nameof(args), args.Activation, "unknown activation");
        }
    }

    private static void Run<TAct, TK>(PanelSet b, GemmArgs g, int rowStart, int rowEnd, int panelStart, int panelEnd, Isa isa)
        where TAct : struct, IActivation where TK : struct, IKIndex
    {
        var k = b.K;
        var tile = TileRows(isa);
        var packed = b.Data;
        var bias = b.Bias;
        // Balanced row tiles: as many as 8-row tiles would need, but sharing the rows evenly (49 rows = 7 × 7, not 6 × 8 + 1),
        // so that no tile pays for rows it does not store.
        var rowTiles = (rowEnd - rowStart + tile - 1) / tile;
        var rowsPerTile = (rowEnd - rowStart) / rowTiles;
        var longer = (rowEnd - rowStart) % rowTiles;
        var tiles = (long)(panelEnd - panelStart) * rowTiles;
        var linesPerTile = g.Prefetch == null || !System.Runtime.Intrinsics.X86.Sse.IsSupported ? 0 : (g.PrefetchBytes / 64 + tiles - 1) / tiles;
        var prefetched = g.Prefetch;
        var prefetchEnd = g.Prefetch + g.PrefetchBytes;
        {
            for (var panel = panelStart; panel < panelEnd; panel++)
            {
                var nr = b.Width(panel);
                var col = panel * b.PanelWidth;
                var nValid = Math.Min(nr, b.N - col);
                var bp = packed + b.Offset(panel);
                for (var t = 0; t < rowTiles; t++)
                {
                    var row = rowStart + t * rowsPerTile + Math.Min(t, longer);
                    var rows = rowsPerTile + (t < longer ? 1 : 0);
                    var a = g.A + row * g.Lda;
                    var c = g.C + row * g.Ldc + col;
                    var res = g.Residual == null ? null : g.Residual + row * g.Ldr + col;
                    for (var l = 0L; l < linesPerTile && prefetched < prefetchEnd; l++, prefetched += 64)
                        System.Runtime.Intrinsics.X86.Sse.Prefetch2(prefetched);
                    switch (isa, nr)
                    {
                        case (Isa.V512, 32):
                            Tile32<TAct, TK>(k, a, g.Lda, g.KIndex, bp, bias + col, c, g.Ldc, res, g.Ldr, rows, nValid);
                            break;
                        case (Isa.V512, 24):
                            GemmTileV512Narrow.Tile8x24<TAct, TK>(k, a, g.Lda, g.KIndex, bp, bias + col, c, g.Ldc, res, g.Ldr, rows, nValid);
                            break;
                        case (Isa.V512, 16):
                            GemmTileV512.Tile8x16<TAct, TK>(k, a, g.Lda, g.KIndex, bp, bias + col, c, g.Ldc, res, g.Ldr, rows, nValid);
                            break;
                        case (Isa.V512, 8):
                            GemmTileV512Narrow.Tile8x8<TAct, TK>(k, a, g.Lda, g.KIndex, bp, bias + col, c, g.Ldc, res, g.Ldr, rows, nValid);
                            break;
                        case (Isa.V256, 16):
                            GemmTileV256.Tile6x16<TAct, TK>(k, a, g.Lda, g.KIndex, bp, bias + col, c, g.Ldc, res, g.Ldr, rows, nValid);
                            break;
                        case (Isa.V256, 8):
                            GemmTileV256.Tile6x8<TAct, TK>(k, a, g.Lda, g.KIndex, bp, bias + col, c, g.Ldc, res, g.Ldr, rows, nValid);
                            break;
                        default:
                            GemmTileScalar.Tile<TAct, TK>(k, a, g.Lda, g.KIndex, bp, nr, bias + col, c, g.Ldc, res, g.Ldr, rows, nValid);
                            break;
                    }
                }
            }
        }
    }

    private static void Tile32<TAct, TK>(int k, float* a, nint lda, int* kIndex, float* b, float* bias, float* c, nint ldc,
        float* res, nint ldr, int rows, int nValid) where TAct : struct, IActivation where TK : struct, IKIndex
    {
        switch (rows)
        {
            case 8: GemmTileV512.Tile8x32<TAct, TK, Rows8>(k, a, lda, kIndex, b, bias, c, ldc, res, ldr, nValid); break;
            case 7: GemmTileV512.Tile8x32<TAct, TK, Rows7>(k, a, lda, kIndex, b, bias, c, ldc, res, ldr, nValid); break;
            case 6: GemmTileV512.Tile8x32<TAct, TK, Rows6>(k, a, lda, kIndex, b, bias, c, ldc, res, ldr, nValid); break;
            case 5: GemmTileV512.Tile8x32<TAct, TK, Rows5>(k, a, lda, kIndex, b, bias, c, ldc, res, ldr, nValid); break;
            case 4: GemmTileV512.Tile8x32<TAct, TK, Rows4>(k, a, lda, kIndex, b, bias, c, ldc, res, ldr, nValid); break;
            case 3: GemmTileV512.Tile8x32<TAct, TK, Rows3>(k, a, lda, kIndex, b, bias, c, ldc, res, ldr, nValid); break;
            case 2: GemmTileV512.Tile8x32<TAct, TK, Rows2>(k, a, lda, kIndex, b, bias, c, ldc, res, ldr, nValid); break;
            default: GemmTileV512.Tile1x32<TAct, TK>(k, a, kIndex, b, bias, c, res, nValid); break;
        }
    }
}
