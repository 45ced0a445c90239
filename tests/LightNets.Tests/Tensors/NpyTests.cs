using System.Text;
using LightNets.Tensors;

namespace LightNets.Tests.Tensors;

public class NpyTests
{
    [Fact]
    public void Round_trips_and_aligns_the_data()
    {
        var t = new Rng(3).NormalTensor(2, 3, 4, 5);
        using var ms = new MemoryStream();
        Npy.Write(ms, t);
        var bytes = ms.ToArray();
        Assert.Equal(0, (bytes.Length - t.Length * 4) % 64); // header padded to 64 bytes
        var back = Npy.Read(new MemoryStream(bytes));
        Assert.Equal(t.Shape, back.Shape);
        Assert.Equal(t.Data, back.Data);
    }

    [Fact]
    public void Reads_a_header_written_by_numpy()
    {
        // np.save of np.arange(6, dtype=np.float32).reshape(2, 3), format 1.0, header as numpy writes it.
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        var bytes = Build(1, header, Enumerable.Range(0, 6).Select(i => (float)i).ToArray());
        var t = Npy.Read(new MemoryStream(bytes));
        Assert.Equal(new Shape(2, 3), t.Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], t.Data);
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", "float64")]
    [InlineData("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", "'<i8'")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", "Fortran-order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "scalar")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", "not a positive integer")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", "too large")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000), }", "holds only 8")]
    [InlineData("{'descr': '<f4', 'fortran_order': False}", "no 'shape'")]
    public void Bad_headers_get_specific_errors(string header, string message)
    {
        var bytes = Build(1, header, [1f, 2f]);
        var e = Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(bytes)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Garbage_and_truncation_are_rejected()
    {
        Assert.Contains("not a .npy", Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(Encoding.ASCII.GetBytes("hello world, not numpy")))).Message);
        Assert.Contains("truncated", Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]))).Message);
        var good = Build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", [1f, 2f, 3f, 4f]);
        Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(good[..^3])));
        var huge = good.ToArray();
        huge[8] = 0xFF; huge[9] = 0xFF; // header length beyond the file
        Assert.Contains("truncated", Assert.Throws<NpyFormatException>(() => Npy.Read(new MemoryStream(huge))).Message);
    }

    private static byte[] Build(int version, string header, float[] data)
    {
        using var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        var h = Encoding.Latin1.GetBytes(header + "\n");
        ms.Write([(byte)(h.Length & 0xFF), (byte)(h.Length >> 8)]);
        ms.Write(h);
        foreach (var f in data) ms.Write(BitConverter.GetBytes(f));
        return ms.ToArray();
    }
}
