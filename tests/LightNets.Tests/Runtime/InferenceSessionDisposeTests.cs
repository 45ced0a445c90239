using LightNets.Graphs;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime;

/// <summary>Dispose is idempotent, everything after it throws ObjectDisposedException, and it never races a run into a crash.</summary>
public class InferenceSessionDisposeTests
{
    private static InferenceSession Session(int threads) =>
        new(ModelZoo.Build("mobilenetv2_035", new ModelOptions { Resolution = 64 }), new SessionOptions { Threads = threads });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_second_dispose_does_nothing(int threads)
    {
        var session = Session(threads);
        session.Dispose();
        session.Dispose();
        session.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Every_member_throws_after_dispose(int threads)
    {
        var session = Session(threads);
        var x = new float[session.InputShape.ElementCount];
        var y = new float[session.OutputShape.ElementCount];
        var binding = session.CreateBinding();
        binding.BindInput(0, x);
        session.Run(x, y);
        session.Dispose();

        Assert.Throws<ObjectDisposedException>(() => session.Run(x, y));
        Assert.Throws<ObjectDisposedException>(() => session.Run(new Tensor(new Shape(1, 3, 64, 64))));
        Assert.Throws<ObjectDisposedException>(() => session.Run(binding));
        Assert.Throws<ObjectDisposedException>(() => session.Run([x], [y]));
        Assert.Throws<ObjectDisposedException>(() => session.Run(new Dictionary<string, Tensor> { ["input"] = new(new Shape(1, 3, 64, 64)) }));
        Assert.Throws<ObjectDisposedException>(() => session.CreateBinding());
        Assert.Throws<ObjectDisposedException>(() => binding.BindInput(0, x));
        Assert.Throws<ObjectDisposedException>(() => session.InputShape);
        Assert.Throws<ObjectDisposedException>(() => session.OutputShape);
        Assert.Throws<ObjectDisposedException>(() => session.Inputs);
        Assert.Throws<ObjectDisposedException>(() => session.OutputNames);
        Assert.Throws<ObjectDisposedException>(() => session.OutputIndex("output"));
        Assert.Throws<ObjectDisposedException>(() => session.ArenaBytes);
        Assert.Throws<ObjectDisposedException>(() => session.StepCount);
        Assert.Throws<ObjectDisposedException>(() => session.Graph);
        Assert.Throws<ObjectDisposedException>(() => session.Threads);
        Assert.Throws<ObjectDisposedException>(() => session.Profile(x, y, runs: 1, warmup: 0));
    }

    /// <summary>
    /// Runs on four threads while the session is disposed under them: each run either completes with the right
    /// result or throws ObjectDisposedException; nothing else, and the worker threads stop.
    /// </summary>
    [Fact]
    public void Dispose_during_concurrent_runs()
    {
        var graph = ModelZoo.Build("shufflenetv2_050", new ModelOptions { Resolution = 64, Init = new WeightInit(3, true) });
        var x = new Rng(2).NormalTensor(1, 3, 64, 64);
        var expected = ReferenceInterpreter.Run(graph, x);
        for (var round = 0; round < 5; round++)
        {
            var session = new InferenceSession(graph, new SessionOptions { Threads = 2 });
            var failures = new List<string>();
            var completed = 0;
            var started = new CountdownEvent(4);
            var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                var y = new float[1000];
                started.Signal();
                try
                {
                    while (true)
                    {
                        session.Run(x.Data, y);
                        var maxDiff = y.Zip(expected.Data, (a, b) => Math.Abs(a - b)).Max();
                        if (maxDiff > 1e-3) lock (failures) failures.Add($"a run finished with a wrong result (|diff| {maxDiff})");
                        Interlocked.Increment(ref completed);
                    }
                }
                catch (ObjectDisposedException e) when (e.ObjectName == typeof(InferenceSession).FullName) { } // the session's own check, not a disposed part of it
                catch (Exception e) { lock (failures) failures.Add($"{e.GetType().Name}: {e.Message}"); }
            })).ToArray();
            foreach (var t in threads) t.Start();
            started.Wait();
            Thread.Sleep(20 + 15 * round);
            session.Dispose();
            session.Dispose();
            foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(30)), "a run hung after Dispose");
            Assert.Empty(failures);
            Assert.True(completed > 0, "no run completed before Dispose: the race was not exercised");
        }
    }
}
