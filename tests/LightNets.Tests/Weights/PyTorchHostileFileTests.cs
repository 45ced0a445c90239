using System.IO.Compression;
using LightNets.Weights;

namespace LightNets.Tests.Weights;

/// <summary>
/// Damaged and hostile PyTorch checkpoints: storages that are missing, too small, lying about their size or
/// compressed into bombs; views past their storage; counts that would need exabytes; pickles that do not build a
/// state dict. Each is a <see cref="WeightFileException"/> naming the file and the problem, never a crash, a hang or
/// an allocation sized by the file's word.
/// </summary>
public sealed class PyTorchHostileFileTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string Refused(byte[] file, string name = "hostile.pth")
    {
        var path = _files.Write(file, name);
        var e = Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Read(path)));
        Assert.Contains(path, e.Message);
        return e.Message;
    }

    private static byte[] OneTensorZip(long numel, long offset, long[] size, long[] stride, byte[] data) =>
        TorchArchive.Zip(PickleBytes.OneTensor("0", numel, offset, size, stride), ("0", data));

    [Fact]
    public void The_hand_built_checkpoint_reads()
    {
        var path = _files.Write(OneTensorZip(6, 1, [2, 2], [1, 2], TorchArchive.Floats(0, 1, 2, 3, 4, 5)), "ok.pth");
        var dict = WeightFiles.Read(path);
        Assert.Equal([1f, 3f, 2f, 4f], dict[0].Data);
        var legacy = _files.Write(LegacyBytes.File(PickleBytes.OneTensor("k", 6, 1, [2, 2], [1, 2]), LegacyBytes.Keys("k"), (6, TorchArchive.Floats(0, 1, 2, 3, 4, 5))), "ok_legacy.pth");
        Assert.Equal(WeightFormat.PyTorchLegacy, WeightFiles.Detect(legacy));
        Assert.Equal([1f, 3f, 2f, 4f], WeightFiles.Read(legacy)[0].Data);
    }

    [Fact]
    public void A_storage_missing_from_the_archive_is_named()
    {
        var m = Refused(TorchArchive.Zip(PickleBytes.OneTensor("7", 2, 0, [2], [1]), ("0", TorchArchive.Floats(1, 2))));
        Assert.Contains("storage '7'", m);
        Assert.Contains("no entry 'archive/data/7'", m);
    }

    [Theory]
    [InlineData(2, 0, new long[] { 3 }, new long[] { 1 }, "reaches past the end of storage '0', which has 2 elements")]
    [InlineData(2, 2, new long[] { 1 }, new long[] { 1 }, "starts at element 2 of storage '0', which has 2")]
    [InlineData(2, 3, new long[] { 0 }, new long[] { 1 }, "starts at element 3")]
    [InlineData(2, 0, new long[] { 2, 2 }, new long[] { 1, 1 }, "reaches past the end")]
    [InlineData(2, 1, new long[] { 2 }, new long[] { 1 }, "reaches past the end")]
    [InlineData(2, 0, new long[] { 2 }, new long[] { 4611686018427387904 }, "reaches past the end")]
    [InlineData(2, 0, new long[] { 1073741824, 1073741824 }, new long[] { 0, 0 }, "more elements than one .NET array can hold")]
    [InlineData(2, 0, new long[] { 1073741824 }, new long[] { 0 }, "would take more than")]
    [InlineData(2, 0, new long[] { 2147483647 }, new long[] { 0 }, "more elements than one .NET array can hold")]
    public void Views_past_their_storage_or_too_large_are_refused_before_allocating(long numel, long offset, long[] size, long[] stride, string words)
    {
        Assert.Contains(words, Refused(OneTensorZip(numel, offset, size, stride, TorchArchive.Floats(1, 2))));
    }

    [Theory]
    [InlineData(1L << 62, "needs more than 2^63 bytes")]
    [InlineData(1L << 60, "needs 4611686018427387904 bytes, but entry 'archive/data/0' has 8")]
    [InlineData(1L << 58, "needs 1152921504606846976 bytes, but entry 'archive/data/0' has 8")]
    [InlineData(3, "needs 12 bytes, but entry 'archive/data/0' has 8")]
    [InlineData(1, "needs 4 bytes, but entry 'archive/data/0' has 8")]
    public void A_storage_whose_count_does_not_match_its_entry_is_refused(long numel, string words)
    {
        Assert.Contains(words, Refused(OneTensorZip(numel, 0, [1], [1], TorchArchive.Floats(1, 2))));
    }

    [Fact]
    public void A_storage_named_with_two_dtypes_is_refused()
    {
        var p = new PickleBytes().EmptyDict().Mark()
            .Str("a").Tensor("FloatStorage", "0", 2, 0, [2], [1])
            .Str("b").Tensor("HalfStorage", "0", 4, 0, [4], [1]).SetItems().Stop().ToArray();
        Assert.Contains("storage '0' is named both as 2 float32 and as 4 float16 elements", Refused(TorchArchive.Zip(p, ("0", new byte[8]))));
    }

    [Fact]
    public void A_zip_bomb_entry_is_refused_before_it_is_inflated()
    {
        // 64 MiB of zeros deflate to some 64 KiB; the pickle declares exactly that storage, so only the ratio gives it away.
        const int count = 16 << 20;
        var m = Refused(TorchArchive.Zip(PickleBytes.OneTensor("0", count, 0, [count], [1]), CompressionLevel.SmallestSize, ("0", new byte[count * 4])));
        Assert.Contains("more than 100:1", m);
        Assert.Contains("zip bomb", m);
    }

    [Fact]
    public void An_entry_that_inflates_past_its_declared_size_is_refused()
    {
        // Random bytes do not compress, so the ratio is fine; then the declared size is made a quarter of the real one.
        var data = new byte[4096];
        new Random(5).NextBytes(data);
        var zip = TorchArchive.Zip(PickleBytes.OneTensor("0", 256, 0, [256], [1]), CompressionLevel.Optimal, ("0", data));
        // .NET stops inflating at the declared size, so what gives it away is the checksum of the whole entry.
        Assert.Contains("do not match its CRC-32", Refused(ZipPatch.DeclaredSize(zip, "archive/data/0", 1024)));
    }

    [Fact]
    public void A_flipped_byte_in_a_storage_is_caught_by_the_checksum()
    {
        var zip = OneTensorZip(2, 0, [2], [1], TorchArchive.Floats(1.5f, 2.5f));
        var at = zip.AsSpan().IndexOf(TorchArchive.Floats(1.5f, 2.5f));
        zip[at + 3] ^= 0x40;
        Assert.Contains("entry 'archive/data/0''s bytes do not match its CRC-32", Refused(zip));
    }

    [Fact]
    public void A_data_pkl_larger_than_the_pickle_limit_is_refused_unread()
    {
        var zip = TorchArchive.Zip(new PickleBytes().None().Stop().ToArray());
        Assert.Contains("declares 1073741824 bytes, more than the 67108864", Refused(ZipPatch.DeclaredSize(zip, "archive/data.pkl", 1 << 30)));
    }

    [Fact]
    public void A_central_directory_claiming_two_to_the_sixty_entries_is_refused()
    {
        var file = ZipPatch.Zip64EntryCount(TorchArchive.Zip(new PickleBytes().None().Stop().ToArray()), 1L << 60);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("its zip archive is damaged", Refused(file));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "memory was allocated by the declared entry count");
    }

    [Fact]
    public void A_pickle_that_makes_millions_of_containers_is_refused_by_the_scan()
    {
        var p = new PickleBytes();
        for (var i = 0; i <= 1_000_000; i++) p.Op((byte)'}', (byte)'0');
        Assert.Contains("more than 1000000 dicts", Refused(TorchArchive.Zip(p.None().Stop().ToArray())));
    }

    [Fact]
    public void A_pickle_that_makes_millions_of_objects_is_refused_by_the_scan()
    {
        var p = new PickleBytes();
        for (var i = 0; i <= 8_000_000; i++) p.Op((byte)'N', (byte)'0');
        Assert.Contains("more than 8000000 objects", Refused(TorchArchive.Zip(p.None().Stop().ToArray())));
    }

    [Theory]
    [MemberData(nameof(NotStateDicts))]
    public void Pickles_that_do_not_build_a_state_dict_are_refused(string what, byte[] pickle, string words)
    {
        Assert.True(Refused(TorchArchive.Zip(pickle, ("0", new byte[8]))).Contains(words), what);
    }

    public static TheoryData<string, byte[], string> NotStateDicts => new()
    {
        { "a list", new PickleBytes().EmptyList().Stop().ToArray(), "holds a list, not a dict of tensors" },
        { "a dict of ints", new PickleBytes().EmptyDict().Mark().Str("epoch").Int(3).SetItems().Stop().ToArray(), "holds no tensors (its keys: 'epoch')" },
        { "SETITEM on a list", new PickleBytes().EmptyList().Str("k").Int(1).SetItem().Stop().ToArray(), "does not build a state dict" },
        { "a dict with a None key", new PickleBytes().EmptyDict().None().Int(1).SetItem().Stop().ToArray(), "does not build a state dict" },
        { "OrderedDict with arguments", new PickleBytes().Global("collections", "OrderedDict").Int(1).Op(0x85).Reduce().Stop().ToArray(), "calls collections.OrderedDict with arguments" },
        { "a called storage class", new PickleBytes().Global("torch", "FloatStorage").EmptyTuple().Reduce().Stop().ToArray(), "never calls them" },
        { "a rebuild with 2 arguments", new PickleBytes().Global("torch._utils", "_rebuild_tensor_v2").Int(1).Int(2).Op(0x86).Reduce().Stop().ToArray(), "with 2 arguments, not 6 or 7" },
        { "a rebuild on a string", new PickleBytes().Global("torch._utils", "_rebuild_tensor").Mark().Str("x").Int(0).Ints(1).Ints(1).Tuple().Reduce().Stop().ToArray(), "on a string, not on a storage" },
        { "a parameter of an int", new PickleBytes().Global("torch._utils", "_rebuild_parameter").Int(1).False().EmptyDict().Op(0x87).Reduce().Stop().ToArray(), "on an integer, not on a tensor" },
        { "a negative size", PickleBytes.OneTensor("0", 2, 0, [-1], [1]), "not a whole number" },
        { "a size of 17 dimensions", PickleBytes.OneTensor("0", 2, 0, new long[17], new long[17]), "more than the 16" },
        { "a persistent id that is a string", new PickleBytes().Str("storage").PersistentId().Stop().ToArray(), "not a ('storage', class, key, location, numel) tuple" },
        { "a persistent id of another kind", new PickleBytes().Mark().Str("module").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(2).Tuple().PersistentId().Stop().ToArray(), "tuple" },
        { "a storage of a non-class", new PickleBytes().Mark().Str("storage").Str("FloatStorage").Str("0").Str("cpu").Int(2).Tuple().PersistentId().Stop().ToArray(), "not a torch storage class" },
        { "a pickle without STOP", new PickleBytes().None().ToArray(), "truncated" },
        { "an empty stack at STOP", new PickleBytes().Stop().ToArray(), "STOP with no value" },
        { "a pop below a mark", new PickleBytes().Mark().Op((byte)'0').Stop().ToArray(), "empty stack" },
        { "a memo read before it is written", new PickleBytes().Get(3).Stop().ToArray(), "memo entry 3 is read before it is stored" },
        { "a call of a non-global", new PickleBytes().None().EmptyTuple().Reduce().Stop().ToArray(), "a call of something that is not a global" },
        { "protocol 9", new PickleBytes().Op(0x80, 9).None().Stop().ToArray(), "pickle protocol 9" },
        { "a string longer than the pickle", new PickleBytes().Op((byte)'X', 0xff, 0xff, 0xff, 0x7f).Stop().ToArray(), "more bytes" },
        { "a negative string length", new PickleBytes().Op((byte)'X', 0xff, 0xff, 0xff, 0xff).Stop().ToArray(), "a negative length" },
        { "a 2^62-byte string", new PickleBytes().Op(0x8d, 0, 0, 0, 0, 0, 0, 0, 0x40).Stop().ToArray(), "more bytes" },
        { "a 1000-byte integer", new PickleBytes().Op(0x8b, 0xe8, 0x03, 0, 0).Op(new byte[1000]).Stop().ToArray(), "an integer of 1000 bytes" },
    };

    [Fact]
    public void A_byteorder_other_than_little_or_big_is_refused()
    {
        var zip = TorchArchive.Entries(("archive/data.pkl", PickleBytes.OneTensor("0", 2, 0, [2], [1])), ("archive/data/0", TorchArchive.Floats(1, 2)),
            ("archive/byteorder", "middle"u8.ToArray()));
        Assert.Contains("byteorder entry says 'middle'", Refused(zip));
    }

    [Fact]
    public void Archives_without_a_pickle_or_with_two_are_refused()
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true)) zip.CreateEntry("readme.txt");
        Assert.Contains("no FOLDER/data.pkl", Refused(memory.ToArray()));
        var pickle = new PickleBytes().None().Stop().ToArray();
        var two = TorchArchive.Entries(("archive/data.pkl", pickle), ("other/data.pkl", pickle));
        Assert.Contains("two pickles", Refused(two));
    }

    [Fact]
    public void Legacy_files_whose_storages_do_not_match_their_pickle_are_refused()
    {
        var pickle = PickleBytes.OneTensor("k", 2, 0, [2], [1]);
        Assert.Contains("holds 3 elements in the file, but its pickle says 2", Refused(LegacyBytes.File(pickle, LegacyBytes.Keys("k"), (3, new byte[12]))));
        Assert.Contains("needs 2 × 4 bytes, but the file has 4 left", Refused(LegacyBytes.File(pickle, LegacyBytes.Keys("k"), (2, new byte[4]))));
        Assert.Contains("names 'j', which its pickle does not", Refused(LegacyBytes.File(pickle, LegacyBytes.Keys("j"), (2, new byte[8]))));
        Assert.Contains("names 'k' twice", Refused(LegacyBytes.File(pickle, LegacyBytes.Keys("k", "k"), (2, new byte[8]), (2, new byte[8]))));
        Assert.Contains("is not among the storages the file holds", Refused(LegacyBytes.File(pickle, LegacyBytes.Keys())));
        Assert.Contains("list of storage keys is not a list", Refused(LegacyBytes.File(pickle, new PickleBytes().None().Stop().ToArray())));
        Assert.Contains("big-endian machine", Refused([.. LegacyBytes.Header(littleEndian: false), .. pickle]));
    }
}
