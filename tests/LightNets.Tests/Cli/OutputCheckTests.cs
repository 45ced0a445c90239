using System.Text.Json;
using LightNets.Cli.Commands;
using LightNets.Cli.Output;
using LightNets.Models;
using LightNets.Runtime;
using LightNets.Tensors;

namespace LightNets.Tests.Cli;

/// <summary>The check bench and compare run before timing: the comparison itself, and that both commands run and report it.</summary>
public class OutputCheckTests
{
    [Fact]
    public void Agreement_within_the_tolerance_passes()
    {
        float[] expected = [1f, -2f, 0.5f, 0f];
        float[] actual = [1f + 1e-5f, -2f, 0.5f - 1e-5f, 1e-5f];
        var r = OutputCheck.Compare(expected, actual);
        Assert.True(r.Ok);
        Assert.Equal(2.0, r.MaxAbsExpected);
        Assert.InRange(r.MaxAbsDiff, 0.9e-5, 1.1e-5);
        Assert.Contains("(ok)", OutputCheck.Describe(r));
    }

    [Fact]
    public void A_mismatch_names_the_worst_element_and_both_values()
    {
        var expected = new float[2 * 5];
        var actual = new float[expected.Length];
        for (var i = 0; i < expected.Length; i++) expected[i] = actual[i] = i + 1;
        actual[3] += 0.01f;  // over its tolerance (1e-4·10 + 1e-4·4 = 0.0014): a mismatch, but not the worst
        actual[7] = -8f;     // the worst
        var r = OutputCheck.Compare(expected, actual);
        Assert.False(r.Ok);
        Assert.Equal(7, r.WorstIndex);
        Assert.Equal((8f, -8f), (r.Expected, r.Actual));
        Assert.Contains("(MISMATCH)", OutputCheck.Describe(r));
        var e = Assert.Throws<OutputMismatchException>(() =>
            OutputCheck.Require(r, flat => OutputCheck.Index(new Shape(2, 5), flat), "the compiled runtime", "the reference interpreter", "m"));
        Assert.StartsWith("m: the compiled runtime disagrees with the reference interpreter: output[1, 2] is -8 but the reference interpreter gives 8 " +
                          "(|diff| 1.6e+1 > tolerance 1.8e-3", e.Message);
        Assert.IsAssignableFrom<LightNetsException>(e);
    }

    [Theory]
    [InlineData(float.NaN, 1f)]
    [InlineData(1f, float.NaN)]
    [InlineData(float.PositiveInfinity, 1f)]
    public void Nan_and_infinity_never_pass(float actual, float expected)
    {
        var r = OutputCheck.Compare([expected, 2f], [actual, 2f]);
        Assert.False(r.Ok);
        Assert.Equal(0, r.WorstIndex);
    }

    [Fact]
    public void A_small_relative_error_in_a_large_output_passes_and_a_large_one_in_a_small_output_fails()
    {
        // atol scales with max|ref|: 1e-6 relative error on the largest logit passes...
        Assert.True(OutputCheck.Compare([1000f, 1f], [1000.001f, 1f]).Ok);
        // ...but an error of 1 % of max|ref| on a small element does not.
        Assert.False(OutputCheck.Compare([1000f, 1f], [1000f, 11f]).Ok);
    }

    [Fact]
    public void The_reference_check_covers_the_first_and_last_image_of_a_batch()
    {
        var graph = ModelZoo.Build("shufflenetv2_050", new ModelOptions { Resolution = 32, Batch = 3, Init = new LightNets.Graphs.WeightInit(2, true) });
        using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        var x = new Rng(5).NormalTensor(graph.Input.Shape.ToArray());
        var y = new float[session.OutputShape.ElementCount];
        session.Run(x.Data, y);
        var outcome = PlanCheck.AgainstReference("m", graph, [x], [y]);
        Assert.True(outcome.Result.Ok);
        Assert.Equal(2 * 1000, outcome.Result.Count);
        Assert.Contains("(images 1 and 3 of the batch)", outcome.Line);

        // The last image's logits one class off (a wrong stride or offset): caught, and named by the image's place in the batch.
        var last = y.AsSpan(2000, 1000).ToArray();
        for (var k = 0; k < 1000; k++) y[2000 + k] = last[(k + 1) % 1000];
        var e = Assert.Throws<OutputMismatchException>(() => PlanCheck.AgainstReference("m", graph, [x], [y]));
        Assert.Matches(@"output\[2, \d+\]", e.Message);
    }

    [Fact]
    public void Bench_checks_before_timing_and_reports_it()
    {
        var r = CliRunner.Run("bench", "mobilenetv3_small_075", "--resolution", "64", "--batch", "2", "--runs", "2", "--warmup", "1", "--threads", "1", "--seed", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(@"check: compiled runtime vs reference interpreter \(images 1 and 2 of the batch\): max \|diff\| \S+ = \S+ of max \|ref\| \S+, tolerance 1e-4 of max \|ref\| \+ 1e-4·\|ref\| \(ok\)", r.Stdout);

        var json = CliRunner.Run("bench", "shufflenetv2_050", "--resolution", "32", "--runs", "1", "--warmup", "0", "--threads", "1", "--format", "json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        using var doc = JsonDocument.Parse(json.Stdout);
        var check = doc.RootElement.GetProperty("check");
        Assert.Equal("reference interpreter", check.GetProperty("oracle").GetString());
        Assert.True(check.GetProperty("ok").GetBoolean());
        Assert.InRange(check.GetProperty("relative_to_max").GetDouble(), 0, OutputCheck.Atol);

        var ort = CliRunner.Run("bench", "shufflenetv2_050", "--resolution", "32", "--batch", "2", "--runs", "1", "--warmup", "0", "--threads", "1",
            "--compare", "onnxruntime");
        Assert.True(ort.ExitCode == 0, ort.Stderr);
        Assert.Contains("check: compiled runtime vs ONNX Runtime: max |diff| ", ort.Stdout);
    }

    [Theory]
    [InlineData("onnxruntime", "ONNX Runtime")]
    [InlineData("none", "reference interpreter")]
    public void Compare_checks_every_model_before_timing(string with, string oracle)
    {
        var dir = Directory.CreateTempSubdirectory("lightnets-compare-").FullName;
        try
        {
            var r = CliRunner.Run("compare", "--models", "mobilenetv3_small_075,shufflenetv2_050", "--rounds", "1", "--resolution", "32", "--out", dir,
                "--format", "json", "--compare", with);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Matches($@"compare: check: 2 compiled models agree with {oracle}; worst max \|diff\| \S+ of max \|ref\| \((mobilenetv3_small_075|shufflenetv2_050)\)", r.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
