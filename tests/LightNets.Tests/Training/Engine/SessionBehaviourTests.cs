using LightNets.Graphs;
using LightNets.Tensors;
using LightNets.Training;
using LightNets.Training.Engine;

namespace LightNets.Tests.Training.Engine;

/// <summary>Determinism, allocation, dropout, learning, and how the session handles frozen parameters.</summary>
public class SessionBehaviourTests
{
    [Fact]
    public void Steps_after_the_first_allocate_nothing()
    {
        foreach (var graph in new[] { TrainingGraphs.EveryOp(), TrainingGraphs.Zoo("mobilenetv3_small_075", batch: 2) })
        {
            using var session = new TrainingSession(graph, new TrainingSessionOptions { LabelSmoothing = 0.1f });
            var (input, labels) = TrainingGraphs.Batch(session.InputShape, session.Classes, 1);
            session.Step(input, labels);
            session.Step(input, labels);
            var before = GC.GetAllocatedBytesForCurrentThread();
            session.Step(input, labels);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{graph.Name}: a step allocated {allocated} bytes");
        }
    }

    [Fact]
    public void Two_runs_with_the_same_seed_are_bit_identical()
    {
        float[][] Run(ulong seed)
        {
            using var session = new TrainingSession(TrainingGraphs.EveryOp(), new TrainingSessionOptions { Seed = seed, LabelSmoothing = 0.1f });
            var losses = new List<float>();
            for (var step = 0; step < 4; step++)
            {
                var (input, labels) = TrainingGraphs.Batch(session.InputShape, session.Classes, step);
                losses.Add(session.Step(input, labels));
                PlainSgd.Update(session.Parameters, 0.05f);
            }
            return [[.. losses], .. session.Parameters.Select(p => p.Value), .. session.Buffers.Select(b => b.Value)];
        }

        var first = Run(11);
        var second = Run(11);
        for (var i = 0; i < first.Length; i++) Assert.True(first[i].AsSpan().SequenceEqual(second[i]), $"array {i} differs between identical runs");
        Assert.False(first[0].AsSpan().SequenceEqual(Run(12)[0]), "another dropout seed gave the same losses");
    }

    [Fact]
    public void One_and_two_threads_agree()
    {
        var graph = TrainingGraphs.EveryOp();
        var (input, labels) = TrainingGraphs.Batch(graph.Inputs[0].Shape, 10, 5);
        using var one = new TrainingSession(graph, new TrainingSessionOptions { Threads = 1 });
        using var two = new TrainingSession(graph, new TrainingSessionOptions { Threads = 2 });
        Assert.Equal(one.Step(input, labels), two.Step(input, labels), 5);
        for (var i = 0; i < one.Parameters.Count; i++)
        {
            var a = one.Parameters[i].Grad;
            var b = two.Parameters[i].Grad;
            var scale = a.Max(MathF.Abs) + 1e-6f;
            for (var j = 0; j < a.Length; j++) Assert.True(Math.Abs(a[j] - b[j]) <= 1e-4f * scale, $"{one.Parameters[i].Name}[{j}]: {a[j]} vs {b[j]}");
        }
    }

    [Fact]
    public void Dropout_keeps_one_minus_p_scaled_and_redraws_every_step()
    {
        // input [4, 1000, 1, 1] → flatten (no data moves) → dropout 0.3 → identity linear: the logits are the masked input.
        const int features = 1000;
        var b = new GraphBuilder("dropout");
        var x = b.Input("input", Shape.Nchw(4, features, 1, 1));
        b.Output(b.Gemm(b.Dropout(b.Flatten(x), 0.3f), features));
        using var session = new TrainingSession(b.Build(), new TrainingSessionOptions { Seed = 3 });
        var w = session.Parameters[0].Value;
        Array.Clear(w);
        for (var i = 0; i < features; i++) w[i * features + i] = 1f;
        Array.Clear(session.Parameters[1].Value);
        var input = Enumerable.Repeat(1f, 4 * features).ToArray();
        var labels = new int[4];

        float[] Mask()
        {
            session.Step(input, labels);
            return session.Logits.ToArray();
        }

        var first = Mask();
        Assert.All(first, v => Assert.True(v == 0f || Math.Abs(v - 1f / 0.7f) < 1e-6f, $"dropout output {v}"));
        var dropped = first.Count(v => v == 0f) / (double)first.Length;
        Assert.InRange(dropped, 0.3 - 0.03, 0.3 + 0.03); // ±4 standard deviations of 4,000 draws
        var second = Mask();
        Assert.False(first.AsSpan().SequenceEqual(second), "the second step drew the same mask");
        session.StepsDone = 0;
        Assert.True(first.AsSpan().SequenceEqual(Mask()), "a session set back to step 0 (a resumed run) must draw the same mask again");
    }

    [Fact]
    public void Training_lowers_the_loss()
    {
        using var session = new TrainingSession(TrainingGraphs.EveryOp(dropout: 0f));
        var batches = Enumerable.Range(0, 3).Select(i => TrainingGraphs.Batch(session.InputShape, session.Classes, 100 + i)).ToArray();
        float Epoch(bool update)
        {
            var total = 0f;
            foreach (var (input, labels) in batches)
            {
                total += session.Step(input, labels);
                if (update) PlainSgd.Update(session.Parameters, 0.2f);
            }
            return total / batches.Length;
        }

        var start = Epoch(update: false);
        for (var epoch = 0; epoch < 30; epoch++) Epoch(update: true);
        var end = Epoch(update: false);
        Assert.True(end < 0.5f * start, $"30 epochs of SGD on 3 batches took the loss from {start} to {end}");
    }

    [Fact]
    public void Frozen_weights_get_no_gradient_and_change_nothing_else()
    {
        var graph = TrainingGraphs.EveryOp();
        var (input, labels) = TrainingGraphs.Batch(graph.Inputs[0].Shape, 10, 6);
        using var full = new TrainingSession(graph);
        full.Step(input, labels);
        using var frozen = new TrainingSession(graph);
        foreach (var p in frozen.Parameters.Where(p => p.Kind == ParameterKind.ConvWeight))
        {
            p.Trainable = false;
            Array.Fill(p.Grad, float.NaN);
        }
        frozen.Step(input, labels);
        for (var i = 0; i < full.Parameters.Count; i++)
        {
            var p = frozen.Parameters[i];
            if (!p.Trainable) Assert.All(p.Grad, g => Assert.True(float.IsNaN(g), $"frozen {p.Name} got a gradient"));
            else Assert.True(full.Parameters[i].Grad.AsSpan().SequenceEqual(p.Grad), $"{p.Name}: freezing other weights changed its gradient");
        }
    }

    [Fact]
    public void A_frozen_backbone_runs_backward_only_through_the_classifier_and_keeps_nothing_for_it()
    {
        var graph = TrainingGraphs.EveryOp(dropout: 0f);
        using var full = new DoublePlan(graph);
        using var head = new DoublePlan(graph, frozen: name => !name.StartsWith("fc.", StringComparison.Ordinal));
        Assert.Equal(["fc"], head.Plan.BackwardSteps.Select(s => s.Name));
        // Backward touches only the classifier's input and the two gradients around it.
        var forwardEnd = head.Plan.ForwardSteps.Count + 1;
        var kept = head.Plan.Slots.Where(s => s.Last > forwardEnd).Select(s => s.Name).Order().ToArray();
        var fcInput = head.Model.Value(graph.Nodes.Single(n => n.Name == "fc").Inputs[0]);
        Assert.Equal(new[] { "d" + graph.Output, head.Model.Values[fcInput.Root].Name }.Order(), kept);
        Assert.True(head.Plan.ArenaBytes < full.Plan.ArenaBytes / 2,
            $"frozen backbone arena {head.Plan.ArenaBytes} B vs {full.Plan.ArenaBytes} B for the whole network");

        var (input, labels) = TrainingGraphs.Batch(graph.Inputs[0].Shape, 10, 7);
        var before = head.Buffers.Select(b => (double[])b.Clone()).ToArray();
        head.Loss(input, labels);
        for (var i = 0; i < before.Length; i++) Assert.Equal(before[i], head.Buffers[i]); // frozen BN: eval mode, stats kept
    }

    [Fact]
    public void Freezing_between_steps_recompiles_the_plan()
    {
        using var session = new TrainingSession(TrainingGraphs.EveryOp());
        var (input, labels) = TrainingGraphs.Batch(session.InputShape, session.Classes, 8);
        session.Step(input, labels);
        var full = session.ArenaBytes;
        foreach (var p in session.Parameters.Where(p => !p.Name.StartsWith("fc.", StringComparison.Ordinal))) p.Trainable = false;
        session.Step(input, labels);
        Assert.True(session.ArenaBytes < full, $"arena {session.ArenaBytes} B after freezing the backbone, {full} B before");
    }
}
