using LightNets.Imaging;

namespace LightNets.Tests.Imaging;

public sealed class LabelsTests
{
    [Fact]
    public void ImageNet_has_torchvisions_1000_names_in_order()
    {
        var labels = Labels.ImageNet;
        Assert.Equal(1000, labels.Count);
        Assert.Equal("tench", labels[0]);
        Assert.Equal("goldfish", labels[1]);
        Assert.Equal("tabby", labels[281]);
        Assert.Equal("toilet tissue", labels[999]);
        Assert.Equal(1000, labels.Names.Distinct().Count());
    }

    [Fact]
    public void A_file_has_one_name_per_line()
    {
        var labels = Labels.Parse("cat\r\n  dog  \nsea otter\n\n", "animals.txt");
        Assert.Equal(["cat", "dog", "sea otter"], labels.Names);
    }

    [Theory]
    [InlineData("", "no labels")]
    [InlineData("\n\n", "no labels")]
    [InlineData("cat\n\ndog\n", "line 2 is empty")]
    public void Bad_files_are_rejected(string text, string message)
    {
        var e = Assert.Throws<LabelsFormatException>(() => Labels.Parse(text, "bad.txt"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("bad.txt", e.Message);
    }

    [Fact]
    public void A_missing_file_is_file_not_found() =>
        Assert.Throws<FileNotFoundException>(() => Labels.Load("/no/such/labels.txt"));

    [Fact]
    public void The_fixture_classifier_has_ten_labels() =>
        Assert.Equal(10, Labels.Load(Path.Combine(ImagingFixtures.Directory, "classifier_shufflenet_v2.labels.txt")).Count);
}
