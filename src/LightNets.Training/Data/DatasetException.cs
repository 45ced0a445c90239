namespace LightNets.Training.Data;

/// <summary>
/// A data set that cannot be used as asked: a missing file or folder, a folder without class sub-folders, an empty
/// class, an image that cannot be read when reading is strict, transforms that do not fit the images. The message says
/// what is wrong and what to do.
/// </summary>
public class DatasetException(string message, Exception? inner = null) : LightNetsException(message, inner);

/// <summary>
/// A data set file whose content is malformed: a wrong magic number, a truncated or over-long file, sizes that are zero
/// or absurd, a label out of range, corrupt compressed data. The message names the file and what is wrong with it.
/// </summary>
public sealed class DatasetFormatException(string file, string reason, Exception? inner = null)
    : DatasetException($"{file}: {reason}", inner)
{
    /// <summary>The file at fault.</summary>
    public string File { get; } = file;

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Reason { get; } = reason;
}
