using Microsoft.Win32.SafeHandles;

namespace LightNets.Weights.PyTorch;

// Placeholder until the PyTorch readers land (next commits on this branch): the format is detected, reading refused.
internal static class PyTorchLegacyReader
{
    public static StateDict Read(string path, SafeFileHandle handle, long length, Func<string, Exception> fail) =>
        throw fail("reading PyTorch checkpoints is not implemented yet");
}
