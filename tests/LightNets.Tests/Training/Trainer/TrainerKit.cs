using System.Text.Json.Nodes;
using LightNets.Graphs;
using LightNets.Models;
using LightNets.Tests.Training.Data;
using LightNets.Training.Data;
using LightNets.Training.Trainer;

namespace LightNets.Tests.Training.Trainer;

/// <summary>Small data and runs for the trainer and CLI tests: seconds each.</summary>
internal static class TrainerKit
{
    /// <summary>The small model the tests train: MobileNetV1 0.25, small-input, one channel, 32×32 (215 K params).</summary>
    public const string Model = "mobilenetv1_025";

    public static Graph BuildModel(int classes = 10, ulong seed = 0) => ModelZoo.Build(Model, new ModelOptions
    {
        SmallInput = true, InputChannels = 1, Resolution = 32, Classes = classes, Init = new WeightInit(seed),
    });

    /// <summary>
    /// 28×28 grayscale images a network learns in a few steps whatever the crop and flip: class c is a plain grey of level
    /// 24·c with seeded noise (so the images of a class differ) and a dark border like Fashion-MNIST's.
    /// </summary>
    public static byte[] Images(int count, Func<int, int> label, int seed)
    {
        var bytes = new byte[count * 28 * 28];
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var level = 24 * label(i);
            for (var y = 0; y < 28; y++)
                for (var x = 0; x < 28; x++)
                    bytes[(i * 28 + y) * 28 + x] = y is < 3 or >= 25 || x is < 3 or >= 25 ? (byte)random.Next(8) : (byte)(level + random.Next(24));
        }
        return bytes;
    }

    /// <summary>An MNIST-style directory (train- and t10k- IDX files) of the grey images, labels cycling through the classes.</summary>
    public static string WriteIdxDirectory(string directory, int train = 256, int test = 128, int classes = 10)
    {
        Directory.CreateDirectory(directory);
        foreach (var (prefix, count, seed) in new[] { ("train", train, 1), ("t10k", test, 2) })
        {
            File.WriteAllBytes(Path.Combine(directory, $"{prefix}-images-idx3-ubyte"),
                [.. DataFiles.IdxHeader(8, (uint)count, 28, 28), .. Images(count, i => i % classes, seed)]);
            File.WriteAllBytes(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte"),
                DataFiles.IdxLabels([.. Enumerable.Range(0, count).Select(i => (byte)(i % classes))]));
        }
        return directory;
    }

    /// <summary>A run of <see cref="BuildModel"/> on the IDX directory's training part, validated on its test part.</summary>
    public static TrainingRun Run(string data, string output, TrainerOptions options, bool resume = false)
    {
        var train = IdxDataset.LoadDirectory(data, "train");
        Directory.CreateDirectory(output);
        return new TrainingRun
        {
            Model = BuildModel(train.ClassNames.Count), Description = new JsonObject { ["model"] = Model }, Train = train,
            Validation = IdxDataset.LoadDirectory(data, "t10k"), Recipe = DataRecipe.For(train, 1, 32), Options = options, Directory = output, Resume = resume,
        };
    }

    /// <summary>Options of a short run: 2 threads, batch 32, SGD with momentum and a cosine schedule.</summary>
    public static TrainerOptions Options(int epochs = 2) => new()
    {
        Epochs = epochs, BatchSize = 32, Threads = 2, Seed = 7, Optimizer = new OptimizerSettings { LearningRate = 0.05 },
    };

    /// <summary>Every parameter and buffer value's bits, in order: equal lists mean bit-identical weights.</summary>
    public static int[] Bits(ModelTrainer trainer) =>
        [.. trainer.Session.Parameters.SelectMany(p => p.Value).Concat(trainer.Session.Buffers.SelectMany(b => b.Value)).Select(BitConverter.SingleToInt32Bits)];

    public static string TempDirectory(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lightnets-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
