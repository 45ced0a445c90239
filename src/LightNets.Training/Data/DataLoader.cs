using System.Runtime.ExceptionServices;
using LightNets.Training.Data.Transforms;

namespace LightNets.Training.Data;

/// <summary>
/// Yields a data set's items as batches, epoch by epoch: in a seeded order, read and transformed on worker threads
/// ahead of the consumer (a bounded queue of <see cref="LoaderOptions.Prefetch"/> batches whose buffers are reused, so
/// an in-memory data set costs no allocation per batch once the first epoch has warmed the buffers up).
/// <para>
/// Deterministic: an epoch's order depends only on (seed, epoch) and each item's augmentation only on (seed, epoch,
/// item), never on which worker made it or when, so any number of workers gives the same batches, and
/// <c>Epoch(e, firstBatch: k)</c> gives exactly the batches k, k + 1, … of an uninterrupted epoch e (resuming).
/// </para>
/// <para>
/// One consumer reads one epoch at a time: starting another ends the one before. Disposing an epoch's reader (leaving its
/// <c>foreach</c>) or cancelling it stops its work and waits until no worker writes into a batch any more.
/// </para>
/// </summary>
public sealed class DataLoader : IDisposable
{
    private readonly object _gate = new();
    private readonly int[] _order;
    private readonly Dictionary<int, SkippedEntry> _unreadable = [];
    private readonly HashSet<int> _known = [];
    private Slot[] _slots = [];
    private Thread[] _threads = [];
    private Worker? _inline;
    private int _generation, _epoch, _end, _next, _held, _building;
    private bool _stopping;

    /// <param name="dataset">The items.</param>
    /// <param name="pipeline">The transforms; they must give every item the same shape.</param>
    /// <param name="options">Batching, order, workers; the defaults when null.</param>
    /// <exception cref="DatasetException">Bad options, an empty data set, transforms that do not give one fixed shape,
    /// or (with <see cref="LoaderOptions.DropLast"/>) fewer items than one batch.</exception>
    public DataLoader(IImageDataset dataset, ImagePipeline pipeline, LoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(pipeline);
        options ??= new LoaderOptions();
        options.Validate();
        if (dataset.Count == 0) throw new DatasetException("the data set has no items");
        Shape = pipeline.OutputShape(dataset.ItemShape ?? new ImageShape(dataset.Channels, 0, 0));
        if (!Shape.IsFixed)
            throw new DatasetException(
                $"the transforms ({pipeline}) do not give images of different sizes one size: add Resize, CenterCrop or RandomResizedCrop");
        if ((long)options.BatchSize * Shape.Length > Array.MaxLength)
            throw new DatasetException($"a batch of {options.BatchSize:N0} images of {Shape} does not fit in one array: use a smaller batch or image size");
        var slotBytes = (options.Workers == 0 ? 1L : options.Prefetch + 1L) * options.BatchSize * Shape.Length * sizeof(float);
        if (slotBytes > MaxBufferBytes)
            throw new DatasetException(
                $"{(options.Workers == 0 ? 1 : options.Prefetch + 1)} batch buffers of {options.BatchSize:N0} images of {Shape} need {slotBytes:N0} bytes, more than the {MaxBufferBytes:N0} a loader may hold: prefetch fewer batches, or use a smaller batch or image size");
        BatchesPerEpoch = options.DropLast ? dataset.Count / options.BatchSize : (dataset.Count + options.BatchSize - 1) / options.BatchSize;
        if (BatchesPerEpoch == 0)
            throw new DatasetException($"the data set's {dataset.Count:N0} items make no full batch of {options.BatchSize:N0}: use a smaller batch or keep the last batch (DropLast off)");
        Dataset = dataset;
        Pipeline = pipeline;
        Options = options;
        _order = new int[dataset.Count];
    }

    /// <summary>The most memory a loader's batch buffers (the held batch and the prefetched ones) may take: 4 GiB.</summary>
    public const long MaxBufferBytes = 4L << 30;

    public IImageDataset Dataset { get; }

    public ImagePipeline Pipeline { get; }

    public LoaderOptions Options { get; }

    /// <summary>The shape of every image in the batches (C, H, W).</summary>
    public ImageShape Shape { get; }

    /// <summary>Batches in an epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Items that could not be read so far and were replaced (see <see cref="LoaderOptions.Strict"/>), by item number.</summary>
    public IReadOnlyList<SkippedEntry> Unreadable
    {
        get
        {
            lock (_unreadable) return [.. _unreadable.OrderBy(p => p.Key).Select(p => p.Value)];
        }
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> from batch <paramref name="firstBatch"/> on (0: the whole epoch),
    /// prepared from now on. Ends the epoch read before, if any.
    /// </summary>
    public EpochReader Epoch(int epoch, int firstBatch = 0, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (firstBatch < 0 || firstBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), firstBatch, $"an epoch has batches 0 to {BatchesPerEpoch - 1}");
        int generation;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            StopLocked();
            if (_slots.Length == 0) Start();
            for (var i = 0; i < _order.Length; i++) _order[i] = i;
            if (Options.Shuffle) DataRandom.ForOrder(Options.Seed, epoch).Shuffle(_order);
            foreach (var slot in _slots) slot.Number = -1;
            (_epoch, _end, _next, _held) = (epoch, BatchesPerEpoch, firstBatch, firstBatch - 1);
            generation = _generation;
            Monitor.PulseAll(_gate);
        }
        return new EpochReader(this, generation, cancellation);
    }

    /// <summary>Allocates the batch buffers and starts the workers (on the first epoch, so that a loader made and not used costs nothing).</summary>
    private void Start()
    {
        var slots = Options.Workers == 0 ? 1 : Options.Prefetch + 1;
        _slots = [.. Enumerable.Range(0, slots).Select(_ => new Slot(new Batch(Options.BatchSize, Shape)))];
        if (Options.Workers == 0)
        {
            _inline = new Worker(Pipeline);
            return;
        }
        _threads = [.. Enumerable.Range(0, Options.Workers).Select(i => new Thread(Work) { IsBackground = true, Name = $"lightnets-loader-{i}" })];
        foreach (var thread in _threads) thread.Start();
    }

    /// <summary>Ends the current epoch: no batch is claimed any more, and builds under way finish (they stop at their next item).</summary>
    private void StopLocked()
    {
        _generation++;
        _end = 0;
        while (_building > 0) Monitor.Wait(_gate);
    }

    /// <summary>A worker thread: claims the next batch whose slot is free, builds it, marks it ready.</summary>
    private void Work()
    {
        var worker = new Worker(Pipeline);
        while (true)
        {
            Slot slot;
            int number, generation, epoch;
            lock (_gate)
            {
                while (!_stopping && !(_next < _end && _next < _held + _slots.Length)) Monitor.Wait(_gate);
                if (_stopping) return;
                number = _next++;
                slot = _slots[number % _slots.Length];
                (slot.Number, slot.Ready, slot.Error) = (number, false, null);
                (generation, epoch) = (_generation, _epoch);
                _building++;
            }
            ExceptionDispatchInfo? error = null;
            try
            {
                Build(worker, slot.Batch, epoch, number, generation);
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            lock (_gate)
            {
                _building--;
                if (generation == _generation) (slot.Ready, slot.Error) = (true, error);
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Fills <paramref name="batch"/> with batch <paramref name="number"/> of the epoch; stops early when the epoch is ended.</summary>
    private void Build(Worker worker, Batch batch, int epoch, int number, int generation)
    {
        var size = Options.BatchSize;
        var first = number * size;
        var count = Math.Min(size, Dataset.Count - first);
        var length = Shape.Length;
        (batch.Epoch, batch.Number, batch.Count) = (epoch, number, count);
        for (var i = 0; i < count; i++)
        {
            if (Volatile.Read(ref _generation) != generation) return;
            var index = Read(_order[first + i], worker.Item);
            var random = DataRandom.ForItem(Options.Seed, epoch, index);
            worker.Runner.Run(worker.Item, ref random, batch.Images.AsSpan(i * length, length));
            var label = Dataset.Label(index);
            if ((uint)label >= (uint)Dataset.ClassNames.Count)
                throw new DatasetException($"{Dataset.Describe(index)}: label {label} is out of range for the data set's {Dataset.ClassNames.Count} classes");
            batch.Labels[i] = label;
            batch.Indices[i] = index;
        }
    }

    /// <summary>
    /// Reads item <paramref name="index"/>, or (not strict) the next readable item after it in data set order when it
    /// cannot be read; returns the item read. What can be read does not depend on timing, so neither does the choice.
    /// </summary>
    private int Read(int index, ImageItem item)
    {
        for (var k = 0; k < Dataset.Count; k++)
        {
            var candidate = (int)((index + (long)k) % Dataset.Count);
            bool known;
            lock (_unreadable) known = _known.Contains(candidate);
            if (known) continue;
            if (Dataset.TryRead(candidate, item, out var error)) return candidate;
            if (Options.Strict)
                throw new DatasetException($"{Dataset.Describe(candidate)}: {error}; fix or remove it, or load without strict to skip unreadable items");
            lock (_unreadable)
            {
                _known.Add(candidate);
                _unreadable.TryAdd(candidate, new SkippedEntry(Dataset.Describe(candidate), error ?? "cannot be read"));
            }
        }
        throw new DatasetException($"no item of the data set can be read (the first: {Unreadable.FirstOrDefault()})");
    }

    /// <summary>The next batch of the epoch started as <paramref name="generation"/>, or null at its end.</summary>
    internal Batch? Next(int generation, CancellationToken cancellation)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (generation != _generation) throw new InvalidOperationException("this epoch was ended: another epoch was started, or it was cancelled or failed");
            if (cancellation.IsCancellationRequested)
            {
                StopLocked();
                cancellation.ThrowIfCancellationRequested();
            }
            if (_held + 1 >= _end)
            {
                _held = _end;
                return null;
            }
            _held++;
            if (_inline is not null) return BuildInline(generation);
            Monitor.PulseAll(_gate); // the slot of the batch given back is free
            var slot = _slots[_held % _slots.Length];
            while (!(slot.Ready && slot.Number == _held))
            {
                if (cancellation.IsCancellationRequested)
                {
                    StopLocked();
                    cancellation.ThrowIfCancellationRequested();
                }
                ObjectDisposedException.ThrowIf(_stopping, this);
                Monitor.Wait(_gate);
            }
            if (slot.Error is { } error)
            {
                StopLocked();
                error.Throw();
            }
            return slot.Batch;
        }
    }

    /// <summary>Builds the held batch on the consumer's thread (no workers).</summary>
    private Batch BuildInline(int generation)
    {
        var batch = _slots[0].Batch;
        try
        {
            Build(_inline!, batch, _epoch, _held, generation);
        }
        catch
        {
            _generation++;
            throw;
        }
        return batch;
    }

    /// <summary>Ends the epoch <paramref name="generation"/> if it is still the current one.</summary>
    internal void End(int generation)
    {
        lock (_gate)
        {
            if (generation == _generation && !_stopping) StopLocked();
        }
    }

    /// <summary>Wakes a consumer waiting for a batch so that it sees its cancellation.</summary>
    internal void Wake()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }

    /// <summary>Stops the workers and waits for them; a consumer waiting for a batch gets an <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _generation++;
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var thread in _threads) thread.Join();
        _inline?.Item.Dispose();
    }

    /// <summary>A batch buffer and what it holds: which batch, whether it is complete, and the error that ended it.</summary>
    private sealed class Slot(Batch batch)
    {
        public readonly Batch Batch = batch;
        public int Number = -1;
        public bool Ready;
        public ExceptionDispatchInfo? Error;
    }

    /// <summary>What one builder reuses from item to item: the item's buffer and the pipeline's.</summary>
    private sealed class Worker(ImagePipeline pipeline)
    {
        public readonly ImageItem Item = new();
        public readonly PipelineRunner Runner = new(pipeline);
    }
}
