namespace LightNets.Training.Trainer;

/// <summary>Where a training step stands, for a progress display.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Batch">Batches of this epoch done (from 1).</param>
/// <param name="Batches">Batches in an epoch.</param>
/// <param name="Loss">Mean training loss of the epoch so far.</param>
/// <param name="Accuracy">Training accuracy of the epoch so far.</param>
/// <param name="ImagesPerSecond">Training images per second in this epoch so far.</param>
/// <param name="Remaining">Estimated time to the end of the run's training steps (validation not included).</param>
public readonly record struct StepProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double ImagesPerSecond,
    TimeSpan Remaining);

/// <summary>
/// Receives a run's progress: the trainer calls it on its own thread, between steps, so a slow display slows the run.
/// Every member does nothing unless overridden.
/// </summary>
public class TrainingMonitor
{
    /// <summary>A line worth telling the user (the data recipe, a resumed position, a replaced classifier).</summary>
    public virtual void Note(string message) { }

    /// <summary>After each training step.</summary>
    public virtual void Step(in StepProgress progress) { }

    /// <summary>While validating: images scored so far of all.</summary>
    public virtual void Validating(int epoch, long done, long total) { }

    /// <summary>After each epoch's validation, metrics files and checkpoint; <paramref name="best"/>: best.onnx was just written.</summary>
    public virtual void EpochEnded(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history, bool best) { }
}
