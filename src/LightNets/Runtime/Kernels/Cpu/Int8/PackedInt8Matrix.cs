namespace LightNets.Runtime.Kernels.Cpu.Int8;

/// <summary>
/// The int8 weights of a 1×1 convolution or FC layer, W given as [N][K] (PyTorch's [C_out, C_in]), packed once for
/// one <see cref="Int8Isa"/> and immutable afterwards (threads share it). Layout: column panels of
/// <see cref="PanelWidth"/> output channels (the last one only as wide as the remaining channels rounded up to the
/// path's register width); inside a panel, K in groups of 4, and for every group the 4 consecutive weights of each
/// column: <c>panel[g][j][i] = W[panel·PanelWidth + j][4g + i]</c>. So one 32-bit lane holds the 4 weights a
/// <c>vpdpbusd</c> (or <c>vpmaddubsw</c> + <c>vpmaddwd</c>) multiplies by 4 broadcast activation bytes, and one
/// register load reads a group for 8 or 16 columns. K is padded to a multiple of 4 and N to the panel width with zero
/// weights, so padded lanes add nothing.
/// <para>
/// Also recorded at pack time: <see cref="ColumnSums"/> (Σ_k W[n][k], for the zero-point compensation
/// Σ (a − za)·w = Σ a·w − za·colsum) and <see cref="PairSafe"/>, whether <c>vpmaddubsw</c> is exact for these weights
/// (see <see cref="Int8Isa"/>).
/// </para>
/// </summary>
public sealed class PackedInt8Matrix
{
    /// <summary>
    /// The largest K the int32 accumulators hold exactly: |Σ a·w| ≤ K·255·128 and |za·colsum| ≤ K·255·128 stay below 2³¹.
    /// </summary>
    public const int MaxK = 65536;

    private PackedInt8Matrix(Int8Isa isa, int k, int n, int panelWidth, int lastPanelWidth, sbyte[] data, int[] columnSums, bool pairSafe)
    {
        Isa = isa;
        K = k;
        N = n;
        PanelWidth = panelWidth;
        LastPanelWidth = lastPanelWidth;
        Data = data;
        ColumnSums = columnSums;
        PairSafe = pairSafe;
    }

    /// <summary>The path the panels were laid out for (its panel widths); the GEMM must be run with it.</summary>
    public Int8Isa Isa { get; }

    public int K { get; }

    public int N { get; }

    /// <summary>Groups of 4 along K (K rounded up to a multiple of 4, divided by 4).</summary>
    public int KGroups => (K + 3) / 4;

    /// <summary>Columns per panel but the last.</summary>
    public int PanelWidth { get; }

    /// <summary>
    /// Columns of the last panel: a multiple of the path's register width, at most <see cref="PanelWidth"/>, except
    /// PanelWidth + 8 on V256Vnni when 8 columns would be left over.
    /// </summary>
    public int LastPanelWidth { get; }

    public int Panels => (N - LastPanelWidth + PanelWidth - 1) / PanelWidth + 1;

    /// <summary>The panels back to back, pinned: panel p starts at p·KGroups·PanelWidth·4.</summary>
    public sbyte[] Data { get; }

    /// <summary>Σ_k W[n][k] per column, zero-padded to the packed width.</summary>
    public int[] ColumnSums { get; }

    /// <summary>
    /// Whether every pair of weights that <c>vpmaddubsw</c> adds (k = 4g, 4g+1 and 4g+2, 4g+3 of a column) has its
    /// same-sign part at most 128 in magnitude: max(w0, 0) + max(w1, 0) ≤ 128 and min(w0, 0) + min(w1, 0) ≥ −128.
    /// Then a0·w0 + a1·w1 lies within ±32640 for all a in [0, 255] and cannot saturate int16. True for every 7-bit
    /// weight (−64..63); full-range weights (two of −128 or of 127 in a pair) fail it.
    /// </summary>
    public bool PairSafe { get; }

    public int Width(int panel) => panel == Panels - 1 ? LastPanelWidth : PanelWidth;

    /// <summary>Byte offset of panel <paramref name="panel"/> in <see cref="Data"/> (all panels before it are full width).</summary>
    public long Offset(int panel) => (long)panel * KGroups * PanelWidth * 4;

    /// <summary>W[n][k], read back from the packed panels.</summary>
    public sbyte At(int n, int k)
    {
        var panel = Math.Min(n / PanelWidth, Panels - 1);
        return Data[Offset(panel) + ((long)(k / 4) * Width(panel) + n - panel * PanelWidth) * 4 + k % 4];
    }

    /// <summary>Columns per panel on a path: two AVX-512 registers of 16 int32 lanes, two AVX registers of 8, or 8.</summary>
    public static int MainWidth(Int8Isa isa) => isa switch
    {
        Int8Isa.V512 => 32,
        Int8Isa.V256 or Int8Isa.V256Vnni => 16,
        _ => 8,
    };

    /// <summary>The granularity of the last panel's width: one register of int32 lanes.</summary>
    public static int RegisterWidth(Int8Isa isa) => isa == Int8Isa.V512 ? 16 : 8;

    /// <summary>Packs W given as [N][K] for the fastest exact path this process has for it (<see cref="Int8Caps.BestFor"/>).</summary>
    public static PackedInt8Matrix Pack(ReadOnlySpan<sbyte> w, int n, int k) => Pack(w, n, k, Int8Caps.BestFor(n, k, IsPairSafe(w, n, k)));

    /// <summary>Whether W [N][K] is pair-safe (see <see cref="PairSafe"/>).</summary>
    public static bool IsPairSafe(ReadOnlySpan<sbyte> w, int n, int k)
    {
        KernelGuard.That(n >= 1 && k >= 1 && w.Length == (long)n * k, $"weights hold {w.Length} values, not {n}×{k}", nameof(w));
        for (var col = 0; col < n; col++)
        {
            for (var kk = 0; kk < k; kk += 2)
            {
                if (!SafePair(w[col * k + kk], kk + 1 < k ? w[col * k + kk + 1] : (sbyte)0)) return false;
            }
        }
        return true;
    }

    /// <summary>Packs W given as [N][K] (row n holds the K weights of output channel n) for <paramref name="isa"/>.</summary>
    public static PackedInt8Matrix Pack(ReadOnlySpan<sbyte> w, int n, int k, Int8Isa isa)
    {
        KernelGuard.That(n >= 1 && k >= 1 && k <= MaxK, $"needs 1 ≤ N and 1 ≤ K ≤ {MaxK}, got N={n}, K={k}", nameof(k));
        KernelGuard.That(w.Length == (long)n * k, $"weights hold {w.Length} values, not {n}×{k}", nameof(w));
        KernelGuard.That(Enum.IsDefined(isa), $"unknown path {isa}", nameof(isa));
        var main = MainWidth(isa);
        var reg = RegisterWidth(isa);
        var panels = (n + main - 1) / main;
        var last = (n - (panels - 1) * main + reg - 1) / reg * reg;
        if (isa == Int8Isa.V256Vnni && panels >= 2 && last == reg)
        {
            // A trailing 8 columns join the panel before them: one 24-wide panel (3 registers, 4 rows: 12 accumulators,
            // 3 weight registers and a broadcast fill the 16) instead of a 16-wide one and an 8-wide one whose 6 rows
            // broadcast 6 times per weight register. N = 24 (MobileNetV2's largest projection) ran 15 % faster.
            panels--;
            last += main;
        }
        var width = (panels - 1) * main + last;
        var groups = (k + 3) / 4;
        // Pinned (on the pinned-object heap), so kernels address it without fixing it on every call.
        var data = GC.AllocateArray<sbyte>(checked(width * groups * 4), pinned: true);
        var sums = new int[width];
        var pairSafe = true;
        for (var col = 0; col < n; col++)
        {
            var panel = Math.Min(col / main, panels - 1);
            var pw = panel == panels - 1 ? last : main;
            var dst = (long)panel * groups * main * 4 + (long)(col - panel * main) * 4;
            var row = w.Slice(col * k, k);
            var sum = 0;
            for (var kk = 0; kk < k; kk++)
            {
                data[dst + (long)(kk / 4) * pw * 4 + kk % 4] = row[kk];
                sum += row[kk];
            }
            sums[col] = sum;
            for (var kk = 0; kk < k; kk += 2)
                pairSafe &= SafePair(row[kk], kk + 1 < k ? row[kk + 1] : (sbyte)0);
        }
        return new PackedInt8Matrix(isa, k, n, main, last, data, sums, pairSafe);
    }

    /// <summary>Whether a0·w0 + a1·w1 stays within int16 for every a0, a1 in [0, 255] (see <see cref="PairSafe"/>).</summary>
    public static bool SafePair(sbyte w0, sbyte w1) =>
        Math.Max((int)w0, 0) + Math.Max((int)w1, 0) <= 128 && Math.Min((int)w0, 0) + Math.Min((int)w1, 0) >= -128;
}
