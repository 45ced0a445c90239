namespace LightNets.Tensors;

/// <summary>
/// A small, fully specified pseudo-random generator (SplitMix64 seeding a xoshiro256** stream) so that
/// weights "from seed 42" are the same on every machine and every .NET version; System.Random's algorithm
/// is an implementation detail that may change.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    public Rng(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public float Uniform(float lo, float hi) => (float)(lo + (hi - lo) * NextDouble());

    /// <summary>Standard normal by the Box–Muller transform.</summary>
    public double NextNormal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        var u2 = NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    public void FillNormal(Span<float> dst, double mean, double std)
    {
        for (var i = 0; i < dst.Length; i++) dst[i] = (float)(mean + std * NextNormal());
    }

    public void FillUniform(Span<float> dst, float lo, float hi)
    {
        for (var i = 0; i < dst.Length; i++) dst[i] = Uniform(lo, hi);
    }

    /// <summary>A tensor of the given shape with N(0, 1) entries.</summary>
    public Tensor NormalTensor(params int[] dims)
    {
        var t = Tensor.Zeros(dims);
        FillNormal(t.Data, 0, 1);
        return t;
    }
}
