namespace LightNets.Training.Engine;

/// <summary>
/// A graph that cannot be trained as it is: an operator without a backward rule, a weight that is not a constant, a
/// classifier output of the wrong shape. The message names the node and says what would make it trainable.
/// </summary>
public sealed class TrainingGraphException(string message) : LightNetsException(message);

/// <summary>A training batch that does not fit the session: wrong element count, label count, or a label outside the classes.</summary>
public sealed class TrainingInputException(string message) : LightNetsException(message);

/// <summary>A training option out of its range (label smoothing, BN momentum, threads, memory limit); the message names it.</summary>
public sealed class TrainingOptionsException(string message) : LightNetsException(message);
