using System.Diagnostics;
using System.Text.Json.Nodes;
using LightNets.Graphs;
using LightNets.Training.Checkpoints;
using LightNets.Training.Data;
using LightNets.Training.Engine;
using LightNets.Training.Kernels.Cpu;
using LightNets.Training.Optim;

namespace LightNets.Training.Trainer;

/// <summary>
/// Trains a classifier epoch by epoch: the loader prepares batches on worker threads while the training session steps,
/// the optimizer updates with the schedule's rate (clipping and EMA on request), and after each epoch the model is
/// validated in evaluation mode, the metrics are written (CSV, JSON), the best model by validation top-1 is exported
/// (best.onnx), and a checkpoint is written atomically with everything needed to go on. At the end final.onnx is
/// exported.
/// <para>
/// Deterministic: with the same data, options (seed included) and threads, two runs give bit-identical weights, and a
/// run resumed from any of its checkpoints ends bit-identical to one never stopped: the data order and augmentation
/// depend only on (seed, epoch, item), dropout only on (seed, step), and the checkpoint holds the exact weights,
/// BatchNorm statistics, optimizer state, EMA and position.
/// </para>
/// </summary>
public sealed class ModelTrainer : IDisposable
{
    private const string ProgressEpoch = "epoch";
    private const string ProgressBatch = "batch";
    private const string ProgressLossSum = "loss_sum_bits";
    private const string ProgressCorrect = "correct";
    private const string ProgressImages = "images";
    private const string ProgressSeconds = "seconds_bits";

    private readonly TrainingRun _run;
    private readonly TrainerOptions _options;
    private readonly TrainingSession _session;
    private readonly DataLoader _loader;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly WeightEma? _ema;
    private readonly List<EpochMetrics> _history = [];
    private readonly JsonObject _description;

    // Where the run stands: the next epoch and batch, and the running sums of the epoch in progress.
    private int _epoch, _batch;
    private long _step, _correct, _images;
    private double _lossSum, _seconds;

    /// <exception cref="OptimizationSettingsException">Options out of range.</exception>
    /// <exception cref="DatasetException">The data does not fit the model (channels, class count) or makes no full batch.</exception>
    /// <exception cref="TrainingGraphException">The model cannot be trained.</exception>
    /// <exception cref="CheckpointException">Resuming: no checkpoint, or one of another run.</exception>
    public ModelTrainer(TrainingRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        _run = run;
        _options = run.Options;
        _options.Validate();
        var logits = Evaluator.Logits(run.Model);
        var classes = logits.ShapeOf(logits.Output)[1];
        if (run.Train.ClassNames.Count > classes)
            throw new DatasetException(
                $"the training data has {run.Train.ClassNames.Count} classes but the model scores {classes}: build the model with --classes {run.Train.ClassNames.Count} (the train command does this itself)");
        if (run.Validation is { } v && v.ClassNames.Count > classes)
            throw new DatasetException($"the validation data has {v.ClassNames.Count} classes but the model scores {classes}");
        _description = new JsonObject
        {
            ["model"] = run.Description.DeepClone(),
            ["recipe"] = run.Recipe.ToJson(),
            ["classes"] = new JsonArray([.. run.Train.ClassNames.Select(n => JsonValue.Create(n))]),
        };

        var graph = run.Model.WithBatch(_options.BatchSize);
        var pipeline = run.Recipe.TrainingPipeline();
        _loader = new DataLoader(run.Train, pipeline, new LoaderOptions
        {
            BatchSize = _options.BatchSize, Shuffle = true, DropLast = true, Seed = _options.Seed, Workers = _options.LoaderWorkers,
            Strict = run.Strict, Prefetch = 2,
        });
        try
        {
            var input = graph.Input.Shape;
            if (input.C != _loader.Shape.Channels || input.H != _loader.Shape.Height || input.W != _loader.Shape.Width)
                throw new DatasetException(
                    $"the data recipe gives {_loader.Shape} images but {graph.Name} takes {input.C}×{input.H}×{input.W}: give the model the data's resolution and channels (--resolution, --input-channels)");
            _session = new TrainingSession(graph, new TrainingSessionOptions
            {
                Threads = _options.EffectiveThreads, Kernels = CpuTrainKernels.Instance, LabelSmoothing = _options.LabelSmoothing,
                BatchNormMomentum = _options.BatchNormMomentum, Seed = (ulong)_options.Seed, Replicas = _options.Replicas,
            });
            if (run.FreezeBackbone) FineTuning.FreezeBackbone(_session.Parameters, ClassifierHead.Find(run.Model));
            _optimizer = _options.Optimizer.Create(_session.Parameters);
            _schedule = _options.Schedule.Create(_options.Optimizer.Resolved().LearningRate!.Value, _options.Epochs);
            _ema = _options.EmaDecay is { } decay ? new WeightEma(_session.Parameters, _session.Buffers, decay, warmup: true) : null;
            if (run.Resume) Restore();
        }
        catch
        {
            _session?.Dispose();
            _loader.Dispose();
            throw;
        }
    }

    /// <summary>The training session (its parameters hold the live weights).</summary>
    public TrainingSession Session => _session;

    /// <summary>Batches per epoch (the last incomplete batch is left out).</summary>
    public int BatchesPerEpoch => _loader.BatchesPerEpoch;

    /// <summary>The epochs measured so far (those before a resume included).</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>Epochs completed (a resumed run starts above 0).</summary>
    public int EpochsDone => _epoch;

    /// <summary>Optimizer steps done.</summary>
    public long StepsDone => _step;

    /// <summary>Training items that could not be read and were stood in for.</summary>
    public IReadOnlyList<SkippedEntry> Unreadable => _loader.Unreadable;

    /// <summary>
    /// Runs the remaining epochs and exports final.onnx. Cancelling stops between steps; the files on disk are those of
    /// the last completed checkpoint.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss stopped being a finite number.</exception>
    public void Run(TrainingMonitor? monitor = null, CancellationToken cancellation = default)
    {
        monitor ??= new TrainingMonitor();
        var batches = _loader.BatchesPerEpoch;
        var clock = new Stopwatch();
        while (_epoch < _options.Epochs)
        {
            foreach (var batch in _loader.Epoch(_epoch, _batch, cancellation))
            {
                clock.Restart();
                var rate = _schedule.RateAt(_step, batches);
                if (_schedule.MomentumAt(_step, batches) is { } momentum) _optimizer.Momentum = momentum;
                var loss = _session.Step(batch.ImageValues, batch.LabelValues);
                if (!float.IsFinite(loss))
                    throw new TrainingDivergedException(
                        $"the training loss became {loss} at step {_step + 1:N0} (epoch {_epoch + 1}, learning rate {rate:G4}): lower --lr, add --warmup-epochs or --clip-grad");
                if (_options.ClipGradNorm is { } norm) GradientClipping.ClipByGlobalNorm(_session.Parameters, norm);
                _optimizer.Step(rate);
                _ema?.Update();
                _step++;
                _batch++;
                _lossSum += loss;
                _correct += _session.Correct;
                _images += batch.Count;
                _seconds += clock.Elapsed.TotalSeconds;
                var perSecond = _images / Math.Max(_seconds, 1e-9);
                var left = (long)(_options.Epochs - _epoch - 1) * batches + batches - _batch;
                monitor.Step(new StepProgress(_epoch + 1, _options.Epochs, _batch, batches, _lossSum / _batch, (double)_correct / _images, perSecond,
                    TimeSpan.FromSeconds(left * _options.BatchSize / perSecond)));
                if (_options.CheckpointSteps > 0 && _step % _options.CheckpointSteps == 0 && _batch < batches) SaveCheckpoint();
            }
            cancellation.ThrowIfCancellationRequested();
            EndEpoch(monitor, _schedule.RateAt(_step - 1, batches), cancellation);
        }
        Export(Path.Combine(_run.Directory, TrainingRun.FinalModelFileName));
    }

    private void EndEpoch(TrainingMonitor monitor, double rate, CancellationToken cancellation)
    {
        var graph = EvaluationGraph();
        EvaluationResult? validation = null;
        if (_run.Validation is { } data)
        {
            var epoch = _epoch + 1;
            validation = Evaluator.Run(graph, data, _run.Recipe.EvaluationPipeline(), _options.EvaluationBatchSize, _options.EffectiveThreads, _run.Strict,
                (done, total) => monitor.Validating(epoch, done, total), cancellation);
        }
        var metrics = new EpochMetrics
        {
            Epoch = _epoch + 1, Step = _step, TrainLoss = _lossSum / Math.Max(1, _batch), TrainAccuracy = (double)_correct / Math.Max(1, _images),
            ValidationLoss = validation?.Loss, ValidationTop1 = validation?.Top1, ValidationTopK = validation?.TopKAccuracy,
            LearningRate = rate, Seconds = _seconds, ImagesPerSecond = _images / Math.Max(_seconds, 1e-9), Unreadable = _loader.Unreadable.Count,
        };
        var best = validation is not null && _history.All(h => h.ValidationTop1 is not { } t || validation.Top1 > t);
        _history.Add(metrics);
        AtomicFile.WriteAllText(Path.Combine(_run.Directory, TrainingRun.MetricsCsvFileName), EpochMetrics.ToCsv(_history));
        AtomicFile.WriteAllText(Path.Combine(_run.Directory, TrainingRun.MetricsJsonFileName),
            new JsonObject { ["run"] = _description.DeepClone(), ["options"] = _options.ToJson(), ["epochs"] = EpochMetrics.ToJson(_history) }
                .ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        if (best) Export(Path.Combine(_run.Directory, TrainingRun.BestModelFileName), graph);
        (_epoch, _batch, _lossSum, _correct, _images, _seconds) = (_epoch + 1, 0, 0, 0, 0, 0);
        SaveCheckpoint();
        monitor.EpochEnded(metrics, _history, best);
    }

    /// <summary>The model as validation sees it: the EMA's weights when there is one, else the live ones.</summary>
    private Graph EvaluationGraph()
    {
        if (_ema is null) return _session.ToGraph();
        _ema.Swap();
        try
        {
            return _session.ToGraph();
        }
        finally
        {
            _ema.Swap();
        }
    }

    private void Export(string path, Graph? graph = null)
    {
        var names = _run.Train.ClassNames;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["lightnets.training"] = new JsonObject { ["run"] = _description.DeepClone(), ["options"] = _options.ToJson(), ["epochs"] = _epoch, ["steps"] = _step }
                .ToJsonString(),
        };
        ModelExport.Save(ModelExport.Build(graph ?? EvaluationGraph(), _run.Recipe.ExportInput(), names, metadata), path);
    }

    private void SaveCheckpoint()
    {
        var progress = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            [ProgressEpoch] = _epoch, [ProgressBatch] = _batch, [ProgressLossSum] = BitConverter.DoubleToInt64Bits(_lossSum),
            [ProgressCorrect] = _correct, [ProgressImages] = _images, [ProgressSeconds] = BitConverter.DoubleToInt64Bits(_seconds),
        };
        CheckpointFile.Save(_run.CheckpointPath, new TrainingState
        {
            Parameters = _session.Parameters, Buffers = _session.Buffers, Optimizer = _optimizer, Ema = _ema, Step = _step, Epoch = _epoch,
            Progress = progress, ModelJson = _description.ToJsonString(), OptionsJson = _options.ToJson().ToJsonString(),
            MetricsJson = EpochMetrics.ToJson(_history).ToJsonString(),
        });
    }

    private void Restore()
    {
        var path = _run.CheckpointPath;
        if (!File.Exists(path))
            throw new CheckpointException($"there is no checkpoint to resume in {_run.Directory} ({TrainingRun.CheckpointFileName} is missing): run without --resume to start");
        var checkpoint = CheckpointFile.Load(path);
        var differences = new List<string>();
        Compare("model and data", Parse(checkpoint.ModelJson, path), _description, differences);
        Compare("training options", Parse(checkpoint.OptionsJson, path), _options.ToJson(), differences);
        if (differences.Count > 0)
            throw new CheckpointMismatchException(
                $"the checkpoint in {_run.Directory} is of another run; resume with the command that started it, or give another --out:\n  - {string.Join("\n  - ", differences)}");
        long Get(string key) => checkpoint.Progress.TryGetValue(key, out var v)
            ? v
            : throw new CheckpointFormatException($"the checkpoint {path} lacks the trainer's '{key}'; it was not written by lightnets train");
        var (epoch, batch) = (Get(ProgressEpoch), Get(ProgressBatch));
        if (epoch < 0 || epoch > _options.Epochs || batch < 0 || batch >= _loader.BatchesPerEpoch || checkpoint.Step != epoch * _loader.BatchesPerEpoch + batch)
            throw new CheckpointFormatException(
                $"the checkpoint {path} stands at epoch {epoch}, batch {batch}, step {checkpoint.Step}, which this run's {_options.Epochs} epochs of {_loader.BatchesPerEpoch} batches cannot reach");
        checkpoint.Restore(_session.Parameters, _session.Buffers, _optimizer, _ema);
        _history.AddRange(JsonNode.Parse(checkpoint.MetricsJson) is JsonArray epochs
            ? epochs.Select(e => EpochMetrics.FromJson(e as JsonObject ?? throw NotOurs(path)))
            : throw NotOurs(path));
        (_epoch, _batch, _step) = ((int)epoch, (int)batch, checkpoint.Step);
        (_lossSum, _correct, _images, _seconds) =
            (BitConverter.Int64BitsToDouble(Get(ProgressLossSum)), Get(ProgressCorrect), Get(ProgressImages), BitConverter.Int64BitsToDouble(Get(ProgressSeconds)));
        _session.StepsDone = _step;
    }

    private static JsonObject Parse(string json, string path) => JsonNode.Parse(json) as JsonObject ?? throw NotOurs(path);

    private static CheckpointFormatException NotOurs(string path) =>
        new($"the checkpoint {path} does not hold the model, options and metrics of a lightnets train run");

    /// <summary>Adds a line to <paramref name="differences"/> for each top-level entry where the saved and current JSON differ.</summary>
    private static void Compare(string what, JsonObject saved, JsonObject current, List<string> differences)
    {
        foreach (var key in saved.Select(p => p.Key).Union(current.Select(p => p.Key)))
        {
            var (a, b) = (saved[key]?.ToJsonString() ?? "none", current[key]?.ToJsonString() ?? "none");
            if (a != b) differences.Add($"{what}: {key} was {Shorten(a)}, now {Shorten(b)}");
        }
    }

    private static string Shorten(string json) => json.Length <= 160 ? json : json[..157] + "...";

    public void Dispose()
    {
        _loader.Dispose();
        _session.Dispose();
    }
}

/// <summary>The training loss stopped being a finite number (too high a learning rate, usually).</summary>
public sealed class TrainingDivergedException(string message) : LightNetsException(message);
