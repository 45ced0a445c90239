using System.Diagnostics;
using LightNets.Tests.Runtime;
using LightNets.Training.Checkpoints;

namespace LightNets.Tests.Training.Checkpoints;

/// <summary>
/// A save that dies part-way leaves the previous checkpoint: simulated by a stream that fails after a given number of
/// bytes (or at the flush), and for real by SIGKILL-ing a child process that saves checkpoints in a loop.
/// </summary>
public sealed class CheckpointAtomicityTests(ITestOutputHelper output) : IDisposable
{
    // Not in the child: it is SIGKILLed, so its Dispose never runs and the directory would be left behind.
    private readonly string? _dir = Environment.GetEnvironmentVariable(ChildDirectory) is null
        ? Directory.CreateTempSubdirectory("lightnets-atomic-").FullName
        : null;

    public void Dispose()
    {
        if (_dir is not null) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Writes through to the file until <see cref="_limit"/> bytes, then throws (a full disk, a crash); or throws at the flush.</summary>
    private sealed class FailingStream(Stream inner, long limit, Exception failure) : Stream
    {
        private readonly long _limit = limit;
        private long _written;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var room = (int)Math.Min(buffer.Length, Math.Max(0, _limit - _written));
            inner.Write(buffer[..room]);
            _written += room;
            if (room < buffer.Length) throw failure;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush()
        {
            inner.Flush();
            if (_written >= _limit) throw failure;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void A_save_that_fails_at_any_point_leaves_the_previous_checkpoint_and_no_litter()
    {
        var path = Path.Combine(_dir!, "last.safetensors");
        var old = new Run(1);
        old.Train(3);
        CheckpointFile.Save(path, old.State());
        var oldBytes = File.ReadAllBytes(path);
        var newer = new Run(1);
        newer.Train(4);
        var size = oldBytes.Length;   // the same model: the new file has the same size

        foreach (var limit in new long[] { 0, 3, 8, 100, size / 2, size - 1, size })
        {
            foreach (var crash in new[] { false, true })
            {
                Exception failure = crash ? new InvalidOperationException("simulated crash") : new IOException("No space left on device");
                var thrown = Record.Exception(() => CheckpointFile.Save(path, newer.State(), s => new FailingStream(s, limit, failure)));
                if (crash) Assert.Same(failure, thrown);
                else
                {
                    var e = Assert.IsType<CheckpointException>(thrown);
                    Assert.Contains("No space left on device", e.Message);
                    Assert.Contains("previous checkpoint there, if any, is unchanged", e.Message);
                }
                Assert.Equal(oldBytes, File.ReadAllBytes(path));
                Assert.Equal([path], Directory.GetFiles(_dir!));
            }
        }
        var restored = new Run(9);
        restored.Restored(CheckpointFile.Load(path));
        Assert.Equal(old.Snapshot().Floats, restored.Snapshot().Floats);

        // And a save that does not fail replaces it.
        CheckpointFile.Save(path, newer.State());
        Assert.Equal(4, CheckpointFile.Load(path).Step);
        Assert.Equal([path], Directory.GetFiles(_dir!));
    }

    private const string ChildDirectory = "LIGHTNETS_CHECKPOINT_KILL_DIR";

    /// <summary>
    /// In a child process (only there): saves two alternating, large checkpoints to the same path for ever, appending a
    /// line to a log after each save. The parent kills it with SIGKILL.
    /// </summary>
    [Fact]
    public void Child_saves_checkpoints_until_killed()
    {
        var dir = Environment.GetEnvironmentVariable(ChildDirectory);
        if (dir is null) return;
        var states = new[] { Big(1), Big(2) };
        var path = Path.Combine(dir, "last.safetensors");
        using var log = new StreamWriter(Path.Combine(dir, "saves.log")) { AutoFlush = true };
        for (var i = 0; ; i++)
        {
            CheckpointFile.Save(path, states[i % 2].State());
            log.WriteLine(i % 2);
        }
    }

    /// <summary>A run wide enough that its checkpoint takes a while to write (≈ 26 MB with optimizer state and EMA).</summary>
    private static Run Big(int steps)
    {
        var run = new Run(5, scale: 8192);
        run.Train(steps);
        return run;
    }

    [Fact]
    public async Task A_process_killed_while_saving_leaves_a_whole_checkpoint()
    {
        if (Environment.GetEnvironmentVariable(ChildDirectory) is not null) return;
        var expected = new[] { Big(1).Snapshot().Floats, Big(2).Snapshot().Floats };
        var random = new Random(7);
        var interrupted = 0;
        for (var attempt = 0; attempt < 4 && interrupted < 2; attempt++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(_dir!, $"kill{attempt}")).FullName;
            var log = Path.Combine(dir, "saves.log");
            using var child = StartChild(dir);
            try
            {
                // Wait for two whole saves, then kill it at a random moment of the ones that follow.
                var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
                while (!(File.Exists(log) && File.ReadAllLines(log).Length >= 2))
                {
                    // The child's output is read only once it has exited: reading it earlier would wait for that.
                    if (child.HasExited) Assert.Fail($"the child exited early:\n{await child.StandardOutput.ReadToEndAsync()}");
                    Assert.True(DateTime.UtcNow < deadline, "the child saved nothing in 3 minutes");
                    await Task.Delay(50);
                }
                await Task.Delay(random.Next(0, 400));
            }
            finally
            {
                child.Kill(entireProcessTree: true);   // SIGKILL: no finally block, no flush, no cleanup runs in the child
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                await child.WaitForExitAsync(timeout.Token);
            }

            // Whatever moment the kill hit, the checkpoint is one of the two states, whole.
            var path = Path.Combine(dir, "last.safetensors");
            var loaded = CheckpointFile.Load(path);
            var run = new Run(9, scale: 8192);
            run.Restored(loaded);
            var floats = run.Snapshot().Floats;
            Assert.True(floats.AsSpan().SequenceEqual(expected[0]) || floats.AsSpan().SequenceEqual(expected[1]), "the surviving checkpoint is neither state");
            var partial = Directory.GetFiles(dir, "*.partial");
            if (partial.Length > 0) interrupted++;
            output.WriteLine($"attempt {attempt}: {File.ReadAllLines(log).Length} saves, step {loaded.Step}, killed mid-save: {partial.Length > 0}");
        }
        Assert.True(interrupted >= 1, "no kill landed in the middle of a save; the test proved nothing");
    }

    private static Process StartChild(string dir)
    {
        var start = new ProcessStartInfo(TierProcessTests.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in new[] { "test", typeof(CheckpointAtomicityTests).Assembly.Location, "--filter",
                     $"FullyQualifiedName~{nameof(CheckpointAtomicityTests)}.{nameof(Child_saves_checkpoints_until_killed)}" })
            start.ArgumentList.Add(arg);
        start.Environment[ChildDirectory] = dir;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
    }
}
