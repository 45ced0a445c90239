namespace LightNets;

/// <summary>Base type of every error LightNets raises on purpose. Messages are written for the person who caused them.</summary>
public class LightNetsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A graph that cannot run: the message names the node, the values and the rule broken.</summary>
public sealed class GraphValidationException(string message) : LightNetsException(message);

/// <summary>A model configuration that cannot be built (unknown name, α ≤ 0, groups that do not divide the channels, ...).</summary>
public sealed class ModelConfigurationException(string message) : LightNetsException(message);

/// <summary>
/// An input tensor whose shape differs from the one the graph declares: the message names the input, the expected and
/// the actual shape.
/// </summary>
public sealed class InputShapeException(string message) : LightNetsException(message);

/// <summary>
/// An input given under a name the graph does not declare, a declared input that was not given, or a single-input API
/// used on a graph with several inputs: the message lists the graph's inputs.
/// </summary>
public sealed class InputNameException(string message) : LightNetsException(message);

/// <summary>
/// An output asked for under a name the graph does not declare, or a single-output API used on a graph with several
/// outputs: the message lists the graph's outputs.
/// </summary>
public sealed class OutputNameException(string message) : LightNetsException(message);

/// <summary>
/// A graph whose run needs more working memory than the session may allocate (<c>SessionOptions.MaxArenaBytes</c>):
/// the message names the graph, its input shape and both sizes.
/// </summary>
public sealed class WorkingMemoryException(string message) : LightNetsException(message);
