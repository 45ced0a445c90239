using System.Diagnostics;

namespace LightNets.Tests.Robustness;

/// <summary>FIFOs and time limits for the tests that hand the library files which are not regular files.</summary>
internal static class SpecialFiles
{
    /// <summary>Long enough for a loaded machine, short enough that a hang is a failure and not a stuck run.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(20);

    /// <summary>Makes a named pipe at <paramref name="path"/> (.NET has no mkfifo, so the mkfifo tool does it).</summary>
    public static string Fifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        var error = mkfifo.StandardError.ReadToEnd();
        mkfifo.WaitForExit();
        Assert.True(mkfifo.ExitCode == 0, $"mkfifo {path}: {error}");
        return path;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> into the FIFO from another thread (opening it for writing waits for a reader),
    /// then closes it, which the reader sees as the end of the data. A reader that stops early breaks the pipe: that
    /// ends the writer quietly.
    /// </summary>
    public static Task Feed(string fifo, byte[] bytes) => Task.Run(() =>
    {
        try
        {
            using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            writer.Write(bytes);
        }
        catch (IOException) { }
    });

    /// <summary>Lets a <see cref="Feed"/> still waiting for a reader finish (a failed test never opened the FIFO).</summary>
    public static void Release(string fifo, Task feeder)
    {
        if (feeder.IsCompleted) return;
        using (File.OpenHandle(fifo, FileMode.Open, FileAccess.ReadWrite)) { }
        feeder.Wait(HangLimit);
    }

    /// <summary>Whether <paramref name="task"/> ends within <see cref="HangLimit"/>.</summary>
    public static bool Finishes(Task task) => task.Wait(HangLimit);

    /// <summary>
    /// Runs <paramref name="action"/> and returns what it threw (null if nothing), failing the test if it has not
    /// finished within <see cref="HangLimit"/>. On a hang, each of <paramref name="fifos"/> is opened for writing and
    /// closed, which releases a reader blocked in open or read, so that the stuck thread does not outlive the test.
    /// </summary>
    public static Exception? Within(Action action, params string[] fifos)
    {
        var task = Task.Run(() =>
        {
            try { action(); return null; }
            catch (Exception e) { return e; }
        });
        if (task.Wait(HangLimit)) return task.Result;
        foreach (var fifo in fifos)
        {
            // O_RDWR never blocks on a Linux FIFO; the reader sees a writer come and go, then end of file.
            try { File.OpenHandle(fifo, FileMode.Open, FileAccess.ReadWrite).Dispose(); }
            catch (IOException) { }
        }
        Assert.Fail($"still running after {HangLimit.TotalSeconds} s: it blocks on a pipe or reads without end");
        return null;
    }

    /// <summary><see cref="Within"/>, asserting that it threw a <typeparamref name="T"/>.</summary>
    public static T Throws<T>(Action action, params string[] fifos) where T : Exception
    {
        var e = Within(action, fifos);
        return Assert.IsAssignableFrom<T>(e);
    }
}
