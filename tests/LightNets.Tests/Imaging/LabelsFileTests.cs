using System.Text;
using LightNets.Imaging;
using LightNets.Tests.Robustness;

namespace LightNets.Tests.Imaging;

/// <summary>
/// Labels.Load on files that are not what they seem: a device, a pipe, a directory, a huge file (also behind a
/// link, whose own size is only its target's name). Each is refused quickly, before anything is read.
/// </summary>
public sealed class LabelsFileTests : IDisposable
{
    private readonly ImageFiles.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static LabelsFormatException Refused(string path, params string[] fifos) =>
        SpecialFiles.Throws<LabelsFormatException>(() => Labels.Load(path), fifos);

    [Fact]
    public void The_size_limit_comes_from_the_largest_label_list()
    {
        Assert.Equal((long)Labels.MaxClasses * Labels.MaxLabelBytes, Labels.MaxFileBytes);
        Assert.True(Labels.MaxClasses >= 21_843, "room for ImageNet-21k, the largest common label list");
    }

    [Fact]
    public void Dev_zero_is_refused_unread()
    {
        var e = Refused("/dev/zero");
        Assert.Equal("/dev/zero: the file is empty or not a regular file (a pipe or a device); expected one class name per line", e.Message);
    }

    [Fact]
    public void A_link_to_dev_zero_is_refused_unread()
    {
        var link = _dir.File("labels.txt");
        File.CreateSymbolicLink(link, "/dev/zero");
        Assert.Contains("not a regular file", Refused(link).Message);
    }

    [Fact]
    public void A_fifo_is_refused_without_being_opened()
    {
        var fifo = SpecialFiles.Fifo(_dir.File("labels.fifo"));
        Assert.Contains("not a regular file", Refused(fifo, fifo).Message);
    }

    [Fact]
    public void A_sparse_file_over_the_limit_is_refused_unread()
    {
        var path = _dir.File("huge.txt");
        using (var f = File.Create(path)) f.SetLength(Labels.MaxFileBytes + 1);
        var e = Refused(path);
        Assert.Contains($"{Labels.MaxFileBytes + 1:N0} bytes is more than a label list needs", e.Message);
        Assert.Contains($"limit {Labels.MaxFileBytes:N0} bytes: {Labels.MaxClasses:N0} classes × {Labels.MaxLabelBytes} bytes", e.Message);
    }

    [Fact]
    public void A_link_to_a_huge_file_is_judged_by_the_file_not_the_link()
    {
        var huge = _dir.File("huge.txt");
        using (var f = File.Create(huge)) f.SetLength(64L << 20);
        var link = _dir.File("labels.txt");
        File.CreateSymbolicLink(link, huge);
        Assert.Contains("is more than a label list needs", Refused(link).Message);
    }

    [Fact]
    public void A_directory_is_refused()
    {
        var e = Refused(_dir.Path);
        Assert.Equal($"{_dir.Path}: a directory, not a labels file", e.Message);
    }

    [Fact]
    public void A_link_is_followed_to_a_regular_file()
    {
        var real = _dir.Write("real.txt", "cat\ndog\n"u8.ToArray());
        var link = _dir.File("labels.txt");
        File.CreateSymbolicLink(link, real);
        Assert.Equal(["cat", "dog"], Labels.Load(link).Names);
    }

    [Fact]
    public void More_labels_than_any_model_has_are_refused()
    {
        var text = new StringBuilder();
        for (var i = 0; i <= Labels.MaxClasses; i++) text.Append('c').Append(i).Append('\n');
        var e = Assert.Throws<LabelsFormatException>(() => Labels.Parse(text.ToString(), "many.txt"));
        Assert.Equal($"many.txt: {Labels.MaxClasses + 1:N0} labels, more than the {Labels.MaxClasses:N0} a labels file may hold", e.Message);
    }

    [Fact]
    public void A_byte_order_mark_is_not_part_of_the_first_label()
    {
        var path = _dir.Write("bom.txt", [0xEF, 0xBB, 0xBF, .. "cat\ndog\n"u8]);
        Assert.Equal("cat", Labels.Load(path)[0]);
    }

    [Fact]
    public void An_empty_file_is_refused() =>
        Assert.Contains("empty", Refused(_dir.Write("empty.txt", [])).Message);
}
