using System.Text.Json;
using LightNets.Onnx;
using LightNets.Tensors;
using LightNets.Training.Engine;

namespace LightNets.Tests.Training.Engine;

/// <summary>
/// One training step of small torchvision models (MobileNetV2, ShuffleNetV2, MobileNetV3-Small; fixtures from
/// make_training_fixtures.py) imported from ONNX: the loss, every parameter's gradient (by initializer name) and every
/// BN running statistic after the step must match PyTorch 1.13's.
/// </summary>
public class TorchStepFixtureTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new() { "mobilenet_v2", "shufflenet_v2", "mobilenet_v3_small" };

    /// <summary>
    /// Both sides compute in float32 with different summation orders; a gradient deep in the network is the product of
    /// many such sums. Errors are measured against each tensor's largest magnitude, but never against less than
    /// <see cref="NoiseFloor"/> of the model's largest gradient: some gradients are zero in exact arithmetic and pure
    /// rounding noise in float (β of a BN whose output reaches another BN through a linear layer only: the second BN
    /// removes any constant shift, so the loss does not depend on β at all).
    /// </summary>
    private const double GradientTolerance = 1e-4;

    private const double NoiseFloor = 1e-3;

    [Theory]
    [MemberData(nameof(Models))]
    public void One_step_matches_pytorch(string model)
    {
        var dir = TrainingFixtures.Models;
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, model + ".json")));
        var root = json.RootElement;
        var graph = OnnxImporter.Load(Path.Combine(dir, model + ".onnx"));
        using var session = new TrainingSession(graph, new TrainingSessionOptions
        {
            LabelSmoothing = root.GetProperty("label_smoothing").GetSingle(),
            BatchNormMomentum = root.GetProperty("bn_momentum").GetSingle(),
        });
        var input = Npy.Read(Path.Combine(dir, model + ".input.npy"));
        var labels = Array.ConvertAll(Npy.Read(Path.Combine(dir, model + ".labels.npy")).Data, v => (int)v);
        var loss = session.Step(input.Data, labels);
        var expectedLoss = Npy.Read(Path.Combine(dir, model + ".loss.npy")).Data[0];
        output.WriteLine($"{model}: loss {loss:R}, PyTorch {expectedLoss:R}, arena {session.ArenaBytes} bytes");
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss), $"loss {loss:R}, PyTorch {expectedLoss:R}");

        Compare("gradient", root.GetProperty("parameters"), Npy.Read(Path.Combine(dir, model + ".grads.npy")).Data,
            session.Parameters.ToDictionary(p => p.Name, p => p.Grad));
        Compare("running statistic", root.GetProperty("buffers"), Npy.Read(Path.Combine(dir, model + ".after.npy")).Data,
            session.Buffers.ToDictionary(b => b.Name, b => b.Value));
    }

    private void Compare(string what, JsonElement index, float[] flat, Dictionary<string, float[]> actual)
    {
        Assert.Equal(index.GetArrayLength(), actual.Count);
        var floor = 0.0;
        foreach (var v in flat) floor = Math.Max(floor, NoiseFloor * Math.Abs(v));
        var worst = 0.0;
        var worstName = "";
        foreach (var row in index.EnumerateArray())
        {
            var name = row[0].GetString()!;
            var offset = row[2].GetInt32();
            Assert.True(actual.TryGetValue(name, out var values), $"PyTorch's {what} '{name}' has no counterpart in the session");
            var expected = flat.AsSpan(offset, values!.Length);
            var scale = floor;
            foreach (var v in expected) scale = Math.Max(scale, Math.Abs(v));
            for (var i = 0; i < values.Length; i++)
            {
                var error = Math.Abs(values[i] - expected[i]) / Math.Max(scale, 1e-12);
                if (error > worst) (worst, worstName) = (error, $"{name}[{i}]");
                Assert.True(error <= GradientTolerance,
                    $"{what} {name}[{i}] = {values[i]:R}, PyTorch {expected[i]:R} (relative to the tensor's max {scale:G3}: {error:E2})");
            }
        }
        output.WriteLine($"{what}s: worst relative error {worst:E2} at {worstName}");
    }
}
