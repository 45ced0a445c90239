using System.Runtime.InteropServices;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Cpu.Int8;

/// <summary>
/// Bytes whose last one sits just before a page the process may not touch (Linux: mmap with PROT_NONE guard pages on
/// both sides), so that a kernel reading even one byte past the end of its input crashes the test host instead of
/// passing by luck. Elsewhere the bytes are the end of a pinned array (an over-read then goes unnoticed, but the
/// sweep still checks values).
/// </summary>
internal sealed unsafe class GuardedBytes : IDisposable
{
    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;
    private readonly nint _map;
    private readonly nuint _mapLength;
    private readonly byte[]? _array;

    public GuardedBytes(int length)
    {
        Length = length;
        if (OperatingSystem.IsLinux())
        {
            var page = Environment.SystemPageSize;
            var dataPages = (Math.Max(length, 1) + page - 1) / page;
            _mapLength = (nuint)((dataPages + 2) * page);
            _map = Mmap(0, _mapLength, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (_map == -1) throw new InvalidOperationException($"mmap failed: {Marshal.GetLastPInvokeError()}");
            if (Mprotect(_map, (nuint)page, ProtNone) != 0 || Mprotect(_map + (dataPages + 1) * page, (nuint)page, ProtNone) != 0)
                throw new InvalidOperationException($"mprotect failed: {Marshal.GetLastPInvokeError()}");
            Ptr = (byte*)(_map + (dataPages + 1) * page - length);
        }
        else
        {
            _array = GC.AllocateArray<byte>(length, pinned: true);
            fixed (byte* p = _array) Ptr = p;
        }
    }

    public byte* Ptr { get; }

    public int Length { get; }

    public Span<byte> Span => new(Ptr, Length);

    public void Dispose()
    {
        if (_map != 0) _ = Munmap(_map, _mapLength);
    }

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int Mprotect(nint addr, nuint length, int prot);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Munmap(nint addr, nuint length);
}

/// <summary>
/// A pinned output buffer of <c>rows</c> rows of <c>stride</c> elements, with a margin on both sides; everything is
/// first set to a sentinel, and <see cref="AssertOnlyWritten"/> fails if the kernel wrote anywhere outside the
/// columns and rows it was given.
/// </summary>
internal sealed unsafe class SentinelBuffer<T> where T : unmanaged, IEquatable<T>
{
    public const int Margin = 67;
    private readonly T[] _data;
    private readonly T _sentinel;

    public SentinelBuffer(int rows, int stride, T sentinel)
    {
        Rows = rows;
        Stride = stride;
        _sentinel = sentinel;
        _data = GC.AllocateArray<T>(2 * Margin + rows * stride, pinned: true);
        _data.AsSpan().Fill(sentinel);
    }

    public int Rows { get; }
    public int Stride { get; }

    public T* Ptr
    {
        get
        {
            fixed (T* p = _data) return p + Margin;
        }
    }

    public T this[int row, int col] => _data[Margin + row * Stride + col];

    /// <summary>Fails unless every element outside rows [rowStart, rowEnd) × columns [0, columns) still holds the sentinel.</summary>
    public void AssertOnlyWritten(int rowStart, int rowEnd, int columns, string context)
    {
        for (var i = 0; i < _data.Length; i++)
        {
            var k = i - Margin;
            var row = k >= 0 ? k / Stride : -1;
            var col = k >= 0 ? k % Stride : -1;
            var live = k >= 0 && row >= rowStart && row < rowEnd && col < columns;
            if (!live && !_data[i].Equals(_sentinel))
                Assert.Fail($"{context}: element {k} (row {row}, column {col}) outside the output was overwritten");
        }
    }
}

/// <summary>The weight families the sweeps use.</summary>
public enum WeightKind
{
    /// <summary>Uniform over −128..127 with both extremes planted in pairs: vpmaddubsw would saturate.</summary>
    FullRange,

    /// <summary>−64..63, as some quantizers emit to keep vpmaddubsw exact; the extremes planted.</summary>
    SevenBit,

    /// <summary>Full-range values in pairs that are exactly at the edge of int16 safety (64+64, −128+0, 127+1).</summary>
    PairSafeExtremes,
}

internal static class Int8TestData
{
    /// <summary>Uniform bytes in [lo, hi].</summary>
    public static void Fill(Rng rng, Span<byte> dst, int lo = 0, int hi = 255)
    {
        for (var i = 0; i < dst.Length; i++) dst[i] = (byte)(lo + (int)(rng.NextUInt64() % (ulong)(hi - lo + 1)));
    }

    public static int Int(Rng rng, int lo, int hi) => lo + (int)(rng.NextUInt64() % (ulong)(hi - lo + 1));

    public static sbyte[] Weights8(Rng rng, int count, WeightKind kind, int k)
    {
        var w = new sbyte[count];
        for (var i = 0; i < count; i++)
        {
            w[i] = kind switch
            {
                WeightKind.FullRange => (sbyte)Int(rng, -128, 127),
                WeightKind.SevenBit => (sbyte)Int(rng, -64, 63),
                _ => 0,
            };
        }
        if (kind == WeightKind.PairSafeExtremes)
        {
            (sbyte, sbyte)[] pairs = [(64, 64), (-64, -64), (-128, 0), (0, -128), (127, 1), (-128, 127), (127, -128), (-100, -28), (5, -3)];
            for (var row = 0; row + k <= count; row += k)
            {
                for (var kk = 0; kk + 1 < k; kk += 2)
                    (w[row + kk], w[row + kk + 1]) = pairs[(int)(rng.NextUInt64() % (ulong)pairs.Length)];
                // Odd K: the lone last weight pairs with the zero padding, so any value is safe there.
                if (k % 2 == 1) w[row + k - 1] = (sbyte)Int(rng, -128, 127);
            }
        }
        else if (count >= 2)
        {
            var lo = kind == WeightKind.FullRange ? (sbyte)-128 : (sbyte)-64;
            var hi = kind == WeightKind.FullRange ? (sbyte)127 : (sbyte)63;
            w[0] = lo;
            w[count - 1] = hi;
            if (kind == WeightKind.FullRange && k >= 2) (w[0], w[1]) = (-128, -128);
        }
        return w;
    }

    /// <summary>The epilogues the sweeps rotate through: every activation, with and without a residual, ties and saturation.</summary>
    public static Requantize Epilogue(Rng rng, int variant, int channels, int k)
    {
        // |acc| is up to ≈ 255·128·√K; scales spread t over a few units so that outputs hit both ends of the range.
        var scale = new float[channels];
        var bias = new float[channels];
        var ties = variant % 7 == 3;
        for (var i = 0; i < channels; i++)
        {
            scale[i] = ties ? 0.5f : (float)(rng.NextDouble() * 2 + 0.1) / (2000f * MathF.Sqrt(k));
            bias[i] = ties ? 0f : (float)(rng.NextDouble() * 6 - 3);
        }
        var (act, lo, hi) = (variant % 6) switch
        {
            0 => (QuantActivation.None, float.NegativeInfinity, float.PositiveInfinity),
            1 => (QuantActivation.Clamp, 0f, float.PositiveInfinity),
            2 => (QuantActivation.Clamp, 0f, 6f),
            3 => (QuantActivation.Clamp, -1.5f, 2.25f),
            4 => (QuantActivation.HardSwish, float.NegativeInfinity, float.PositiveInfinity),
            _ => (QuantActivation.HardSigmoid, float.NegativeInfinity, float.PositiveInfinity),
        };
        int[] zeroPoints = [0, 255, 128, Int(rng, 1, 254)];
        return new Requantize
        {
            Scale = scale,
            Bias = bias,
            Activation = act,
            ClampMin = lo,
            ClampMax = hi,
            OutputScale = ties ? 1f : act == QuantActivation.HardSigmoid ? 255f : (float)(rng.NextDouble() * 30 + 5),
            OutputZeroPoint = zeroPoints[variant % 4],
            QMin = variant % 5 == 2 ? 10 : 0,
            QMax = variant % 5 == 2 ? 200 : 255,
            ResidualScale = (float)(rng.NextDouble() * 0.1 + 0.01),
            ResidualZeroPoint = zeroPoints[(variant / 4) % 4],
        };
    }
}
