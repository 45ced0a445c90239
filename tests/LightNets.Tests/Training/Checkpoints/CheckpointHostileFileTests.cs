using LightNets.Tensors;
using LightNets.Tests.Robustness;
using LightNets.Training;
using LightNets.Training.Checkpoints;
using LightNets.Training.Optim;

namespace LightNets.Tests.Training.Checkpoints;

/// <summary>
/// Damaged and hostile files: each is refused with a <see cref="CheckpointException"/> that says what is wrong, never
/// a crash, a hang, a raw .NET exception or an allocation sized by a field of the file.
/// </summary>
public sealed class CheckpointHostileFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lightnets-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes, string name = "c.safetensors")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private CheckpointFormatException Refused(byte[] bytes)
    {
        var path = Write(bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    private const string P = "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    private static byte[] WithMetadata(string metadata) => RawSafeTensors.File("{" + metadata + "," + P + "}", new byte[8]);
    private static byte[] WithTensors(string tensors, int dataBytes) =>
        RawSafeTensors.File("{" + RawSafeTensors.GoodMetadata + "," + tensors + "}", new byte[dataBytes]);

    [Fact]
    public void The_hand_written_valid_file_loads()
    {
        var c = CheckpointFile.Load(Write(RawSafeTensors.Valid()));
        Assert.Equal(7, c.Step);
        Assert.Equal([2], c.Parameters["p"].Shape);
    }

    [Fact]
    public void A_checkpoint_truncated_at_any_byte_is_refused()
    {
        // A small checkpoint with every part (parameter, buffer, optimizer state, EMA, metadata), so that every byte
        // of it can be cut at: the prefix, every header byte, every tensor boundary and every byte between.
        var w = new Parameter("w", new Shape(1, 1, 1, 3), ParameterKind.ConvWeight, [1f, 2f, 3f]);
        var mean = new NamedBuffer("bn.running_mean", new Shape(2), [0.5f, -0.5f]);
        var sgd = new Sgd([w], momentum: 0.9);
        var ema = new WeightEma([w], [mean], 0.9);
        sgd.Step(0.1);
        ema.Update();
        var full = Path.Combine(_dir, "full.safetensors");
        CheckpointFile.Save(full, new TrainingState { Parameters = [w], Buffers = [mean], Optimizer = sgd, Ema = ema, Step = 1 });
        var bytes = File.ReadAllBytes(full);
        var messages = new HashSet<string>();
        for (var length = 0; length < bytes.Length; length++)
        {
            var e = Refused(bytes[..length]);
            messages.Add(e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..][..20]);
        }
        // Every boundary has its own words: empty, shorter than the prefix, header past the end, data section short.
        Assert.Contains(messages, m => m.StartsWith("it is empty", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("it is 7 bytes long", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("its header length is", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("tensor 'ema/", StringComparison.Ordinal));
    }

    [Fact]
    public void Bytes_after_the_last_tensor_are_refused()
    {
        Assert.Contains("4 bytes follow the last tensor", Refused([.. RawSafeTensors.Valid(), 1, 2, 3, 4]).Message);
        Assert.Contains("8 bytes follow the last tensor", Refused(RawSafeTensors.File("{" + RawSafeTensors.GoodMetadata + "}", new byte[8])).Message);
    }

    public static TheoryData<ulong, string> HeaderLengths => new()
    {
        { 0, "header length is 0" },
        { 100_000_001, "over the 100 MB" },
        { 1UL << 63, "over the 100 MB" },
        { ulong.MaxValue, "over the 100 MB" },
        { 10_000, "past the end of the" },
    };

    [Theory]
    [MemberData(nameof(HeaderLengths))]
    public void A_header_length_that_cannot_be_is_refused_before_anything_is_allocated(ulong declared, string expected)
    {
        var valid = RawSafeTensors.Valid();
        var e = Refused(RawSafeTensors.File("{" + RawSafeTensors.GoodMetadata + "," + P + "}", new byte[8], declared));
        Assert.Contains(expected, e.Message);
        Assert.True(valid.Length < 10_000);
    }

    public static TheoryData<string, int, string> BadTensors => new()
    {
        // not JSON, not an object, too deep
        { "not json", 0, "" },
        { "\"x\":[[[[1]]]]", 0, "nests deeper" },
        { "\"x\":1", 0, "is a JSON number in the header" },
        // names and fields
        { P + "," + P, 8, "names 'param/p' twice" },
        { "\"param/p\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "gives its dtype twice" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}", 8, "field 'extra'" },
        { "\"param/p\":{\"shape\":[2],\"data_offsets\":[0,8]}", 8, "lacks its dtype" },
        // dtypes
        { "\"param/p\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not a safetensors dtype" },
        { "\"param/p\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not a safetensors dtype" },
        { "\"param/p\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}", 8, "is F16; LightNets checkpoints hold F32 tensors only" },
        { "\"param/p\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}", 8, "is F64; LightNets checkpoints hold F32" },
        // shapes
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}", 8, "holds -2, which is not a whole number" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}", 8, "holds 1.5" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}", 8, "holds \"2\"" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}", 8, "shape is 2, not an array" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4611686018427387904,4],\"data_offsets\":[0,8]}", 8, "needs more than the 8 bytes" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,9223372036854775807],\"data_offsets\":[0,8]}", 8, "needs more than the 8 bytes" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}", 8, "holds 99999999999999999999" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}", 8, "needs more than the 8 bytes of its data_offsets [0, 8]" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}", 8, "needs 4 bytes, but its data_offsets [0, 8] hold 8" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2,0],\"data_offsets\":[0,0]}", 0, "dimensions from 1" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[" + string.Join(",", Enumerable.Repeat(1, 16)) + ",2],\"data_offsets\":[0,8]}", 8, "has 17 dimensions, more than the 16" },
        // offsets
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}", 8, "not an array of 2 whole numbers" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}", 8, "end before they begin" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}", 8, "holds -8" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}", 8, "run past the end of the file's 8-byte data section" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,9223372036854775807]}", 8, "run past the end" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"param/q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}", 12, "overlaps tensor 'param/p'" },
        { "\"param/q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "overlaps" },
        { "\"param/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}", 16, "bytes [0, 8) of its data section belong to no tensor" },
        // names LightNets does not write
        { "\"weights/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "tensor 'weights/p' that LightNets does not write" },
        { "\"optim/momentum_buffer/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "does not write" },
        { "\"ema/p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "does not write" },
    };

    [Theory]
    [MemberData(nameof(BadTensors))]
    public void A_bad_tensor_entry_is_refused_by_name(string tensors, int dataBytes, string expected)
    {
        var bytes = tensors == "not json"
            ? RawSafeTensors.File("{not json}", new byte[8])
            : WithTensors(tensors, dataBytes);
        Assert.Contains(expected, Refused(bytes).Message);
    }

    public static TheoryData<string, string> BadHeaders => new()
    {
        { "[1,2]", "does not start with '{'" },
        { " {}", "does not start with '{'" },
        { "{not json}", "is not valid JSON (at line 1" },
        { "{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", "nests deeper" },
        { "{\"__metadata__\":[]}", "__metadata__ is a JSON array" },
        { "{\"__metadata__\":{\"format\":1}}", "metadata 'format' is a JSON number" },
        { "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", "metadata names 'a' twice" },
        { "{\"__metadata__\":{},\"__metadata__\":{}}", "names '__metadata__' twice" },
        { "{\"__metadata__\":{}}", "not a LightNets training checkpoint" },
        { "{}", "not a LightNets training checkpoint" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void A_bad_header_is_refused(string header, string expected) =>
        Assert.Contains(expected, Refused(RawSafeTensors.File(header, [])).Message);

    [Fact]
    public void A_header_that_is_not_utf8_is_refused()
    {
        var bytes = RawSafeTensors.Valid();
        bytes[12] = 0xFF;   // inside the first key
        Assert.Contains("not valid UTF-8", Refused(bytes).Message);
    }

    /// <summary>JSON escapes can spell a lone UTF-16 surrogate, which .NET refuses only when the string is read.</summary>
    [Fact]
    public void Escaped_lone_surrogates_are_refused_wherever_they_are()
    {
        Assert.Contains("not valid Unicode", Refused(WithTensors(P.Replace("param/p", "param/\\ud800"), 8)).Message);
        Assert.Contains("not valid Unicode", Refused(WithMetadata(RawSafeTensors.Metadata("step", "\"\\udc00\""))).Message);
        Assert.Contains("\"model\" is not valid JSON", Refused(WithMetadata(RawSafeTensors.Metadata("model", "\"{\\\"\\\\ud800\\\":1}\""))).Message);
        Assert.Contains("\"options\" is not valid JSON", Refused(WithMetadata(RawSafeTensors.Metadata("options", "\"{\\\"a\\\":[\\\"\\\\ud800\\\"]}\""))).Message);
        Assert.Contains("\"metrics\" is not valid JSON", Refused(WithMetadata(RawSafeTensors.Metadata("metrics", "\"[{\\\"\\\\ud800\\\":1}]\""))).Message);
        Assert.Contains("\"progress\" is not valid JSON", Refused(WithMetadata(RawSafeTensors.Metadata("progress", "\"{\\\"\\\\ud800\\\":1}\""))).Message);
    }

    public static TheoryData<string, string, string> BadMetadata => new()
    {
        { "format_version", "\"2\"", "format version 2; this LightNets reads version 1" },
        { "step", "\"NaN\"", "\"step\" is \"NaN\", not a whole number" },
        { "step", "\"-1\"", "not a whole number" },
        { "step", "\"1e3\"", "not a whole number" },
        { "step", "\"\"", "not a whole number" },
        { "step", "\" 7\"", "not a whole number" },
        { "step", "\"99999999999999999999\"", "not a whole number" },
        { "epoch", "\"3000000000\"", "more epochs than a run can have" },
        { "progress", "\"{\\\"rng\\\":NaN}\"", "\"progress\" is not valid JSON" },
        { "progress", "\"{\\\"rng\\\":\\\"NaN\\\"}\"", "progress value \"rng\" is \"NaN\", not a whole number" },
        { "progress", "\"{\\\"rng\\\":1.5}\"", "not a whole number" },
        { "progress", "\"{\\\"rng\\\":1e400}\"", "holds the number 1e400, which is not finite" },
        { "progress", "\"{\\\"rng\\\":1,\\\"rng\\\":2}\"", "repeats a name" },
        { "progress", "\"[1]\"", "\"progress\" is JSON array, not an object" },
        { "model", "\"[]\"", "\"model\" is JSON array, not an object" },
        { "model", "\"null\"", "\"model\" is JSON null, not an object" },
        { "options", "\"{\"", "\"options\" is not valid JSON" },
        { "model", "\"" + string.Concat(Enumerable.Repeat("{\\\"a\\\":", 100)) + "1" + new string('}', 100) + "\"", "nests deeper than 64" },
        { "metrics", "\"[{\\\"loss\\\":NaN}]\"", "\"metrics\" is not valid JSON" },
        { "metrics", "\"[{\\\"loss\\\":Infinity}]\"", "\"metrics\" is not valid JSON" },
        { "metrics", "\"[{\\\"loss\\\":1e999}]\"", "\"metrics\" holds the number 1e999, which is not finite" },
        { "metrics", "\"[{\\\"loss\\\":-1e400}]\"", "not finite" },
        { "model", "\"{\\\"lr\\\":1e999}\"", "\"model\" holds the number 1e999" },
        { "metrics", "\"[1] [2]\"", "\"metrics\" is not valid JSON" },
        { "metrics", "\"[{\\\"loss\\\":1,\\\"loss\\\":2}]\"", "\"metrics\" is not valid JSON" },
        { "metrics", "\"" + string.Concat(Enumerable.Repeat("[", 100)) + new string(']', 100) + "\"", "nests deeper than 64" },
        { "format", "\"lightnets.other\"", "not a LightNets training checkpoint" },
    };

    [Theory]
    [MemberData(nameof(BadMetadata))]
    public void Bad_metadata_is_refused_by_name(string key, string value, string expected) =>
        Assert.Contains(expected, Refused(WithMetadata(RawSafeTensors.Metadata(key, value))).Message);

    [Theory]
    [InlineData("step")]
    [InlineData("metrics")]
    [InlineData("model")]
    [InlineData("format_version")]
    public void Missing_metadata_is_refused_by_name(string key)
    {
        var metadata = System.Text.RegularExpressions.Regex.Replace(RawSafeTensors.GoodMetadata, $",?\"{key}\":\"(\\\\.|[^\"\\\\])*\"", "").Replace("{,", "{");
        Assert.Contains($"lacks \"{key}\"", Refused(WithMetadata(metadata)).Message);
    }

    public static TheoryData<string, string> BadOptimizerMetadata => new()
    {
        { "\"optimizer\":\"{\\\"kind\\\":\\\"sgd\\\"}\"", "is not {\"kind\": name" },
        { "\"optimizer\":\"{\\\"kind\\\":3,\\\"steps\\\":{}}\"", "is not {\"kind\": name" },
        { "\"optimizer\":\"{\\\"kind\\\":\\\"sgd\\\",\\\"steps\\\":{\\\"p\\\":-1}}\"", "optimizer step count of \"p\" is -1, below 0" },
        { "\"optimizer\":\"{\\\"kind\\\":\\\"sgd\\\",\\\"steps\\\":{\\\"p\\\":NaN}}\"", "\"optimizer\" is not valid JSON" },
        { "\"ema\":\"{\\\"updates\\\":2.5}\"", "EMA's \"updates\" is 2.5, not a whole number" },
        { "\"ema\":\"{}\"", "is not {\"updates\": count}" },
    };

    [Theory]
    [MemberData(nameof(BadOptimizerMetadata))]
    public void Bad_optimizer_or_ema_metadata_is_refused(string extra, string expected) =>
        Assert.Contains(expected, Refused(WithMetadata(RawSafeTensors.GoodMetadata.TrimEnd('}') + "," + extra + "}")).Message);

    [Fact]
    public void Paths_that_are_not_checkpoint_files_are_refused_without_reading_them()
    {
        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(_dir));
        Assert.Contains("is a directory", e.Message);
        e = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(Path.Combine(_dir, "missing.safetensors")));
        Assert.Contains("there is no checkpoint", e.Message);
        Assert.Contains("empty or not a regular file", Refused([]).Message);
        foreach (var device in new[] { "/dev/zero", "/dev/null", "/dev/urandom" })
        {
            if (!File.Exists(device)) continue;
            var link = Path.Combine(_dir, Path.GetFileName(device) + ".safetensors");
            File.CreateSymbolicLink(link, device);
            foreach (var path in new[] { device, link })
            {
                var x = SpecialFiles.Throws<CheckpointFormatException>(() => CheckpointFile.Load(path));
                Assert.Contains("not a regular file", x.Message);
            }
        }
    }

    [Fact]
    public void A_fifo_is_refused_without_blocking()
    {
        var fifo = SpecialFiles.Fifo(Path.Combine(_dir, "pipe.safetensors"));
        var feeder = SpecialFiles.Feed(fifo, RawSafeTensors.Valid());
        try
        {
            var e = SpecialFiles.Throws<CheckpointFormatException>(() => CheckpointFile.Load(fifo), fifo);
            Assert.Contains("not a regular file", e.Message);
        }
        finally
        {
            SpecialFiles.Release(fifo, feeder);
        }
    }
}
