using LightNets.Weights;

namespace LightNets.Tests.Weights;

/// <summary>safetensors files read by <see cref="WeightFiles.Read"/>: dtypes, metadata, order, and what is refused.</summary>
public sealed class SafeTensorsReaderTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private WeightFileException Refused(byte[] bytes, string name = "w.safetensors")
    {
        var path = _files.Write(bytes, name);
        var e = Assert.IsAssignableFrom<WeightFileException>(Record.Exception(() => WeightFiles.Read(path)));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Every_converted_dtype_reads_as_float32_with_its_source_dtype()
    {
        var path = _files.Write(SafeTensorsBytes.Mixed(), "mixed.safetensors");
        Assert.Equal(WeightFormat.SafeTensors, WeightFiles.Detect(path));
        var dict = WeightFiles.Read(path);
        Assert.Equal(WeightFormat.SafeTensors, dict.Format);
        Assert.Equal("mixed.safetensors", dict.SourceName);
        Assert.Null(dict.Prefix);
        Assert.Equal(["w", "h", "b", "d", "n"], dict.Select(t => t.Name));
        Assert.Equal(["float32", "float16", "bfloat16", "float64", "int64"], dict.Select(t => t.DType));
        Assert.Equal([false, false, false, false, true], dict.Select(t => t.IsInteger));
        Assert.Equal([24L, 4, 4, 8, 8], dict.Select(t => t.Bytes));
        Assert.True(dict.TryGet("w", out var w));
        Assert.Equal([2, 3], w.Shape);
        Assert.Equal([-1f, -0.5f, 0f, 0.5f, 1f, 1.5f], w.Data);
        Assert.Equal([1.5f, -2f], dict[1].Data);
        Assert.Equal([1f, -3.5f], dict[2].Data);
        Assert.Equal([(float)0.1], dict[3].Data);
        Assert.Empty(dict[4].Shape);
        Assert.Equal([7f], dict[4].Data);
        Assert.Equal("mobilenetv3_large_100", dict.Metadata["arch"]);
        Assert.Equal(2, dict.Metadata.Count);
        Assert.False(dict.TryGet("W", out _));
    }

    [Fact]
    public void Tensors_come_in_data_order_whatever_the_header_order()
    {
        var header = "{" + SafeTensorsBytes.Entry("second", "F32", "[1]", 4, 8) + "," + SafeTensorsBytes.Entry("first", "F32", "[1]", 0, 4) + "}";
        var dict = WeightFiles.Read(_files.Write(SafeTensorsBytes.File(header, [0, 0, 128, 63, 0, 0, 0, 64]), "o.safetensors"));
        Assert.Equal(["first", "second"], dict.Select(t => t.Name));
        Assert.Equal([1f, 2f], dict.Select(t => t.Data[0]));
    }

    [Fact]
    public void An_empty_tensor_reads_with_no_values()
    {
        var dict = WeightFiles.Read(_files.Write(SafeTensorsBytes.File("{" + SafeTensorsBytes.Entry("e", "F16", "[0,3]", 0, 0) + "}", []), "e.safetensors"));
        Assert.Equal([0, 3], dict[0].Shape);
        Assert.Empty(dict[0].Data);
    }

    [Theory]
    [InlineData("F8_E4M3", "which LightNets does not convert")]
    [InlineData("F128", "which is not a safetensors dtype")]
    [InlineData("f32", "which is not a safetensors dtype")]
    public void An_unknown_or_unconverted_dtype_is_named(string dtype, string words)
    {
        var e = Refused(SafeTensorsBytes.File("{" + SafeTensorsBytes.Entry("x", dtype, "[4]", 0, 4) + "}", new byte[4]));
        Assert.Contains(dtype, e.Message);
        Assert.Contains(words, e.Message);
    }

    [Fact]
    public void A_header_claiming_two_to_the_sixty_bytes_is_refused_unread()
    {
        var e = Refused(SafeTensorsBytes.File("{}", [], declaredLength: 1UL << 60));
        Assert.Contains("over the 100 MB", e.Message);
        e = Refused(SafeTensorsBytes.File("{}", new byte[100], declaredLength: 1000));
        Assert.Contains("past the end of the", e.Message);
    }

    [Theory]
    [InlineData("[0,4]", "[2,6]", 8, "overlaps")]
    [InlineData("[0,4]", "[8,12]", 12, "a gap before")]
    [InlineData("[0,4]", "[4,1152921504606846976]", 12, "run past the end")]
    [InlineData("[4,0]", "[4,8]", 8, "end before they begin")]
    [InlineData("[0,4]", "[4,8]", 12, "4 bytes follow the last tensor")]
    public void Offsets_out_of_bounds_overlapping_or_out_of_order_are_refused(string a, string b, int dataBytes, string words)
    {
        var header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + a + "},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + b + "}}";
        Assert.Contains(words, Refused(SafeTensorsBytes.File(header, new byte[dataBytes])).Message);
    }

    [Fact]
    public void A_shape_of_two_to_the_sixty_elements_is_refused_without_allocating_it()
    {
        var e = Refused(SafeTensorsBytes.File("{" + SafeTensorsBytes.Entry("x", "F32", "[1073741824,1073741824]", 0, 4) + "}", new byte[4]));
        Assert.Contains("needs more than the 4 bytes", e.Message);
    }
}
