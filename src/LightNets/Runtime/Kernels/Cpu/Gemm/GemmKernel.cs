using LightNets.Runtime.Kernels.Cpu;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// C = act(A·B + bias (+ R)) for row-major A (M×K, row stride lda), a <see cref="PackedMatrix"/> B and row-major C
/// (row stride ldc): the 1×1 convolution of an NHWC tensor, the FC layer, and the stem convolution after im2col.
/// Rows [rowStart, rowEnd) only, so that callers can split M across threads.
/// </summary>
public static unsafe class GemmKernel
{
    public const int TileRows = 8;

    public static void Run(int k, float* a, nint lda, PackedMatrix b, float* c, nint ldc, float* residual, nint ldr,
        int rowStart, int rowEnd, FusedActivation act, Isa isa)
    {
        switch (act)
        {
            case FusedActivation.None: Run<IdentityActivation>(k, a, lda, b, c, ldc, residual, ldr, rowStart, rowEnd, isa); break;
            case FusedActivation.Relu: Run<ReluActivation>(k, a, lda, b, c, ldc, residual, ldr, rowStart, rowEnd, isa); break;
            case FusedActivation.Relu6: Run<Relu6Activation>(k, a, lda, b, c, ldc, residual, ldr, rowStart, rowEnd, isa); break;
            case FusedActivation.HardSwish: Run<HardSwishActivation>(k, a, lda, b, c, ldc, residual, ldr, rowStart, rowEnd, isa); break;
            case FusedActivation.HardSigmoid: Run<HardSigmoidActivation>(k, a, lda, b, c, ldc, residual, ldr, rowStart, rowEnd, isa); break;
        }
    }

    private static void Run<TAct>(int k, float* a, nint lda, PackedMatrix b, float* c, nint ldc, float* residual, nint ldr,
        int rowStart, int rowEnd, Isa isa) where TAct : struct, IActivation
    {
        fixed (float* packed = b.Data)
        fixed (float* bias = b.Bias)
        {
            var nr = b.PanelWidth;
            for (var panel = 0; panel < b.Panels; panel++)
            {
                var col = panel * nr;
                var nValid = Math.Min(nr, b.N - col);
                var bp = packed + (nint)panel * b.PanelStride;
                for (var row = rowStart; row < rowEnd; row += TileRows)
                {
                    var rows = Math.Min(TileRows, rowEnd - row);
                    var res = residual == null ? null : residual + row * ldr + col;
                    GemmTileV512.Tile8x32<TAct>(k, a + row * lda, lda, bp, bias + col, c + row * ldc + col, ldc, res, ldr, rows, nValid);
                }
            }
        }
    }
}
