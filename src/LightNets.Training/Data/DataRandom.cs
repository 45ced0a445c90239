namespace LightNets.Training.Data;

/// <summary>
/// The random numbers of the data pipeline: SplitMix64 (Steele, Lea and Flood, 2014), a 64-bit counter whose every
/// step is scrambled by a bijective mixer. A stream is keyed by what it is for, never by a thread or a time: the epoch
/// order by (seed, epoch), each item's augmentation by (seed, epoch, item). So a batch is the same whichever worker
/// makes it and whenever, and a resumed epoch makes the same batches as an uninterrupted one.
/// </summary>
internal struct DataRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private const ulong OrderStream = 0x6F72646572000000;  // "order"
    private const ulong ItemStream = 0x6974656D00000000;   // "item"
    private const ulong SplitStream = 0x73706C6974000000;  // "split"
    private ulong _state;

    private DataRandom(ulong state) => _state = state;

    /// <summary>The stream that orders epoch <paramref name="epoch"/>'s items.</summary>
    public static DataRandom ForOrder(int seed, int epoch) => new(Key(OrderStream, seed, epoch, 0));

    /// <summary>The stream of item <paramref name="index"/>'s augmentation in epoch <paramref name="epoch"/>.</summary>
    public static DataRandom ForItem(int seed, int epoch, int index) => new(Key(ItemStream, seed, epoch, index));

    /// <summary>The stream of a data set split or sample.</summary>
    public static DataRandom ForSplit(int seed) => new(Key(SplitStream, seed, 0, 0));

    private static ulong Key(ulong stream, int seed, int epoch, int index) =>
        Mix(Mix(Mix(stream ^ (uint)seed) ^ (uint)epoch) ^ (uint)index);

    private static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        var z = _state += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform in [0, <paramref name="bound"/>), without bias (Lemire's multiply-and-reject).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        var range = (uint)bound;
        var product = (ulong)(uint)(NextUInt64() >> 32) * range;
        if ((uint)product < range)
        {
            var threshold = (0u - range) % range;
            while ((uint)product < threshold) product = (ulong)(uint)(NextUInt64() >> 32) * range;
        }
        return (int)(product >> 32);
    }

    /// <summary>Shuffles <paramref name="items"/> uniformly (Fisher–Yates).</summary>
    public void Shuffle(Span<int> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
