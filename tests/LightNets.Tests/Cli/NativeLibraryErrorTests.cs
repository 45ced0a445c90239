using LightNets.Cli;

namespace LightNets.Tests.Cli;

/// <summary>A native library that cannot load (SkiaSharp without libfontconfig on a bare ARM64 system) is a one-line error naming what is missing, not an internal error.</summary>
public sealed class NativeLibraryErrorTests
{
    [Fact]
    public void A_missing_dependency_is_named_in_one_line()
    {
        var loader = new DllNotFoundException("Unable to load shared library 'libSkiaSharp' or one of its dependencies.\n" +
            "libfontconfig.so.1: cannot open shared object file: No such file or directory\nliblibSkiaSharp.so: cannot open shared object file: No such file or directory");
        var wrapped = new TypeInitializationException("SkiaSharp.SKImageInfo", loader);
        Assert.Equal("libfontconfig.so.1: cannot open shared object file: No such file or directory", LightNetsCli.MissingNativeLibrary(wrapped));
        Assert.Null(LightNetsCli.MissingNativeLibrary(new InvalidOperationException("no")));
    }
}
