namespace LightNets.Weights;

/// <summary>
/// A weight file that cannot be read: missing, not a regular file, of an unknown format, truncated, inconsistent
/// (sizes, offsets or strides that do not fit the data), or holding something a weight file must not hold (a pickle
/// that names a Python global outside the allowed set, an archive entry that inflates past its declared size). The
/// message names the file and the first thing wrong.
/// </summary>
public class WeightFileException(string message, Exception? inner = null) : LightNetsException(message, inner);

/// <summary>
/// A PyTorch pickle that names a Python global which a state dict never needs (<c>os.system</c>,
/// <c>builtins.eval</c>, a model class, ...): refused before anything in the pickle is built or called.
/// <see cref="Global"/> is the global's full name, <c>module.name</c>.
/// </summary>
public sealed class ForbiddenGlobalException(string message, string global) : WeightFileException(message)
{
    /// <summary>The refused global as <c>module.name</c>.</summary>
    public string Global { get; } = global;
}
