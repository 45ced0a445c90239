using System.IO.Pipes;
using LightNets.Imaging;
using LightNets.Tests.Robustness;

namespace LightNets.Tests.Imaging;

/// <summary>
/// Images that come through a pipe (a FIFO, bash's <c>&lt;(cat img.jpg)</c>, a non-seekable stream) are read into a
/// buffer bounded by the decoder's encoded-size limit; devices that report no size are refused, never read forever.
/// </summary>
public sealed class ImagePipeTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();
    private readonly ImageDecoder _decoder = new();

    public void Dispose() => _dir.Dispose();

    private byte[] FromFile(string fixture)
    {
        using var image = _decoder.Decode(ImagingFixtures.Get(fixture).Path);
        return image.ToRgbArray();
    }

    [Theory]
    [InlineData("portrait_jpeg")]
    [InlineData("landscape_rgb_png")]
    [InlineData("lossy_webp")]
    public void A_fifo_decodes_like_the_file(string fixture)
    {
        var fifo = SpecialFiles.Fifo(_dir.File("image.fifo"));
        var feeder = SpecialFiles.Feed(fifo, File.ReadAllBytes(ImagingFixtures.Get(fixture).Path));
        try
        {
            byte[]? rgb = null;
            var e = SpecialFiles.Within(() =>
            {
                using var image = _decoder.Decode(fifo);
                rgb = image.ToRgbArray();
            }, fifo);
            Assert.Null(e);
            Assert.Equal(FromFile(fixture), rgb);
        }
        finally { SpecialFiles.Release(fifo, feeder); }
    }

    [Fact]
    public void A_dev_fd_path_of_an_anonymous_pipe_decodes_like_the_file()
    {
        // What bash's <(cat img.jpg) hands over: /dev/fd/N, a link to a pipe with a writer at the other end.
        if (!OperatingSystem.IsLinux()) return;
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        var path = $"/dev/fd/{pipe.ClientSafePipeHandle.DangerousGetHandle()}";
        var bytes = File.ReadAllBytes(ImagingFixtures.Get("portrait_jpeg").Path);
        var feeder = Task.Run(() =>
        {
            pipe.Write(bytes);
            pipe.Dispose();
        });
        byte[]? rgb = null;
        var e = SpecialFiles.Within(() =>
        {
            using var image = _decoder.Decode(path);
            rgb = image.ToRgbArray();
        });
        Assert.Null(e);
        Assert.True(SpecialFiles.Finishes(feeder), "the writer is still waiting");
        Assert.Equal(FromFile("portrait_jpeg"), rgb);
    }

    [Fact]
    public void A_non_seekable_stream_decodes_like_the_file()
    {
        var bytes = File.ReadAllBytes(ImagingFixtures.Get("odd_bmp").Path);
        using var image = _decoder.Decode(new ForwardOnlyStream(new MemoryStream(bytes)), "stdin");
        Assert.Equal(FromFile("odd_bmp"), image.ToRgbArray());
    }

    [Fact]
    public void A_pipe_longer_than_the_limit_is_cut_off_and_refused()
    {
        var small = new ImageDecoder(maxPixels: 1000);
        var fifo = SpecialFiles.Fifo(_dir.File("endless.fifo"));
        var jpeg = File.ReadAllBytes(ImagingFixtures.Get("portrait_jpeg").Path);
        var bytes = new byte[small.MaxEncodedBytes + 1];
        jpeg.CopyTo(bytes, 0);
        var feeder = SpecialFiles.Feed(fifo, bytes);
        try
        {
            var e = SpecialFiles.Throws<ImageDecodeException>(() => small.Decode(fifo), fifo);
            Assert.Equal($"more than {small.MaxEncodedBytes:N0} bytes, more than an image of at most 1,000 pixels needs", e.Reason);
        }
        finally { SpecialFiles.Release(fifo, feeder); }
    }

    [Fact]
    public void An_endless_stream_is_read_no_further_than_the_limit()
    {
        var small = new ImageDecoder(maxPixels: 1000);
        var endless = new EndlessStream();
        var e = Assert.Throws<ImageDecodeException>(() => small.Decode(endless, "endless"));
        Assert.Contains("more than an image of at most 1,000 pixels needs", e.Reason);
        Assert.Equal(small.MaxEncodedBytes + 1, endless.Served);
    }

    [Fact]
    public void Dev_zero_is_refused_without_reading_it()
    {
        var e = SpecialFiles.Throws<ImageDecodeException>(() => _decoder.Decode("/dev/zero"));
        Assert.Equal("/dev/zero: it reports a size of 0 bytes yet yields data: a device or special file, not an image file", e.Message);
        var link = _dir.File("zero.png");
        File.CreateSymbolicLink(link, "/dev/zero");
        Assert.Contains("a device or special file", SpecialFiles.Throws<ImageDecodeException>(() => _decoder.Decode(link)).Reason);
    }

    [Fact]
    public void Dev_null_is_empty() =>
        Assert.Equal("the file is empty", Assert.Throws<ImageDecodeException>(() => _decoder.Decode("/dev/null")).Reason);

    [Fact]
    public void An_empty_pipe_is_empty()
    {
        var fifo = SpecialFiles.Fifo(_dir.File("empty.fifo"));
        var feeder = SpecialFiles.Feed(fifo, []);
        try
        {
            Assert.Equal("the file is empty", SpecialFiles.Throws<ImageDecodeException>(() => _decoder.Decode(fifo), fifo).Reason);
        }
        finally { SpecialFiles.Release(fifo, feeder); }
    }

    [Fact]
    public void A_stream_positioned_past_its_end_is_empty()
    {
        var stream = new MemoryStream(File.ReadAllBytes(ImagingFixtures.Get("odd_bmp").Path));
        stream.Position = stream.Length + 10;
        Assert.Equal("the file is empty", Assert.Throws<ImageDecodeException>(() => _decoder.Decode(stream, "past-the-end")).Reason);
    }

    /// <summary>A stream that cannot seek or tell its length, as standard input or a socket.</summary>
    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A non-seekable stream that never ends (a PNG signature, then zeros), counting what it hands out.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            ReadOnlySpan<byte> png = [0x89, (byte)'P', (byte)'N', (byte)'G'];
            for (var i = 0; i < count && Served + i < png.Length; i++) buffer[offset + i] = png[(int)Served + i];
            Served += count;
            return count;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
