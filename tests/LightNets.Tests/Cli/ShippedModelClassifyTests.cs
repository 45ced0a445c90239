using LightNets.Tests.Docs;

namespace LightNets.Tests.Cli;

/// <summary>
/// <c>lightnets classify</c> on the shipped Fashion-MNIST model (a <c>lightnets train</c> export): with no --labels and
/// no --resize it takes the class names and the resize the export carries, exactly as if they were given.
/// </summary>
public sealed class ShippedModelClassifyTests
{
    private static readonly string Root = ReadmeTests.FindRoot();
    private static readonly string Model = Path.Combine(Root, "models", "fashion-mnist", "model.onnx");
    private static readonly string Images = Path.Combine(Root, "samples", "fashion-mnist");

    [Fact]
    public void An_export_names_its_classes_and_sets_its_resize()
    {
        var bare = CliRunner.Run("classify", Model, Images, "--top", "1", "--format", "csv", "--threads", "1", "-q");
        var given = CliRunner.Run("classify", Model, Images, "--top", "1", "--format", "csv", "--threads", "1", "-q",
            "--labels", Path.Combine(Root, "models", "fashion-mnist", "labels.txt"), "--resize", "28");
        Assert.Equal(0, bare.ExitCode);
        Assert.Equal(given.Stdout, bare.Stdout);
        Assert.Contains("0000-ankle-boot.png,1,9,Ankle boot,", bare.Stdout);
        Assert.Contains("0019-t-shirt.png,1,0,T-shirt/top,", bare.Stdout);
    }

    [Fact]
    public void The_options_win_over_what_the_export_carries()
    {
        var labels = Path.Combine(Path.GetTempPath(), $"lightnets-labels-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(labels, Enumerable.Range(0, 10).Select(i => $"c{i}"));
        try
        {
            var r = CliRunner.Run("classify", Model, Path.Combine(Images, "0000-ankle-boot.png"), "--top", "1", "--format", "csv",
                "--threads", "1", "--labels", labels, "--resize", "40");
            Assert.Equal(0, r.ExitCode);
            Assert.Matches(@"0000-ankle-boot\.png,1,\d,c\d,", r.Stdout);
            var carried = CliRunner.Run("classify", Model, Path.Combine(Images, "0000-ankle-boot.png"), "--top", "1", "--format", "csv", "--threads", "1");
            var probability = (string s) => s.Split('\n')[1].Split(',')[^1];
            Assert.NotEqual(probability(carried.Stdout), probability(r.Stdout)); // --resize 40 is not the export's 28
        }
        finally
        {
            File.Delete(labels);
        }
    }
}
