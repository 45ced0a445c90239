using LightNets.Weights;

namespace LightNets.Tests.Weights;

/// <summary>
/// Real files saved by PyTorch 1.13 (zip and legacy formats, protocols 2 and 4, views, shared storages, every dtype, a
/// training checkpoint, a big-endian rewrite) and a safetensors file: every tensor read equals what PyTorch holds.
/// </summary>
public sealed class WeightFixtureTests
{
    [Theory]
    [MemberData(nameof(WeightFixtures.Names), MemberType = typeof(WeightFixtures))]
    public void Every_tensor_equals_what_PyTorch_saved(string file)
    {
        var expected = WeightFixtures.All[file];
        var path = WeightFixtures.PathOf(file);
        Assert.Equal(expected.Format, WeightFiles.Detect(path).ToString());
        var dict = WeightFiles.Read(path);
        Assert.Equal(expected.Format, dict.Format.ToString());
        Assert.Equal(file, dict.SourceName);
        Assert.Equal(expected.Prefix, dict.Prefix);
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key), dict.Metadata.OrderBy(p => p.Key));
        Assert.Equal(expected.Tensors.Select(t => t.Name), dict.Select(t => t.Name));
        foreach (var (want, got) in expected.Tensors.Zip(dict))
        {
            Assert.Equal(want.DType, got.DType);
            Assert.Equal(want.Shape, got.Shape);
            Assert.Equal(want.DType is "int64" or "int32" or "int16" or "int8" or "uint8" or "bool", got.IsInteger);
            Assert.True(want.Values.AsSpan().SequenceEqual(got.Data), $"{file}: {got.Name} differs: [{string.Join(", ", got.Data.Take(8))}...] vs [{string.Join(", ", want.Values.Take(8))}...]");
            Assert.True(dict.TryGet(want.Name, out var byName));
            Assert.Same(got, byName);
        }
    }

    [Fact]
    public void Bytes_count_each_tensor_in_its_source_dtype()
    {
        var dict = WeightFiles.Read(WeightFixtures.PathOf("dtypes.pth"));
        Assert.True(dict.TryGet("f16", out var f16));
        Assert.Equal(6 * 2, f16.Bytes);
        Assert.True(dict.TryGet("f64", out var f64));
        Assert.Equal(6 * 8, f64.Bytes);
        Assert.True(dict.TryGet("scalar", out var scalar));
        Assert.Empty(scalar.Shape);
        Assert.Equal(4, scalar.Bytes);
        Assert.True(dict.TryGet("empty", out var empty));
        Assert.Equal(0, empty.Bytes);
    }

    [Fact]
    public void The_big_endian_file_really_is_big_endian_and_reads_as_the_little_endian_one()
    {
        var little = WeightFiles.Read(WeightFixtures.PathOf("dtypes.pth"));
        var big = WeightFiles.Read(WeightFixtures.PathOf("big_endian.pth"));
        Assert.Equal(little.Select(t => t.Data), big.Select(t => t.Data));
        // The storages' bytes differ (each element swapped), so the equality above is the byte order being honoured.
        using var bigZip = System.IO.Compression.ZipFile.OpenRead(WeightFixtures.PathOf("big_endian.pth"));
        using var littleZip = System.IO.Compression.ZipFile.OpenRead(WeightFixtures.PathOf("dtypes.pth"));
        Assert.Equal("big", new StreamReader(bigZip.GetEntry("dtypes/byteorder")!.Open()).ReadToEnd());
        Assert.Null(littleZip.GetEntry("dtypes/byteorder"));
        var f64Big = new BinaryReader(bigZip.GetEntry("dtypes/data/2")!.Open()).ReadBytes(48);
        var f64Little = new BinaryReader(littleZip.GetEntry("dtypes/data/2")!.Open()).ReadBytes(48);
        Assert.Equal(f64Little[..8].Reverse(), f64Big[..8]);
        Assert.NotEqual(f64Little, f64Big);
    }
}
