using System.Diagnostics;
using LightNets.Tests.Runtime;
using LightNets.Tests.Training.Trainer;
using LightNets.Training.Trainer;

namespace LightNets.Tests.Cli;

/// <summary>
/// The kill test: `lightnets train` in a child process is killed with SIGKILL mid-epoch once a checkpoint
/// exists, resumed with --resume, and must end with a final model bit-identical to a run never interrupted.
/// </summary>
public sealed class TrainKillResumeTests : IDisposable
{
    private readonly string _root = TrainerKit.TempDirectory("kill");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task KilledWithSigkillAndResumedEndsBitIdentical()
    {
        var data = TrainerKit.WriteIdxDirectory(Path.Combine(_root, "data"), train: 512);
        string[] Args(string output) =>
        [
            "train", TrainerKit.Model, "--small-input", "--data", data, "--epochs", "3", "--batch", "32", "--threads", "2", "--seed", "11",
            "--checkpoint-steps", "5", "--ema", "0.99", "--label-smoothing", "0.1", "--out", output, "-q",
        ];
        var whole = Path.Combine(_root, "whole");
        var uninterrupted = CliRunner.Run(Args(whole));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);

        var killed = Path.Combine(_root, "killed");
        var checkpoint = Path.Combine(killed, TrainingRun.CheckpointFileName);
        // One shell starts the run, waits for its first checkpoint (written mid-epoch 1, at step 5 of 16) and kills it
        // with SIGKILL at once, so that no handler runs and steps 6.. are lost; it prints the run's exit status.
        var script = "\"$0\" \"$@\" >/dev/null 2>&1 & pid=$!; n=0; " +
                     $"while [ ! -f '{checkpoint}' ] && kill -0 $pid 2>/dev/null && [ $n -lt 12000 ]; do sleep 0.01; n=$((n+1)); done; " +
                     "kill -9 $pid; wait $pid; echo $?";
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-c", script, TierProcessTests.DotnetHost(), Path.Combine(AppContext.BaseDirectory, "LightNets.Cli.dll"), .. Args(killed)])
            start.ArgumentList.Add(a);
        using (var shell = Process.Start(start)!)
        {
            var status = await shell.StandardOutput.ReadToEndAsync();
            await shell.WaitForExitAsync();
            Assert.True(status.Trim() == "137", $"the run was not killed by SIGKILL (exit status {status.Trim()}): {await shell.StandardError.ReadToEndAsync()}");
        }
        Assert.True(File.Exists(checkpoint));
        Assert.False(File.Exists(Path.Combine(killed, TrainingRun.FinalModelFileName)), "the run finished before the kill");

        var resumed = CliRunner.Run([.. Args(killed), "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resuming", resumed.Stdout);
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, TrainingRun.FinalModelFileName)), File.ReadAllBytes(Path.Combine(killed, TrainingRun.FinalModelFileName)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, TrainingRun.BestModelFileName)), File.ReadAllBytes(Path.Combine(killed, TrainingRun.BestModelFileName)));
    }
}
