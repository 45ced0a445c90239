using LightNets.Tests.Onnx;
using LightNets.Tests.Robustness;
using LightNets.Weights;

namespace LightNets.Tests.Weights;

/// <summary><see cref="WeightFiles.Detect"/> and what <see cref="WeightFiles.Read"/> says about files that are not weights.</summary>
public sealed class WeightFilesTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void An_onnx_model_is_detected_and_sent_to_the_onnx_importer()
    {
        var model = OnnxFixtures.Model(OnnxFixtures.Names[0]);
        Assert.Equal(WeightFormat.Onnx, WeightFiles.Detect(model));
        var e = Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Read(model)));
        Assert.Contains("is an ONNX model", e.Message);
        Assert.Contains("OnnxWeights", e.Message);
    }

    [Theory]
    [InlineData("w.bin", new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, "is not a weight file LightNets reads", "0102030405060708")]
    [InlineData("w.pth", new byte[] { 0x80, 2, 0x7d, 0x2e }, "is not a weight file LightNets reads", "80027D2E")]
    [InlineData("w.safetensors", new byte[] { 1, 2, 3 }, "is not a readable safetensors file", "shorter than the 8-byte header length")]
    [InlineData("w.safetensors", new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, (byte)'[', (byte)']' }, "is not a readable safetensors file", "does not start with '{'")]
    [InlineData("w.pth", new byte[] { (byte)'P', (byte)'K', 3, 4, 0 }, "is not a readable PyTorch checkpoint", "zip archive is damaged")]
    public void Unknown_or_damaged_content_is_refused_by_what_it_looks_like(string name, byte[] bytes, string kind, string detail)
    {
        var path = _files.Write(bytes, name);
        var e = Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Read(path)));
        Assert.Contains(path, e.Message);
        Assert.Contains(kind, e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void Garbage_named_onnx_is_detected_as_onnx()
    {
        Assert.Equal(WeightFormat.Onnx, WeightFiles.Detect(_files.Write([0xff, 0xfe, 0xfd], "m.onnx")));
    }

    [Fact]
    public void Missing_files_directories_and_empty_files_are_named()
    {
        var missing = Path.Combine(_files.Dir, "none.pth");
        Assert.Contains("there is no weight file", Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Read(missing))).Message);
        Assert.Contains("is a directory", Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Detect(_files.Dir))).Message);
        var empty = _files.Write([], "empty.safetensors");
        Assert.Contains("is empty or not a regular file", Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Read(empty))).Message);
    }

    [Fact]
    public void A_fifo_is_refused_without_waiting_for_a_writer()
    {
        var fifo = SpecialFiles.Fifo(Path.Combine(_files.Dir, "pipe.pth"));
        var e = SpecialFiles.Throws<WeightFileException>(() => WeightFiles.Read(fifo), fifo);
        Assert.Contains("not a regular file", e.Message);
    }
}
