namespace LightNets.Runtime.Kernels.Cpu.Gemm;

/// <summary>
/// The B operand of a GEMM (K×N; for a 1×1 convolution the weights, K = C_in, N = C_out) packed once into panels:
/// panel p holds rows k = 0..K−1 of its columns, contiguous, so the micro-kernel streams it with vector loads. Panels
/// are <see cref="PanelWidth"/> wide except the last, which is only as wide as the remaining columns rounded up to 8
/// (N = 24 is one 24-wide panel computed with a 16- and an 8-lane register, not a 32-wide one with a quarter wasted).
/// Padding columns hold zeros; <see cref="Bias"/> is padded likewise.
/// </summary>
public sealed class PackedMatrix
{
    private PackedMatrix(int k, int n, int panelWidth, int lastPanelWidth, float[] data, float[] bias)
    {
        K = k;
        N = n;
        PanelWidth = panelWidth;
        LastPanelWidth = lastPanelWidth;
        Data = data;
        Bias = bias;
    }

    public int K { get; }
    public int N { get; }

    /// <summary>Columns per panel but the last.</summary>
    public int PanelWidth { get; }

    /// <summary>Columns of the last panel (a multiple of 8, at most <see cref="PanelWidth"/>).</summary>
    public int LastPanelWidth { get; }

    public int Panels => (N + PanelWidth - 1) / PanelWidth;

    /// <summary>The panels, back to back (pinned).</summary>
    public float[] Data { get; }

    /// <summary>Address of <see cref="Data"/>, stable for the matrix's lifetime.</summary>
    public unsafe float* Address => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref Data[0]);

    public long Bytes => (long)Data.Length * sizeof(float);

    /// <summary>Bias per column, zero-padded to the packed width (zeros when the layer has none).</summary>
    public float[] Bias { get; }

    /// <summary>W[k, n], read back from its panel (for paths that need single weights rather than panels).</summary>
    public float At(int k, int n)
    {
        var panel = n / PanelWidth;
        var width = panel == Panels - 1 ? LastPanelWidth : PanelWidth;
        return Data[(long)panel * K * PanelWidth + (long)k * width + n % PanelWidth];
    }

    /// <summary>Whether every packed weight is finite (no NaN, no ±∞).</summary>
    public bool IsFinite => Array.TrueForAll(Data, float.IsFinite);

    /// <summary>The main panel width for a tier: two AVX-512 registers, two AVX2 registers or four 128-bit ones, or 8 scalar columns.</summary>
    public static int MainWidth(Isa isa) => isa switch
    {
        Isa.V512 => 32,
        Isa.V256 or Isa.V128 => 16,
        _ => 8,
    };

    /// <summary>Packs W given as [N, K] (a conv weight [C_out, C_in, 1, 1] or an FC weight [out, in]) for <paramref name="isa"/>.</summary>
    public static PackedMatrix FromOutputMajor(ReadOnlySpan<float> w, int n, int k, ReadOnlySpan<float> bias, Isa isa)
    {
        if (w.Length != (long)n * k) throw new ArgumentException($"weights hold {w.Length} values, not {n}×{k}");
        var main = MainWidth(isa);
        var panels = (n + main - 1) / main;
        var last = (n - (panels - 1) * main + 7) / 8 * 8;
        var width = (panels - 1) * main + last;
        // Pinned (on the pinned-object heap): kernels and prefetches address it without fixing it on every call.
        var data = GC.AllocateArray<float>(checked(width * k), pinned: true);
        for (var col = 0; col < n; col++)
        {
            var panel = col / main;
            var pw = panel == panels - 1 ? last : main;
            var dst = (long)panel * k * main + col % main;
            for (var kk = 0; kk < k; kk++)
                data[dst + (long)kk * pw] = w[col * k + kk];
        }
        var b = new float[width];
        if (!bias.IsEmpty) bias.CopyTo(b);
        return new PackedMatrix(k, n, main, last, data, b);
    }
}

/// <summary>Raw packed panels of a B operand (see <see cref="PackedMatrix"/>), e.g. pinned, or a per-run scaled copy in the arena.</summary>
public readonly unsafe struct PanelSet(float* data, float* bias, int k, int n, int panelWidth, int lastPanelWidth)
{
    public readonly float* Data = data;
    public readonly float* Bias = bias;
    public readonly int K = k;
    public readonly int N = n;
    public readonly int PanelWidth = panelWidth;
    public readonly int LastPanelWidth = lastPanelWidth;

    public int Panels => (N + PanelWidth - 1) / PanelWidth;

    public int Width(int panel) => panel == Panels - 1 ? LastPanelWidth : PanelWidth;

    /// <summary>Float offset of panel <paramref name="panel"/> in <see cref="Data"/> (all panels before it are full width).</summary>
    public nint Offset(int panel) => (nint)panel * K * PanelWidth;

    public static PanelSet Of(PackedMatrix m, float* data, float* bias) => new(data, bias, m.K, m.N, m.PanelWidth, m.LastPanelWidth);
}
