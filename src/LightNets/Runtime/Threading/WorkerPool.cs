namespace LightNets.Runtime.Threading;

/// <summary>Work that a <see cref="WorkerPool"/> splits: part i of n, any thread.</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// A fork-join pool of <c>threads − 1</c> dedicated workers plus the calling thread, built for many short steps. Parts
/// are claimed from a shared counter, so whichever thread is free takes the next one: the caller never waits for a
/// worker that is still waking up (waking a parked thread costs tens of microseconds in this VM, more than a 7×7
/// layer); it only waits for parts a worker has already started. Workers spin between steps, then park. One run owns
/// the pool at a time (<see cref="TryEnter"/>); concurrent runs of a session run on their own thread. Nothing is
/// allocated per step, and which thread runs a part never changes the result.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim _wake = new(0);
    private IParallelWork? _work;
    private int _parts;
    private int _completed;
    private long _state; // generation << 32 | next part to claim
    private int _sleepers;
    private int _owner;
    private volatile bool _disposed;

    /// <summary>Spin iterations before a worker parks (a few hundred microseconds: longer than the gap between steps).</summary>
    private const int SpinIterations = 4_000;

    /// <summary>
    /// A parked worker re-checks the state this often. Only a safety net: Run releases every counted sleeper, and a
    /// worker that slept through a step costs only parallelism, since the caller claims every part left unclaimed.
    /// </summary>
    private const int IdleRecheckMilliseconds = 1_000;

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _workers = new Thread[Threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Loop) { IsBackground = true, Name = $"LightNets worker {i + 1}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Claims the pool for one run; false if another run holds it.</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref _owner, 1, 0) == 0;

    public void Exit() => Volatile.Write(ref _owner, 0);

    /// <summary>Runs parts 0..parts−1 of <paramref name="work"/> on the caller and the workers; returns when all are done.</summary>
    public void Run(IParallelWork work, int parts)
    {
        if (parts <= 1 || _workers.Length == 0)
        {
            for (var p = 0; p < parts; p++) work.Execute(p, parts);
            return;
        }
        _work = work;
        _parts = parts;
        Volatile.Write(ref _completed, 0);
        var generation = (Volatile.Read(ref _state) >> 32) + 1;
        Interlocked.Exchange(ref _state, generation << 32); // publishes _work and _parts
        var sleepers = Volatile.Read(ref _sleepers);
        if (sleepers > 0) _wake.Release(sleepers);
        Help(generation, work, parts);
        var spin = new SpinWait();
        while (Volatile.Read(ref _completed) != parts) spin.SpinOnce(sleep1Threshold: -1);
    }

    /// <summary>Claims and runs parts of generation <paramref name="generation"/> until none are left.</summary>
    private void Help(long generation, IParallelWork work, int parts)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            var part = (int)(state & 0xFFFFFFFF);
            // Another generation, or nothing left: stop. A claim succeeds only within its own generation, so a late
            // worker can never run a part of one step with another step's work.
            if (state >> 32 != generation || part >= parts) return;
            if (Interlocked.CompareExchange(ref _state, state + 1, state) != state) continue;
            work.Execute(part, parts);
            Interlocked.Increment(ref _completed);
        }
    }

    private void Loop()
    {
        long seen = 0;
        while (!_disposed)
        {
            var spins = 0;
            long generation;
            while ((generation = Volatile.Read(ref _state) >> 32) == seen)
            {
                if (_disposed) return;
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                Interlocked.Increment(ref _sleepers);
                var woken = Volatile.Read(ref _state) >> 32 != seen || _wake.Wait(IdleRecheckMilliseconds);
                Interlocked.Decrement(ref _sleepers);
                // Spin again only after a wake-up, not after a timeout: re-spinning every 50 ms made each idle pool burn
                // ~1% of a core (24 idle two-thread sessions took 58% of one), which other sessions' timings paid for.
                if (woken) spins = 0;
            }
            seen = generation;
            var work = _work;
            var parts = _parts;
            if (work is not null) Help(generation, work, parts);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _wake.Release(_workers.Length);
        foreach (var w in _workers) w.Join();
        _wake.Dispose();
    }
}
