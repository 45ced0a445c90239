using System.Runtime.CompilerServices;

namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>A micro-kernel's row count as a type, so that each count compiles to its own loop without the unused rows.</summary>
public interface IRows
{
    static abstract int Count { get; }
}

public readonly struct Rows2 : IRows { public static int Count => 2; }
public readonly struct Rows3 : IRows { public static int Count => 3; }
public readonly struct Rows4 : IRows { public static int Count => 4; }
public readonly struct Rows5 : IRows { public static int Count => 5; }
public readonly struct Rows6 : IRows { public static int Count => 6; }
public readonly struct Rows7 : IRows { public static int Count => 7; }
public readonly struct Rows8 : IRows { public static int Count => 8; }

/// <summary>
/// How a micro-kernel reads A[r, p]: straight (<see cref="DenseK"/>) or through an index table of K entries
/// (<see cref="GatheredK"/>), which is how a 1×1 convolution reads channels that a channel shuffle left permuted or
/// split across two ranges, without moving them. The index load is shared by all rows of a tile.
/// </summary>
public unsafe interface IKIndex
{
    static abstract nint Column(int* index, nint p);
}

public readonly unsafe struct DenseK : IKIndex
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Column(int* index, nint p) => p;
}

public readonly unsafe struct GatheredK : IKIndex
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Column(int* index, nint p) => index[p];
}

/// <summary>Everything a GEMM call needs besides the packed B: the A, C and residual matrices and the epilogue.</summary>
public unsafe struct GemmArgs
{
    /// <summary>A: row r, column p at A + r·Lda + (KIndex == null ? p : KIndex[p]).</summary>
    public float* A;
    public nint Lda;
    public int* KIndex;

    /// <summary>C: row r, column n at C + r·Ldc + n.</summary>
    public float* C;
    public nint Ldc;

    /// <summary>Optional residual added before the activation: R + r·Ldr + n.</summary>
    public float* Residual;
    public nint Ldr;

    public FusedActivation Activation;

    /// <summary>
    /// Optional memory to pull toward the caches while this GEMM computes (the next FC layer's weights), spread evenly
    /// over its tiles: a compute-bound GEMM hides the latency of a bandwidth-bound layer's operand.
    /// </summary>
    public byte* Prefetch;
    public long PrefetchBytes;
}

/// <summary>Where a micro-kernel's rows go: row r of C at C + r·Ldc, of the residual (when not null) at Residual + r·Ldr.</summary>
internal readonly unsafe struct TileOutput(float* c, nint ldc, float* residual, nint ldr, int columns)
{
    public readonly float* C = c;
    public readonly nint Ldc = ldc;
    public readonly float* Residual = residual;
    public readonly nint Ldr = ldr;

    /// <summary>Columns to store (1 to the panel width): fewer than the width in the last panel of an N that does not fill it.</summary>
    public readonly int Columns = columns;
}
