namespace LightNets.Training.Data;

/// <summary>
/// The batches of one epoch, for <c>foreach</c>: each <see cref="Batch"/> is valid until the next is asked for.
/// Disposing it (leaving the loop) ends the epoch's remaining work.
/// </summary>
public sealed class EpochReader : IEnumerable<Batch>, IEnumerator<Batch>
{
    private readonly DataLoader _loader;
    private readonly int _generation;
    private readonly CancellationToken _cancellation;
    private readonly CancellationTokenRegistration _registration;
    private Batch? _current;

    internal EpochReader(DataLoader loader, int generation, CancellationToken cancellation)
    {
        _loader = loader;
        _generation = generation;
        _cancellation = cancellation;
        if (cancellation.CanBeCanceled) _registration = cancellation.Register(static l => ((DataLoader)l!).Wake(), loader);
    }

    public Batch Current => _current ?? throw new InvalidOperationException("no batch: call MoveNext first");

    object System.Collections.IEnumerator.Current => Current;

    public bool MoveNext()
    {
        _current = _loader.Next(_generation, _cancellation);
        return _current is not null;
    }

    public void Reset() => throw new NotSupportedException("start the epoch again with DataLoader.Epoch");

    public IEnumerator<Batch> GetEnumerator() => this;

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this;

    public void Dispose()
    {
        _registration.Dispose();
        _loader.End(_generation);
        _current = null;
    }
}
