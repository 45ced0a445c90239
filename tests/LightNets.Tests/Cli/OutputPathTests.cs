using System.Diagnostics;
using LightNets.Cli.Commands;

namespace LightNets.Tests.Cli;

/// <summary>Output files and directories are checked before any long work, and what is wrong with them is one clear line.</summary>
public sealed class OutputPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lightnets-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    // The issue's case: guidelines measured for 80 s, then failed to write.
    [InlineData("guidelines --out /proc/x", "is under /proc, a kernel file system")]
    [InlineData("guidelines --out /sys/kernel/lightnets", "is under /sys, a kernel file system")]
    [InlineData("compare --out /proc/x", "is under /proc, a kernel file system")]
    [InlineData("info mobilenetv2_050 --out /proc/x", "is under /proc, a kernel file system")]
    [InlineData("export mobilenetv2_050 -o /proc/x.onnx", "--output /proc/x.onnx is under /proc, a kernel file system")]
    [InlineData("export mobilenetv2_050 -o /sys/x.onnx", "--output /sys/x.onnx is under /sys")]
    public void Kernel_file_systems_are_refused_at_once(string args, string message)
    {
        var watch = Stopwatch.StartNew();
        var r = CliRunner.Run(args.Split(' '));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"lightnets: error: ", r.Stderr);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void A_directory_where_a_file_is_wanted_is_refused()
    {
        var r = CliRunner.Run("export", "mobilenetv2_050", "-o", _dir);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"lightnets: error: --output {_dir} is a directory; give a file name in it, e.g. {Path.Combine(_dir, "model.onnx")}\n",
            r.Stderr.ReplaceLineEndings("\n"));

        var run = CliRunner.Run("run", "mobilenetv2_050", "--input", "x.npy", "--output", _dir);
        Assert.Contains($"--output {_dir} is a directory", run.Stderr);
    }

    [Fact]
    public void A_file_in_a_missing_directory_is_refused_before_the_input_is_read()
    {
        var missing = Path.Combine(_dir, "no", "such");
        var r = CliRunner.Run("run", "mobilenetv2_050", "--input", Path.Combine(_dir, "missing.npy"), "--output", Path.Combine(missing, "y.npy"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"lightnets: error: --output {Path.Combine(missing, "y.npy")}: the directory {missing} does not exist; create it first or choose another\n",
            r.Stderr.ReplaceLineEndings("\n"));
        Assert.Contains("the directory", CliRunner.Run("export", "mobilenetv2_050", "-o", Path.Combine(missing, "m.onnx")).Stderr);
    }

    [Fact]
    public void A_file_where_a_directory_is_wanted_is_refused()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        var r = CliRunner.Run("guidelines", "--out", file);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"lightnets: error: --out {file} is a file; give a directory (it is created if missing)\n", r.Stderr.ReplaceLineEndings("\n"));
        Assert.Contains("is a file", CliRunner.Run("info", "mobilenetv2_050", "--out", file).Stderr);
    }

    [Fact]
    public void A_directory_that_cannot_be_created_names_the_reason()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        // A directory under a regular file: the create fails (ENOTDIR) whoever runs the tests, root included.
        var e = Assert.Throws<OutputPathException>(() => OutputPath.Directory(Path.Combine(file, "sub"), "--out"));
        Assert.StartsWith($"--out {Path.Combine(file, "sub")} cannot be written: ", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void The_checks_leave_nothing_behind_and_keep_existing_files()
    {
        var target = Path.Combine(_dir, "m.onnx");
        Assert.Equal(target, OutputPath.File(target, "-o", "model.onnx"));
        Assert.False(File.Exists(target)); // created and removed again
        File.WriteAllText(target, "old");
        OutputPath.File(target, "-o", "model.onnx");
        Assert.Equal("old", File.ReadAllText(target)); // opened for writing, not truncated

        var sub = Path.Combine(_dir, "new", "deeper");
        Assert.Equal(sub, OutputPath.Directory(sub, "--out"));
        Assert.True(Directory.Exists(sub));
        Assert.Empty(Directory.EnumerateFileSystemEntries(sub));
    }
}
