using LightNets.Weights;

namespace LightNets.Tests.Weights;

/// <summary>
/// The committed fixtures cut at every byte and with seeded random byte flips: every outcome is a successful read or
/// a <see cref="WeightFileException"/>, never another exception (each case names its cut or flips, to replay it).
/// </summary>
public sealed class WeightFileMutationTests : IDisposable
{
    private const int FlipCases = 300;

    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string> Files => new() { "views.pth", "legacy.pth", "legacy_protocol4.pth", "tiny_net.safetensors", "protocol4.pth" };

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_truncation_is_refused_as_a_weight_file_error(string fixture)
    {
        var bytes = File.ReadAllBytes(WeightFixtures.PathOf(fixture));
        var path = Path.Combine(_files.Dir, fixture);
        var failures = new List<string>();
        for (var length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(path, bytes[..length]);
            var e = Record.Exception(() => WeightFiles.Read(path));
            if (e is not WeightFileException) failures.Add($"cut at {length}: {(e is null ? "read without error" : e.GetType().Name + ": " + e.Message)}");
        }
        Assert.True(failures.Count == 0, $"{fixture}:\n{string.Join("\n", failures.Take(20))}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Random_byte_flips_read_or_are_refused_as_weight_file_errors(string fixture)
    {
        var original = File.ReadAllBytes(WeightFixtures.PathOf(fixture));
        var expected = WeightFiles.Read(WeightFixtures.PathOf(fixture));
        var rng = new Random(fixture.Length * 7919 + original.Length);
        var path = Path.Combine(_files.Dir, fixture);
        var failures = new List<string>();
        var refused = 0;
        for (var i = 0; i < FlipCases; i++)
        {
            var bytes = (byte[])original.Clone();
            var flips = new List<string>();
            for (var f = 1 + rng.Next(3); f > 0; f--)
            {
                var at = rng.Next(bytes.Length);
                var value = (byte)rng.Next(256);
                flips.Add($"[{at}] {bytes[at]:x2}->{value:x2}");
                bytes[at] = value;
            }
            File.WriteAllBytes(path, bytes);
            try
            {
                var dict = WeightFiles.Read(path);
                // What reads must be whole: every tensor's values match its shape.
                foreach (var t in dict)
                    if (t.Data.Length != t.Shape.Aggregate(1L, (a, d) => a * d))
                        failures.Add($"{string.Join(", ", flips)}: tensor {t.Name} has {t.Data.Length} values for shape [{string.Join(", ", t.Shape)}]");
            }
            catch (WeightFileException)
            {
                refused++;
            }
            catch (Exception e)
            {
                failures.Add($"{string.Join(", ", flips)}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{fixture}:\n{string.Join("\n", failures.Take(20))}");
        // Both outcomes happen: flips in names, padding or values read; flips in structure are refused.
        Assert.True(refused > FlipCases / 10, $"{fixture}: only {refused} of {FlipCases} damaged files were refused");
        Assert.True(expected.Count > 0);
    }

    /// <summary>
    /// A zip checkpoint's CRC-32 refuses flipped bytes before its pickle is read; here the pickle itself is damaged
    /// (bytes flipped, dropped or repeated) and the archive rebuilt around it, so the scan and the unpickler see it.
    /// </summary>
    [Theory]
    [InlineData("views.pth")]
    [InlineData("protocol4.pth")]
    [InlineData("checkpoint.pth")]
    public void Damaged_pickles_in_sound_archives_read_or_are_refused_as_weight_file_errors(string fixture)
    {
        using var original = System.IO.Compression.ZipFile.OpenRead(WeightFixtures.PathOf(fixture));
        var entries = original.Entries.Select(e =>
        {
            using var s = e.Open();
            var bytes = new byte[e.Length];
            s.ReadExactly(bytes);
            return (e.FullName, Data: bytes);
        }).ToArray();
        var pickleAt = Array.FindIndex(entries, e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        var pickle = entries[pickleAt].Data;
        var rng = new Random(fixture.Length * 31 + pickle.Length);
        var path = Path.Combine(_files.Dir, fixture);
        var failures = new List<string>();
        var refused = 0;
        for (var i = 0; i < FlipCases; i++)
        {
            var damaged = new List<byte>(pickle);
            var what = new List<string>();
            for (var m = 1 + rng.Next(3); m > 0; m--)
            {
                var at = rng.Next(damaged.Count);
                switch (rng.Next(3))
                {
                    case 0:
                        var value = (byte)rng.Next(256);
                        what.Add($"[{at}]={value:x2}");
                        damaged[at] = value;
                        break;
                    case 1:
                        what.Add($"drop [{at}]");
                        damaged.RemoveAt(at);
                        break;
                    default:
                        what.Add($"repeat [{at}]");
                        damaged.Insert(at, damaged[at]);
                        break;
                }
            }
            var rebuilt = entries.ToArray();
            rebuilt[pickleAt] = (entries[pickleAt].FullName, damaged.ToArray());
            File.WriteAllBytes(path, TorchArchive.Entries(rebuilt));
            var e = Record.Exception(() => WeightFiles.Read(path));
            if (e is WeightFileException) refused++;
            else if (e is not null) failures.Add($"{string.Join(", ", what)}: {e.GetType().Name}: {e.Message}");
        }
        Assert.True(failures.Count == 0, $"{fixture}:\n{string.Join("\n", failures.Take(20))}");
        Assert.True(refused > FlipCases / 10, $"{fixture}: only {refused} of {FlipCases} damaged pickles were refused");
    }
}
