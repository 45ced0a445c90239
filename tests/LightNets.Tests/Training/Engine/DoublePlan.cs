using LightNets.Graphs;
using LightNets.Training;
using LightNets.Training.Engine;
using LightNets.Training.Engine.Steps;

namespace LightNets.Tests.Training.Engine;

/// <summary>
/// The engine's training plan in double on the reference kernels: the same lowering, schedule, gradient accumulation
/// and arena as a float session, precise enough for finite differences over a whole model.
/// </summary>
internal sealed class DoublePlan : IDisposable
{
    private readonly TrainContext _ctx = new();

    public DoublePlan(Graph graph, Func<string, bool>? frozen = null, double labelSmoothing = 0.1, ulong seed = 5)
    {
        Model = new TrainingModel(graph);
        Params = Model.Parameters.Select(p => new ParamRef<double>(p.Name, Widen(p.Initial.Data), new double[p.Initial.Data.Length],
            !(frozen?.Invoke(p.Name) ?? false))).ToArray();
        Buffers = Model.Buffers.Select(b => Widen(b.Initial.Data)).ToArray();
        Plan = new TrainingPlan<double>(Model, Params, Buffers, new ReferenceTrainKernels<double>(), _ctx,
            new PlanSettings(labelSmoothing, 0.1, seed, 1L << 30));
    }

    public TrainingModel Model { get; }
    public ParamRef<double>[] Params { get; }
    public double[][] Buffers { get; }
    public TrainingPlan<double> Plan { get; }

    /// <summary>One step (always step number 0, so dropout masks repeat): the loss, gradients left in <see cref="Params"/>.</summary>
    public double Loss(float[] input, int[] labels) => Plan.Step(input, labels, 0);

    private static double[] Widen(float[] v) => Array.ConvertAll(v, x => (double)x);

    public void Dispose()
    {
        Plan.Dispose();
        _ctx.Dispose();
    }
}
