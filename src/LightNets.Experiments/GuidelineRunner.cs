using System.Diagnostics;
using LightNets.Runtime;

namespace LightNets.Experiments;

/// <summary>What one configuration measured: per round, the median and mean of its timed runs, in seconds.</summary>
public sealed record CellMeasurement(CellKey Key, int Iterations, double[] RoundMedianSeconds, double[] RoundMeanSeconds, int CollectionsDuringTiming, double OutputRms);

/// <summary>One round's bookkeeping: the load average before and after it (§10) and its wall time.</summary>
public sealed record RoundLog(int Round, string LoadBefore, string LoadAfter, double Seconds);

/// <summary>Everything a run measured, keyed by configuration.</summary>
public sealed record GuidelineMeasurements(IReadOnlyDictionary<CellKey, CellMeasurement> Cells, IReadOnlyList<RoundLog> Rounds, int Batch, int Size)
{
    /// <summary>Per-round median seconds of a configuration, or null if it was not measured.</summary>
    public double[]? Seconds(CellKey key) => Cells.TryGetValue(key, out var m) ? m.RoundMedianSeconds : null;
}

/// <summary>
/// Times the guideline stacks on the LightNets runtime under <see cref="ProtocolSettings"/> (docs/GUIDELINES-SPEC.md §10):
/// every configuration is compiled into its own <see cref="InferenceSession"/> before any timing (each with its own
/// weights, buffers allocated and touched), called once, warmed up, then timed in rotated rounds with a full GC before
/// each round; a GC inside a timed block is counted and reported.
/// </summary>
public sealed class GuidelineRunner : IDisposable
{
    private readonly IReadOnlyList<GuidelineTable> _tables;
    private readonly ProtocolSettings _settings;
    private readonly Func<GuidelineMode, int> _threads;
    private readonly int _size;
    private readonly List<Slot> _slots = [];
    private readonly List<int> _groupSizes = [];

    private sealed class Slot(GuidelineCell cell, InferenceSession session, float[] input, float[] output, int threads)
    {
        public GuidelineCell Cell { get; } = cell;
        public InferenceSession Session { get; } = session;
        public float[] Input { get; } = input;
        public float[] Output { get; } = output;
        public int Threads { get; } = threads;
        public double SecondsPerRun { get; set; } = double.NaN;
        public double[] Times { get; set; } = [];
    }

    /// <param name="tables">The tables to run (one or both modes).</param>
    /// <param name="settings">Rounds, runs per round, warm-up.</param>
    /// <param name="threads">Threads per mode: §2 gives 1 for ARM-like, every core for GPU-like.</param>
    /// <param name="size">Feature-map size; 56 reproduces the paper (smaller only for smoke tests).</param>
    public GuidelineRunner(IReadOnlyList<GuidelineTable> tables, ProtocolSettings settings, Func<GuidelineMode, int> threads, int size = GuidelineStacks.PaperSize)
    {
        _tables = tables;
        _settings = settings;
        _threads = threads;
        _size = size;
    }

    public int ConfigurationCount => _tables.Sum(t => t.Rows.Count * t.Columns.Count);

    /// <summary>Compiles every configuration (reports each one done through <paramref name="tick"/>).</summary>
    public void Prepare(Action<string> tick)
    {
        foreach (var table in _tables)
        {
            var cells = table.Cells.ToArray();
            _groupSizes.Add(cells.Length);
            foreach (var cell in cells)
            {
                var graph = GuidelineStacks.Build(cell.Stack, 1, _size);
                var threads = _threads(table.Mode);
                var session = new InferenceSession(graph, new SessionOptions { Threads = threads, Fuse = cell.Fused });
                var input = GuidelineStacks.Input(graph).Data;
                _slots.Add(new Slot(cell, session, input, new float[session.OutputShape.ElementCount], threads));
                tick(cell.Describe());
            }
        }
    }

    /// <summary>
    /// The first call of every configuration, then one timed warm-up pass that sizes each configuration's runs per
    /// round. Returns the expected duration of the rest of the run in seconds.
    /// </summary>
    public double Calibrate(Action<string> tick)
    {
        foreach (var s in _slots)
        {
            s.Session.Run(s.Input, s.Output);
            Settle(s);
        }
        foreach (var s in _slots)
        {
            SizeRuns(s);
            tick(s.Cell.Describe());
        }
        var perRound = _slots.Sum(s => s.Times.Length * s.SecondsPerRun + SettleSeconds(s));
        var warmup = _settings.WarmupPasses * _slots.Sum(s => s.SecondsPerRun + SettleSeconds(s));
        return warmup + 0.3 + _settings.Rounds * perRound;
    }

    /// <summary>
    /// The remaining untimed warm-up passes (the calibration pass was the first), a pause in which the JIT's background
    /// compiler promotes the hot kernels to tier-1 code, and a last timed pass that re-sizes each configuration's runs
    /// per round on that code: the calibration pass may still have run tier-0 code (the same step types are shared by
    /// every configuration, so they get hot quickly, but their promotion waits until no new method has been compiled for
    /// a while).
    /// </summary>
    public void WarmUp(Action<string> tick)
    {
        for (var pass = 1; pass < _settings.WarmupPasses; pass++)
        {
            foreach (var s in _slots)
            {
                s.Session.Run(s.Input, s.Output);
                Settle(s);
            }
            tick($"warm-up pass {pass + 1}");
        }
        Thread.Sleep(300);
        foreach (var s in _slots) SizeRuns(s);
        tick("warm-up: runs per round sized");
    }

    /// <summary>One timed run of <paramref name="s"/>, which sizes its timed runs per round.</summary>
    private void SizeRuns(Slot s)
    {
        var t0 = Stopwatch.GetTimestamp();
        s.Session.Run(s.Input, s.Output);
        s.SecondsPerRun = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        s.Times = new double[_settings.Iterations(s.SecondsPerRun)];
        Settle(s);
    }

    /// <summary>The timed rounds; <paramref name="tick"/> hears of every configuration timed.</summary>
    public GuidelineMeasurements Run(Action<string> tick)
    {
        var medians = _slots.Select(_ => new double[_settings.Rounds]).ToArray();
        var means = _slots.Select(_ => new double[_settings.Rounds]).ToArray();
        var collections = new int[_slots.Count];
        var offsets = new int[_groupSizes.Count];
        for (var g = 1; g < offsets.Length; g++) offsets[g] = offsets[g - 1] + _groupSizes[g - 1];
        var rounds = new List<RoundLog>();
        for (var r = 0; r < _settings.Rounds; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var before = LoadAverage();
            var start = Stopwatch.GetTimestamp();
            foreach (var (group, item) in RoundSchedule.Order(r, _groupSizes))
            {
                var index = offsets[group] + item;
                var s = _slots[index];
                var gc = GC.CollectionCount(0);
                var times = s.Times;
                for (var i = 0; i < times.Length; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    s.Session.Run(s.Input, s.Output);
                    times[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                }
                collections[index] += GC.CollectionCount(0) - gc;
                medians[index][r] = Stats.Median(times);
                means[index][r] = times.Average();
                Settle(s);
                tick($"round {r + 1}/{_settings.Rounds} {s.Cell.Table.Id} {s.Cell.Table.Columns[s.Cell.Column]} {s.Cell.RowDef.Label}");
            }
            rounds.Add(new RoundLog(r, before, LoadAverage(), Stopwatch.GetElapsedTime(start).TotalSeconds));
        }
        var cells = new Dictionary<CellKey, CellMeasurement>();
        for (var i = 0; i < _slots.Count; i++)
        {
            var s = _slots[i];
            cells[s.Cell.Key] = new CellMeasurement(s.Cell.Key, s.Times.Length, medians[i], means[i], collections[i], Rms(s.Output));
        }
        return new GuidelineMeasurements(cells, rounds, 1, _size);
    }

    /// <summary>Root mean square of an output: §3 requires it finite and within [1e-3, 1e3] (no subnormal or overflow drift).</summary>
    public static double Rms(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values) sum += (double)v * v;
        return values.Length == 0 ? 0 : Math.Sqrt(sum / values.Length);
    }

    /// <summary>
    /// A short pause after a multi-threaded configuration: its worker spins for a while after the run, and a spinning
    /// thread on a 2-core machine takes a core from the next configuration being timed.
    /// </summary>
    private static void Settle(Slot s)
    {
        if (s.Threads > 1) Thread.Sleep(5);
    }

    private static double SettleSeconds(Slot s) => s.Threads > 1 ? 0.005 : 0;

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    public void Dispose()
    {
        foreach (var s in _slots) s.Session.Dispose();
        _slots.Clear();
    }
}
