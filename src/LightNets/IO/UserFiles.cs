namespace LightNets.IO;

/// <summary>Questions asked of a file a user names, before it is opened (models, label lists, data sets).</summary>
public static class UserFiles
{
    /// <summary>
    /// The size of the file <paramref name="path"/> leads to, without opening it (opening a FIFO blocks): a FileInfo
    /// describes a link itself, whose size is the length of its target's name. 0 when the target names no regular file
    /// with content: an empty file, a pipe, a device, a link loop, or /dev/fd/N (whose target, "pipe:[N]", names no
    /// path). On Linux every pipe, socket and device reports size 0, so "0" is the readers' cue to refuse it unread.
    /// </summary>
    public static long SizeOfTarget(string path)
    {
        var file = new FileInfo(path);
        try
        {
            var target = file.LinkTarget is null ? file : file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo;
            return target is { Exists: true } ? target.Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
