using LightNets.Cost;
using LightNets.Models;
using LightNets.Onnx;

namespace LightNets.Tests.Onnx;

/// <summary>
/// An imported export costs like the zoo model it came from. torch.onnx folds BatchNorm into the convolutions, so
/// the file's params are the zoo's <see cref="CostReport.ParamsFolded"/>; MACs are equal exactly.
/// </summary>
public class OnnxImporterCostTests
{
    [Theory]
    [InlineData("mobilenet_v2_025_op11_static", "mobilenetv2_100", 0.25, false, 245_594, 1_982_736)]
    [InlineData("mobilenet_v2_025_op17_dyn", "mobilenetv2_100", 0.25, false, 245_594, 1_982_736)]
    [InlineData("mobilenet_v3_large_020_op17_dyn", "mobilenetv3_large_100", 0.2, true, 189_474, 995_824)]
    [InlineData("mobilenet_v3_small_025_op13_dyn", "mobilenetv3_small_100", 0.25, true, 118_242, 521_024)]
    [InlineData("mobilenet_v3_small_025_op17_static_ext", "mobilenetv3_small_100", 0.25, true, 118_242, 521_024)]
    public void Imported_fixture_costs_like_the_zoo_configuration(string fixture, string zoo, double width, bool torchvisionRounding,
        long params_, long macs)
    {
        var imported = CostReport.Analyze(OnnxImporter.Load(OnnxFixtures.Model(fixture)));
        var reference = CostReport.Analyze(ModelZoo.Build(zoo, new ModelOptions
        {
            Width = width, Classes = 10, Resolution = 48, Rounding = torchvisionRounding ? WidthRounding.Torchvision : null,
        }));

        Assert.Equal(reference.ParamsFolded, imported.Params);
        Assert.Equal(reference.Macs, imported.Macs);
        Assert.Equal(reference.MacsWithoutClassifier, imported.MacsWithoutClassifier);
        Assert.Equal((params_, macs), (imported.Params, imported.Macs));
        Assert.Equal(0, imported.BatchNormParams);
    }
}
