using LightNets.Training;

namespace LightNets.Tests.Training.Engine;

/// <summary>The simplest update, for the engine's tests only (real optimizers live in LightNets.Training.Optim): w −= lr·g.</summary>
internal static class PlainSgd
{
    public static void Update(IEnumerable<Parameter> parameters, float learningRate)
    {
        foreach (var p in parameters)
        {
            if (!p.Trainable) continue;
            for (var i = 0; i < p.Value.Length; i++) p.Value[i] -= learningRate * p.Grad[i];
        }
    }
}
