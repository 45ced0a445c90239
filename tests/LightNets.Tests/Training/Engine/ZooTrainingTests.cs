using LightNets.Runtime;
using LightNets.Tensors;
using LightNets.Training;
using LightNets.Training.Engine;

namespace LightNets.Tests.Training.Engine;

/// <summary>Every family of the zoo trains: its graph compiles into a training plan, and the plan's forward is the model's.</summary>
public class ZooTrainingTests
{
    public static TheoryData<string> Models => new()
    {
        "mobilenetv1_025", "shufflenetv1_g3_025", "shufflenetv1_g8_025", "mobilenetv2_035", "shufflenetv2_050",
        "mobilenetv3_small_075", "mobilenetv3_large_035",
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void With_BN_frozen_and_no_dropout_the_training_forward_is_the_inference_forward(string name)
    {
        // Frozen γ and β put BN in evaluation mode, and dropout 0 is the identity: the training forward then computes
        // exactly the function the inference engine runs (which folds BN, fuses and reorders: a float tolerance).
        var graph = TrainingGraphs.Zoo(name, batch: 2, dropout: 0f);
        using var session = new TrainingSession(graph);
        foreach (var p in session.Parameters)
            p.Trainable = p.Kind is not (ParameterKind.BatchNormScale or ParameterKind.BatchNormShift);
        var (input, labels) = TrainingGraphs.Batch(session.InputShape, 10, 3);
        session.Step(input, labels);

        using var inference = new InferenceSession(session.ToGraph(), new SessionOptions { Threads = 1 });
        var expected = inference.Run(new Tensor(session.InputShape, input)).Data;
        var logits = session.Logits.ToArray();
        Assert.Equal(expected.Length, logits.Length);
        var scale = expected.Max(MathF.Abs);
        for (var i = 0; i < logits.Length; i++)
            Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4f * scale, $"{name} logit {i}: training {logits[i]:R}, inference {expected[i]:R}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_step_gives_finite_gradients_everywhere_and_updates_running_statistics(string name)
    {
        var graph = TrainingGraphs.Zoo(name, batch: 2);
        using var session = new TrainingSession(graph, new TrainingSessionOptions { LabelSmoothing = 0.1f, Seed = 1 });
        var before = session.Buffers.Select(b => (float[])b.Value.Clone()).ToArray();
        var (input, labels) = TrainingGraphs.Batch(session.InputShape, 10, 4);
        var loss = session.Step(input, labels);
        Assert.True(float.IsFinite(loss) && loss > 0, $"{name}: loss {loss}");
        foreach (var p in session.Parameters)
        {
            Assert.All(p.Grad, g => Assert.True(float.IsFinite(g), $"{name}: {p.Name} has a non-finite gradient"));
            Assert.True(p.Grad.Any(g => g != 0f) || p.Kind is ParameterKind.BatchNormShift or ParameterKind.Bias,
                $"{name}: {p.Name} got an all-zero gradient");
        }
        for (var i = 0; i < before.Length; i++)
            Assert.False(before[i].AsSpan().SequenceEqual(session.Buffers[i].Value), $"{name}: {session.Buffers[i].Name} was not updated");
    }
}
