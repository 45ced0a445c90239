using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// The code paths of the int8 GEMM (<see cref="Int8Gemm"/>), chosen at run time like <see cref="Isa"/>. They differ in
/// the instruction that multiplies uint8 activations by int8 weights, which decides when the result is exact:
/// <list type="bullet">
/// <item><see cref="V256Vnni"/>: AVX-VNNI <c>vpdpbusd</c> on 256-bit registers (4 u8·s8 products summed straight into
/// int32, no saturation): exact for every weight in −128..127.</item>
/// <item><see cref="V512"/>: AVX-512BW <c>vpmaddubsw</c> (u8·s8 pairs summed into int16, saturating) then
/// <c>vpmaddwd</c> by 1 into int32. A pair a0·w0 + a1·w1 with a ∈ [0, 255] saturates unless the weights of the same
/// sign in the pair sum to at most 128 in magnitude (255·128 = 32640 ≤ 32767 &lt; 255·129), which every 7-bit weight
/// (−64..63) satisfies and full-range weights often do not. <see cref="PackedInt8Matrix.PairSafe"/> records it at pack
/// time; when it fails, the same path multiplies exactly in int16 instead (<c>vpmaddwd</c> on activations and weights
/// widened to int16: products ≤ 255·128, pair sums ≤ 65280, never saturating), at about two thirds of the speed.</item>
/// <item><see cref="V256"/>: the same two variants with AVX2 on 256-bit registers.</item>
/// <item><see cref="Scalar"/>: plain int32 arithmetic, exact.</item>
/// </list>
/// .NET 10 exposes no 512-bit VNNI on processors without AVX10 (Zen 4 and Zen 5 have AVX512_VNNI, but only
/// <see cref="AvxVnni"/>, the VEX form, is reachable, and Zen 4 lacks that one), hence no V512 VNNI path.
/// Every path gives bit-identical outputs: the accumulators are exact integers and the epilogue
/// (<see cref="Requantize"/>) performs the same float operations on every tier.
/// </summary>
public enum Int8Isa
{
    Scalar,
    V256,
    V512,
    V256Vnni,
}

public static class Int8Caps
{
    /// <summary>Whether this process can run <paramref name="isa"/> (the JIT honours DOTNET_EnableAVX512 and friends).</summary>
    public static bool Supports(Int8Isa isa) => isa switch
    {
        Int8Isa.Scalar => true,
        Int8Isa.V256 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported,
        Int8Isa.V512 => Vector512.IsHardwareAccelerated && Avx512BW.IsSupported && Avx512F.VL.IsSupported && Fma.IsSupported,
        Int8Isa.V256Vnni => Vector256.IsHardwareAccelerated && AvxVnni.IsSupported && Avx2.IsSupported && Fma.IsSupported,
        _ => false,
    };

    /// <summary>
    /// The default path for weights nothing is known about: VNNI when the processor has it (exact for any weights at
    /// full speed), else the widest <c>vpmaddubsw</c> path. <see cref="BestFor"/> refines it per matrix.
    /// </summary>
    public static Int8Isa Best { get; } =
        Supports(Int8Isa.V256Vnni) ? Int8Isa.V256Vnni
        : Supports(Int8Isa.V512) ? Int8Isa.V512
        : Supports(Int8Isa.V256) ? Int8Isa.V256
        : Int8Isa.Scalar;

    /// <summary>
    /// The fastest exact path for an N×K matrix whose weights are (or are not) <see cref="PackedInt8Matrix.PairSafe"/>,
    /// as measured on Zen 5 (bench int8-kernels): where its 16-column registers are nearly full, the 512-bit
    /// <c>vpmaddubsw</c> form is 3–8 % faster than 256-bit VNNI on pair-safe weights, and its 8×32 tiles, fewer per
    /// output, win on short K (K = 32: 1.2–1.5× VNNI) even in the exact int16 form; elsewhere VNNI is a quarter faster
    /// than the int16 form, and on N = 24 (a 32-wide panel a quarter empty) VNNI wins either way. Without VNNI (Zen 4)
    /// the 512-bit path; without AVX-512 VNNI, then AVX2.
    /// </summary>
    public static Int8Isa BestFor(int n, int k, bool pairSafe)
    {
        var padded = (n + 15) / 16 * 16;
        var full = 8 * (padded - n) <= padded;
        if (Supports(Int8Isa.V512) && (!Supports(Int8Isa.V256Vnni) || (full && (pairSafe || k <= 48))))
            return Int8Isa.V512;
        return Best;
    }

    /// <summary>Every path this process can run (for tests and benchmarks).</summary>
    public static IEnumerable<Int8Isa> Available => Enum.GetValues<Int8Isa>().Where(Supports);

    /// <summary>The requested path when this process supports it, else <see cref="Best"/>.</summary>
    public static Int8Isa Effective(Int8Isa requested) => Supports(requested) ? requested : Best;

    /// <summary>The ISA word of kernel ids: "scalar", "v256", "v512", "v256vnni".</summary>
    public static string Word(this Int8Isa isa) => isa.ToString().ToLowerInvariant();

    /// <summary>
    /// The width tier of the int8 kernels other than the GEMM (depthwise, element-wise, pooling), which use
    /// <see cref="Isa"/>: V512 additionally needs AVX-512BW for its byte operations, and they have no 128-bit paths, so
    /// V128 runs them on the scalar tier (the channel gather's byte unpacks, written for SSE2 and AdvSimd alike, are
    /// the exception and check for themselves).
    /// </summary>
    internal static Isa Effective(Isa requested) => KernelGuard.Effective(requested) switch
    {
        Isa.V512 when !(Avx512BW.IsSupported && Avx512F.VL.IsSupported) => Isa.V256,
        Isa.V128 => Isa.Scalar,
        var isa => isa,
    };

    /// <summary>One line for logs and benchmark headers.</summary>
    public static string Describe() =>
        $"int8 best={Best.Word()} (AVX-VNNI {AvxVnni.IsSupported}, AVX-512BW {Avx512BW.IsSupported}, AVX2 {Avx2.IsSupported}, " +
        $"AVX-512VBMI {Avx512Vbmi.IsSupported})";
}
