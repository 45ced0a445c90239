using LightNets.Models;
using LightNets.Training.Data;
using LightNets.Training.Data.Transforms;
using LightNets.Training.Engine;
using LightNets.Training.Kernels.Cpu;
using LightNets.Training.Optim;
using LightNets.Training.Trainer;

namespace LightNets.Samples;

public static class TrainSample
{
    public static int Run()
    {
        // Fashion-MNIST as Debian's dataset-fashion-mnist installs it; 8,192 training images drawn at random (seeded).
        var train = FashionMnist.Load(train: true).Sample(8192, seed: 1);
        var test = FashionMnist.Load(train: false);
        var (mean, std) = DatasetStatistics.MeanStd(train);

        // MobileNetV3-Small α=0.5 in its small-input variant: a 1-channel 32×32 input that ends on a 4×4 map.
        const int batch = 128;
        var graph = ModelZoo.Build("mobilenetv3_small_050",
            new ModelOptions { Resolution = 32, Batch = batch, Classes = 10, SmallInput = true, InputChannels = 1 });

        // The training plan: forward in training mode, loss, backward; one arena, nothing allocated per step.
        using var session = new TrainingSession(graph,
            new TrainingSessionOptions { Threads = 2, Kernels = CpuTrainKernels.Instance, LabelSmoothing = 0.1f, Seed = 1 });
        var sgd = new Sgd(session.Parameters, momentum: 0.9, nesterov: true, weightDecay: 5e-5); // no decay on BN and biases
        const int epochs = 2;
        var schedule = new OneCycleSchedule(0.1, epochs);

        // Batches are decoded and augmented (pad 4, random 32×32 crop, flip) on a worker thread ahead of the step.
        using var loader = new DataLoader(train, ImagePipeline.SmallImageTraining(32, 4, mean, std),
            new LoaderOptions { BatchSize = batch, DropLast = true, Seed = 1 });
        long step = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            foreach (var b in loader.Epoch(epoch))
            {
                var loss = session.Step(b.ImageValues, b.LabelValues);
                sgd.Momentum = schedule.MomentumAt(step, loader.BatchesPerEpoch) ?? sgd.Momentum;
                sgd.Step(schedule.RateAt(step++, loader.BatchesPerEpoch));
                if (step % 32 == 0) Console.WriteLine($"step {step}: loss {loss:F3}, {session.Correct} of {batch} right");
            }
        }

        // The trained weights as an inference graph (BN with its running statistics), scored on the 10,000 test images.
        var result = Evaluator.Run(session.ToGraph(), test, ImagePipeline.SmallImageEvaluation(32, mean, std), batch: 500, threads: 2);
        Console.WriteLine($"test top-1 {result.Top1:P1}, top-5 {result.TopKAccuracy:P1} after {epochs} epochs of {train.Count:N0} images");
        return 0;
    }
}
