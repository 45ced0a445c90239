namespace LightNets.Training.Data;

/// <summary>How a <see cref="DataLoader"/> batches, orders and prepares items.</summary>
public sealed record LoaderOptions
{
    /// <summary>Items per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Whether each epoch visits the items in a new random order (by <see cref="Seed"/> and the epoch); else in data set order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Whether an epoch's last, smaller batch is left out (so every batch has <see cref="BatchSize"/> items).</summary>
    public bool DropLast { get; init; }

    /// <summary>The seed of the epoch orders and of every item's augmentation.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Threads that read and transform items ahead of the consumer (each builds whole batches). 0: the consumer's own
    /// thread builds each batch when it asks for it, with nothing prepared ahead. The batches are the same either way.
    /// </summary>
    public int Workers { get; init; } = 1;

    /// <summary>Batches prepared ahead of the one the consumer holds (the bound of the queue; at least 1).</summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>
    /// Whether an item that cannot be read (a damaged image file) is an error. Otherwise the next readable item in data
    /// set order takes its place, and it is listed in <see cref="DataLoader.Unreadable"/>.
    /// </summary>
    public bool Strict { get; init; }

    /// <summary>The most threads a loader may start.</summary>
    public const int MaxWorkers = 256;

    internal void Validate()
    {
        if (BatchSize < 1) throw new DatasetException($"the batch size must be at least 1, got {BatchSize}");
        if (Workers is < 0 or > MaxWorkers) throw new DatasetException($"the loader's workers must be 0 to {MaxWorkers}, got {Workers}");
        if (Prefetch is < 1 or > 1024) throw new DatasetException($"the loader's prefetch must be 1 to 1024 batches, got {Prefetch}");
    }
}
