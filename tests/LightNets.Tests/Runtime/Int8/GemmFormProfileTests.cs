using LightNets.Quantization;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu.Int8;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Int8;

/// <summary>
/// A profile names the multiply each int8 1×1 convolution and FC layer runs, so that a user sees why a layer is slow:
/// per-channel 8-bit weights usually fail the u8·s8 pair check and run the exact int16 form where VNNI is not chosen;
/// 7-bit weights (<c>--reduce-range</c>) never do.
/// </summary>
public class GemmFormProfileTests
{
    private static string[] GemmSteps(QuantizeOptions? options)
    {
        var graph = Int8PlanTests.Quantized("mobilenetv2_035", 64, 11, options);
        using var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        var x = new Rng(3).NormalTensor(1, 3, 64, 64).Data;
        return [.. session.Profile(x, new float[session.Run(new Tensor(graph.Inputs[0].Shape, x)).Length], runs: 1, warmup: 0)
            .Select(s => s.Operator).Where(o => o.Contains("int8 conv 1×1", StringComparison.Ordinal) || o.Contains("int8 fc", StringComparison.Ordinal))];
    }

    [Fact]
    public void Every_int8_gemm_step_names_its_form()
    {
        var steps = GemmSteps(null);
        Assert.NotEmpty(steps);
        string[] forms = ["[vnni]", "[maddubsw]", "[int16: weight pairs too large for maddubsw]", "[scalar]"];
        Assert.All(steps, s => Assert.Contains(forms, f => s.Contains(f, StringComparison.Ordinal)));
        // Full-range 8-bit weights fail the pair check: AVX-512 takes the pair path for the short-K layers even beside VNNI
        // (Int8Caps.BestFor), and AVX2 without VNNI for all of them, so at least one layer runs the int16 form.
        if (Int8Caps.Supports(Int8Isa.V512) || (Int8Caps.Supports(Int8Isa.V256) && !Int8Caps.Supports(Int8Isa.V256Vnni)))
            Assert.Contains(steps, s => s.Contains("[int16", StringComparison.Ordinal));
    }

    [Fact]
    public void Seven_bit_weights_never_take_the_int16_form()
    {
        var steps = GemmSteps(new QuantizeOptions { ReduceRange = true });
        Assert.NotEmpty(steps);
        Assert.DoesNotContain(steps, s => s.Contains("[int16", StringComparison.Ordinal));
    }
}
