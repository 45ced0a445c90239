using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu;

/// <summary>
/// Layout conversion at the model's boundary: the graph's tensors are NCHW, the runtime's activations NHWC. Values are
/// copied bit for bit; the buffers must not overlap.
/// <para>
/// Both directions are a per-image transpose of a C × (H·W) matrix. The vector tiers move 8×8 tiles through registers
/// (AVX: eight 8-float loads, an unpack/shuffle/lane-permute network, eight 8-float stores) so both sides are read and
/// written in runs of 32 bytes; the V512 tier uses the same tiles, since a conversion runs once per inference on the
/// input image (C = 3, below a tile, handled by the scalar edge loops) and the output. Edges that do not fill a tile
/// are copied element by element.
/// </para>
/// </summary>
public static unsafe class Layout
{
    /// <summary>
    /// <c>x32-nchw2nhwc__&lt;isa&gt;</c>: <c>dst[n, y, x, c] = src[n, c, y, x]</c>, destination pixels
    /// <paramref name="dstPixelStride"/> floats apart (≥ C) and images H·W·dstPixelStride floats apart.
    /// </summary>
    public static void NchwToNhwc(float* src, int batch, int channels, int height, int width, float* dst, int dstPixelStride, Isa isa)
    {
        Check(src, dst, batch, channels, height, width, dstPixelStride);
        long plane = (long)height * width;
        var effective = KernelGuard.Effective(isa);
        if (channels == 3 && dstPixelStride == 3 && effective != Isa.Scalar)
        {
            for (var n = 0; n < batch; n++) InterleaveRgb(src + n * 3 * plane, (int)plane, dst + n * 3 * plane, effective);
            return;
        }
        for (var n = 0; n < batch; n++)
            Transpose(src + n * channels * plane, channels, (int)plane, (int)plane, dst + n * plane * dstPixelStride, dstPixelStride, isa);
    }

    /// <summary>
    /// <c>x32-nhwc2nchw__&lt;isa&gt;</c>: <c>dst[n, c, y, x] = src[n, y, x, c]</c>, source pixels
    /// <paramref name="srcPixelStride"/> floats apart (≥ C) and images H·W·srcPixelStride floats apart.
    /// </summary>
    public static void NhwcToNchw(float* src, int srcPixelStride, int batch, int channels, int height, int width, float* dst, Isa isa)
    {
        Check(src, dst, batch, channels, height, width, srcPixelStride);
        long plane = (long)height * width;
        for (var n = 0; n < batch; n++)
            Transpose(src + n * plane * srcPixelStride, (int)plane, channels, srcPixelStride, dst + n * channels * plane, (int)plane, isa);
    }

    private static void Check(float* src, float* dst, int batch, int channels, int height, int width, int pixelStride)
    {
        KernelGuard.NotNull(src, nameof(src));
        KernelGuard.NotNull(dst, nameof(dst));
        KernelGuard.That(batch >= 1 && channels >= 1 && height >= 1 && width >= 1,
            $"needs positive sizes, got {batch}×{channels}×{height}×{width}", nameof(batch));
        KernelGuard.That(pixelStride >= channels, $"pixel stride {pixelStride} must hold the {channels} channels", nameof(pixelStride));
    }

    /// <summary>
    /// dst[j·dstRow + i] = src[i·srcRow + j] for i &lt; rows, j &lt; cols. NCHW → NHWC: rows are channels (srcRow = H·W),
    /// columns pixels (dstRow = pixel stride); NHWC → NCHW: rows are pixels (srcRow = pixel stride), columns channels.
    /// </summary>
    private static void Transpose(float* src, int rows, int cols, int srcRow, float* dst, int dstRow, Isa isa)
    {
        var r = 0;
        if (KernelGuard.Effective(isa) != Isa.Scalar)
        {
            for (; r + 8 <= rows; r += 8)
            {
                var c = 0;
                for (; c + 8 <= cols; c += 8) Tile8x8(src + (nint)r * srcRow + c, srcRow, dst + (nint)c * dstRow + r, dstRow);
                for (; c < cols; c++)
                {
                    for (var k = 0; k < 8; k++) dst[(nint)c * dstRow + r + k] = src[(nint)(r + k) * srcRow + c];
                }
            }
        }
        // Remaining rows (all of them on the scalar tier): walk the destination in order, 16 columns at a time, so
        // that the strided reads of a block stay within a few cache lines per source row.
        for (var c0 = 0; c0 < cols; c0 += 16)
        {
            var c1 = Math.Min(cols, c0 + 16);
            for (var c = c0; c < c1; c++)
            {
                for (var i = r; i < rows; i++) dst[(nint)c * dstRow + i] = src[(nint)i * srcRow + c];
            }
        }
    }

    /// <summary>
    /// The model input's case, three planes (R, G, B) into dense RGB pixels: <c>dst[3p + k] = plane_k[p]</c>. A
    /// transpose tile would be mostly empty with 3 rows, so the planes are interleaved directly: per 16 pixels (V512)
    /// two two-source permutes build each output register (R and G lanes first, then B); per 8 pixels (V256) each
    /// output register blends three single-source permutes of R, G and B with constant lane masks.
    /// </summary>
    private static void InterleaveRgb(float* src, int pixels, float* dst, Isa isa)
    {
        float* r = src, g = src + pixels, b = src + 2 * pixels;
        var p = 0;
        if (isa == Isa.V512)
        {
            for (; p + 16 <= pixels; p += 16)
            {
                var vr = Avx512F.LoadVector512(r + p);
                var vg = Avx512F.LoadVector512(g + p);
                var vb = Avx512F.LoadVector512(b + p);
                for (var k = 0; k < 3; k++)
                {
                    var rg = Avx512F.PermuteVar16x32x2(vr, RgbFirst[k], vg);
                    Avx512F.Store(dst + 3 * p + 16 * k, Avx512F.PermuteVar16x32x2(rg, RgbSecond[k], vb));
                }
            }
        }
        else
        {
            for (; p + 8 <= pixels; p += 8)
            {
                var vr = Avx.LoadVector256(r + p);
                var vg = Avx.LoadVector256(g + p);
                var vb = Avx.LoadVector256(b + p);
                // Output register k holds elements 8k … 8k + 7; element e is channel e mod 3 of pixel e / 3.
                var i0 = Vector256.Create(0, 0, 0, 1, 1, 1, 2, 2);
                var i1 = Vector256.Create(2, 3, 3, 3, 4, 4, 4, 5);
                var i2 = Vector256.Create(5, 5, 6, 6, 6, 7, 7, 7);
                var o = dst + 3 * p;
                Avx.Store(o, Avx.Blend(Avx.Blend(Avx2.PermuteVar8x32(vr, i0), Avx2.PermuteVar8x32(vg, i0), 0x92), Avx2.PermuteVar8x32(vb, i0), 0x24));
                Avx.Store(o + 8, Avx.Blend(Avx.Blend(Avx2.PermuteVar8x32(vr, i1), Avx2.PermuteVar8x32(vg, i1), 0x24), Avx2.PermuteVar8x32(vb, i1), 0x49));
                Avx.Store(o + 16, Avx.Blend(Avx.Blend(Avx2.PermuteVar8x32(vr, i2), Avx2.PermuteVar8x32(vg, i2), 0x49), Avx2.PermuteVar8x32(vb, i2), 0x92));
            }
        }
        for (; p < pixels; p++)
        {
            dst[3 * p] = r[p];
            dst[3 * p + 1] = g[p];
            dst[3 * p + 2] = b[p];
        }
    }

    /// <summary>
    /// For output register k of <see cref="InterleaveRgb"/> (elements 16k … 16k + 15, element e being channel e mod 3 of
    /// pixel e / 3): lanes of R (index p) and G (16 + p) in the first permute, B (16 + p) in the second, which keeps
    /// the first permute's lanes (index e) for R and G.
    /// </summary>
    private static readonly Vector512<int>[] RgbFirst = RgbIndices(first: true);
    private static readonly Vector512<int>[] RgbSecond = RgbIndices(first: false);

    private static Vector512<int>[] RgbIndices(bool first)
    {
        var result = new Vector512<int>[3];
        var lanes = new int[16];
        for (var k = 0; k < 3; k++)
        {
            for (var e = 0; e < 16; e++)
            {
                int element = 16 * k + e, pixel = element / 3, channel = element % 3;
                lanes[e] = first
                    ? channel switch { 0 => pixel, 1 => 16 + pixel, _ => 0 }
                    : channel == 2 ? 16 + pixel : e;
            }
            result[k] = Vector512.Create(lanes);
        }
        return result;
    }

    /// <summary>
    /// Transposes the 8×8 tile at <paramref name="src"/> (rows <paramref name="srcRow"/> apart) into the tile at
    /// <paramref name="dst"/> (rows <paramref name="dstRow"/> apart): unpacks interleave row pairs, 64-bit shuffles
    /// gather 4×4 quarter-tiles within each 128-bit half, and 128-bit permutes swap the off-diagonal halves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8x8(float* src, nint srcRow, float* dst, nint dstRow)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcRow);
        var r2 = Avx.LoadVector256(src + 2 * srcRow);
        var r3 = Avx.LoadVector256(src + 3 * srcRow);
        var r4 = Avx.LoadVector256(src + 4 * srcRow);
        var r5 = Avx.LoadVector256(src + 5 * srcRow);
        var r6 = Avx.LoadVector256(src + 6 * srcRow);
        var r7 = Avx.LoadVector256(src + 7 * srcRow);

        // t0 = r0₀ r1₀ r0₁ r1₁ | r0₄ r1₄ r0₅ r1₅, and so on.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        // s0 = column 0 of rows 0–3 | column 4 of rows 0–3, and so on.
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstRow, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * dstRow, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * dstRow, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * dstRow, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * dstRow, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * dstRow, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * dstRow, Avx.Permute2x128(s3, s7, 0x31));
    }
}
