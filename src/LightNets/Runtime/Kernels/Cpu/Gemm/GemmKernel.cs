using V512x32 = LightNets.Runtime.Kernels.Cpu.Gemm.TwoRegisters<System.Runtime.Intrinsics.Vector512<float>, LightNets.Runtime.Kernels.Cpu.Simd512>;
using V512x16 = LightNets.Runtime.Kernels.Cpu.Gemm.OneRegister<System.Runtime.Intrinsics.Vector512<float>, LightNets.Runtime.Kernels.Cpu.Simd512>;
using V256x16 = LightNets.Runtime.Kernels.Cpu.Gemm.TwoRegisters<System.Runtime.Intrinsics.Vector256<float>, LightNets.Runtime.Kernels.Cpu.Simd256>;
using V256x8 = LightNets.Runtime.Kernels.Cpu.Gemm.OneRegister<System.Runtime.Intrinsics.Vector256<float>, LightNets.Runtime.Kernels.Cpu.Simd256>;
using V128x16 = LightNets.Runtime.Kernels.Cpu.Gemm.FourRegisters<System.Runtime.Intrinsics.Vector128<float>, LightNets.Runtime.Kernels.Cpu.Simd128>;
using V128x8 = LightNets.Runtime.Kernels.Cpu.Gemm.TwoRegisters<System.Runtime.Intrinsics.Vector128<float>, LightNets.Runtime.Kernels.Cpu.Simd128>;

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
        Isa.V512 => 8,
        Isa.V256 => 6,
        // 6 rows × four 4-lane registers: 24 accumulators, 4 panel registers and a broadcast, which needs the 32 vector
        // registers of ARM64 (and of x86 with AVX-512VL); with 16 registers, 3 rows (12 + 4 + 1).
        Isa.V128 => Simd128.Registers >= 32 ? 6 : 3,
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
        var linesPerTile = g.Prefetch == null || !Prefetch.IsSupported ? 0 : (g.PrefetchBytes / 64 + tiles - 1) / tiles;
        var prefetched = g.Prefetch;
        var prefetchEnd = g.Prefetch + g.PrefetchBytes;
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
                    Prefetch.ToL2(prefetched);
                var output = new TileOutput(c, g.Ldc, res, g.Ldr, nValid);
                switch (isa, nr)
                {
                    case (Isa.V512, 32): GemmTile.Run<TAct, TK, V512x32>(k, a, g.Lda, g.KIndex, bp, bias + col, output, rows); break;
                    case (Isa.V512, 24): GemmTile.Run<TAct, TK, WideNarrow>(k, a, g.Lda, g.KIndex, bp, bias + col, output, rows); break;
                    case (Isa.V512, 16): GemmTile.Run<TAct, TK, V512x16>(k, a, g.Lda, g.KIndex, bp, bias + col, output, rows); break;
                    case (Isa.V256, 16): GemmTile.Run<TAct, TK, V256x16>(k, a, g.Lda, g.KIndex, bp, bias + col, output, rows); break;
                    case (Isa.V512 or Isa.V256, 8): GemmTile.Run<TAct, TK, V256x8>(k, a, g.Lda, g.KIndex, bp, bias + col, output, rows); break;
                    case (Isa.V128, 16): GemmTile.Run<TAct, TK, V128x16>(k, a, g.Lda, g.KIndex, bp, bias + col, output, rows); break;
                    case (Isa.V128, 8): GemmTile.Run<TAct, TK, V128x8>(k, a, g.Lda, g.KIndex, bp, bias + col, output, rows); break;
                    default: GemmTileScalar.Tile<TAct, TK>(k, a, g.Lda, g.KIndex, bp, bias + col, output, rows, nr); break;
                }
            }
        }
    }
}
