using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary><c>f32-vact</c> (<see cref="Elementwise.Activate"/>) on every tier: bit for bit the scalar formula, in place too, nothing written past n.</summary>
public class ActivateKernelTests
{
    public static TheoryData<int> Lengths => new(0, 1, 7, 8, 9, 15, 16, 17, 33, 1007);

    [Theory]
    [MemberData(nameof(Lengths))]
    public unsafe void Activate_applies_the_activation_to_each_element(int n)
    {
        var x = Strided.Dense(n, 1);
        var rng = new Rng(5);
        for (var i = 0; i < n; i++) x[i, 0] = (float)rng.NextNormal() * 4f;
        foreach (var isa in CpuTestData.Tiers)
        {
            foreach (var act in CpuTestData.Activations)
            {
                var output = Strided.Dense(n, 1);
                Elementwise.Activate(x.Ptr, output.Ptr, n, act, isa);
                output.AssertPoisonIntact($"activate n={n} {act} on {isa}");
                for (var i = 0; i < n; i++) Assert.Equal(Activations.Apply(x[i, 0], act), output[i, 0]);
            }
            var inPlace = Strided.Dense(n, 1);
            for (var i = 0; i < n; i++) inPlace[i, 0] = x[i, 0];
            Elementwise.Activate(inPlace.Ptr, inPlace.Ptr, n, FusedActivation.Relu, isa);
            for (var i = 0; i < n; i++) Assert.Equal(MathF.Max(x[i, 0], 0f), inPlace[i, 0]);
        }
    }

    /// <summary>
    /// NaN stays NaN and infinities clamp on every tier, as in the scalar reference (the vector clamps use the bare
    /// vmaxps/vminps with the constant first); −0 may come out as −0 where the reference gives +0, which compares equal.
    /// </summary>
    [Fact]
    public unsafe void Special_values_behave_as_the_scalar_formula()
    {
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, -3f, 3f, 6f, -1e-30f, 1e-30f, 5.9999f, 6.0001f];
        var n = special.Length * 3; // the vector body and the scalar tail both see every value
        var x = Strided.Dense(n, 1);
        for (var i = 0; i < n; i++) x[i, 0] = special[i % special.Length];
        foreach (var isa in CpuTestData.Tiers)
        {
            foreach (var act in CpuTestData.Activations)
            {
                var output = Strided.Dense(n, 1);
                Elementwise.Activate(x.Ptr, output.Ptr, n, act, isa);
                for (var i = 0; i < n; i++)
                {
                    var expected = Activations.Apply(x[i, 0], act);
                    var got = output[i, 0];
                    Assert.True(float.IsNaN(expected) ? float.IsNaN(got) : got == expected,
                        $"{act} on {isa}: f({x[i, 0]}) = {got}, expected {expected}");
                }
            }
        }
    }
}
