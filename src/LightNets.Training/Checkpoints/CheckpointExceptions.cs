namespace LightNets.Training.Checkpoints;

/// <summary>
/// A checkpoint that cannot be read or written: no file at the path, a directory, a file that cannot be opened, a write
/// that failed (the previous checkpoint is then unchanged). The message names the path.
/// </summary>
public class CheckpointException(string message, Exception? inner = null) : LightNetsException(message, inner);

/// <summary>
/// A file that is not a well-formed checkpoint: truncated, not safetensors, a header whose sizes or offsets do not fit
/// the file, a dtype other than F32, metadata that is not what LightNets writes. The message names the path and the
/// first thing wrong.
/// </summary>
public sealed class CheckpointFormatException(string message) : CheckpointException(message);

/// <summary>
/// A well-formed checkpoint that does not fit what it is restored into: another model's parameters, another optimizer,
/// a missing EMA. Nothing is restored when this is thrown.
/// </summary>
public sealed class CheckpointMismatchException(string message) : CheckpointException(message);
