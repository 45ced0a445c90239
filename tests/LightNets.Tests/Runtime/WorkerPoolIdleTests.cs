using LightNets.Runtime.Threading;

namespace LightNets.Tests.Runtime;

/// <summary>Runs alone: it measures the whole process's CPU time.</summary>
[CollectionDefinition("Process CPU time", DisableParallelization = true)]
public sealed class ProcessCpuTimeCollection;

/// <summary>
/// A process holding many multi-threaded sessions (the guideline experiments keep 69 alive, compare 18) must not
/// pay for their idle workers: parked workers wake only to re-check, never to spin again.
/// </summary>
[Collection("Process CPU time")]
public class WorkerPoolIdleTests
{
    private sealed class Nothing : IParallelWork
    {
        public void Execute(int part, int parts) { }
    }

    [Fact]
    public void Idle_pools_use_almost_no_cpu()
    {
        if (!Directory.Exists("/proc/self/task")) return; // the per-thread CPU times below are Linux's
        var pools = Enumerable.Range(0, 16).Select(_ => new WorkerPool(2)).ToArray();
        try
        {
            foreach (var pool in pools) pool.Run(new Nothing(), 2);
            Thread.Sleep(300); // past the spin phase: every worker parks
            var before = WorkerTicks();
            Thread.Sleep(1000);
            var used = (WorkerTicks() - before) * 10; // clock ticks of 10 ms
            // Re-spinning after every 50 ms re-check cost ~24 ms per pool and second: ~380 ms here.
            Assert.True(used < 60, $"16 idle pools' workers used {used} ms of CPU in 1 s");
        }
        finally
        {
            foreach (var pool in pools) pool.Dispose();
        }
    }

    /// <summary>User + system clock ticks of every thread named "LightNets worker …" (Linux keeps 15 characters of a name).</summary>
    private static long WorkerTicks()
    {
        long ticks = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith("LightNets worke", StringComparison.Ordinal)) continue;
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14 and 15 of stat)
            }
            catch (IOException)
            {
                // the thread ended between listing and reading
            }
        }
        return ticks;
    }
}
