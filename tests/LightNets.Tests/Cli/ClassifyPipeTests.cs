using System.Text.Json;
using LightNets.Tests.Imaging;
using LightNets.Tests.Robustness;

namespace LightNets.Tests.Cli;

/// <summary><c>lightnets classify MODEL &lt;(cat img.jpg)</c>: an image through a pipe is classified like the file itself.</summary>
public sealed class ClassifyPipeTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string[] Classify(params string[] images) =>
        ["classify", ImageClassifierTests.Model, .. images, "--labels", ImageClassifierTests.LabelsFile, "--resize", "72", "--threads", "1", "--format", "json"];

    private static JsonElement Top(string stdout, int image)
    {
        using var json = JsonDocument.Parse(stdout);
        return json.RootElement.GetProperty("images")[image].GetProperty("top").Clone();
    }

    [Fact]
    public void A_fifo_among_files_is_classified_like_its_file()
    {
        var file = ImagingFixtures.Get("portrait_jpeg").Path;
        var fifo = SpecialFiles.Fifo(_dir.File("portrait.fifo"));
        var feeder = SpecialFiles.Feed(fifo, File.ReadAllBytes(file));
        try
        {
            CliRunner.Result? r = null;
            Assert.Null(SpecialFiles.Within(() => r = CliRunner.Run(Classify(fifo, file)), fifo));
            Assert.True(r!.ExitCode == 0, r.Stderr);
            Assert.Equal(Top(r.Stdout, 1).ToString(), Top(r.Stdout, 0).ToString());
        }
        finally { SpecialFiles.Release(fifo, feeder); }
    }

    [Fact]
    public void Dev_zero_is_one_error_line_and_the_other_images_are_classified()
    {
        var file = ImagingFixtures.Get("portrait_jpeg").Path;
        CliRunner.Result? r = null;
        Assert.Null(SpecialFiles.Within(() => r = CliRunner.Run(Classify("/dev/zero", file))));
        Assert.Equal(1, r!.ExitCode);
        Assert.StartsWith("lightnets: error: /dev/zero: it reports a size of 0 bytes yet yields data", r.Stderr);
        Assert.Equal(5, Top(r.Stdout, 1).GetArrayLength());
    }
}
