namespace LightNets.Runtime.Threading;

/// <summary>Work that a <see cref="WorkerPool"/> splits: part i of n runs on one thread.</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// A fork-join pool of <c>threads − 1</c> dedicated workers plus the calling thread, built for many short steps:
/// workers spin briefly for the next step (waking a parked thread costs tens of microseconds, more than a 7×7 layer),
/// then park. One run owns the pool at a time (<see cref="TryEnter"/>); concurrent runs of the same session fall back to
/// their own thread. Nothing is allocated per step.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim _wake = new(false);
    private IParallelWork? _work;
    private int _parts;
    private long _generation;
    private int _pending;
    private int _owner;
    private volatile bool _disposed;

    /// <summary>How long a worker spins for the next step before parking (iterations of SpinWait-free pause).</summary>
    private const int SpinIterations = 20_000;

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _workers = new Thread[Threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var index = i + 1;
            _workers[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"LightNets worker {index}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Claims the pool for one run; false if another run holds it.</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref _owner, 1, 0) == 0;

    public void Exit() => Volatile.Write(ref _owner, 0);

    /// <summary>Runs parts 0..parts−1 of <paramref name="work"/>, part i on thread i (the caller is thread 0).</summary>
    public void Run(IParallelWork work, int parts)
    {
        parts = Math.Min(parts, Threads);
        if (parts <= 1)
        {
            work.Execute(0, 1);
            return;
        }
        _work = work;
        _parts = parts;
        Volatile.Write(ref _pending, parts - 1);
        Interlocked.Increment(ref _generation);
        _wake.Set();
        work.Execute(0, parts);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _wake.Reset();
        _work = null;
    }

    private void Loop(int index)
    {
        long seen = 0;
        while (true)
        {
            var spins = 0;
            while (Volatile.Read(ref _generation) == seen)
            {
                if (_disposed) return;
                if (++spins < SpinIterations) Thread.SpinWait(1);
                else _wake.Wait(10);
            }
            seen = Volatile.Read(ref _generation);
            if (_disposed) return;
            var work = _work;
            var parts = _parts;
            if (work is not null && index < parts)
            {
                work.Execute(index, parts);
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _wake.Set();
        foreach (var w in _workers) w.Join();
        _wake.Dispose();
    }
}
