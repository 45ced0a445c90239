using LightNets.Tensors;

namespace LightNets.Cli.Output;

public static class Compare
{
    /// <summary>max |a − b| / max |a|: the relative error measure used for engine agreement throughout LightNets.</summary>
    public static double MaxRelativeDifference(Tensor reference, Tensor actual)
    {
        if (reference.Shape != actual.Shape)
            throw new LightNetsException($"outputs differ in shape: {reference.Shape} vs {actual.Shape}");
        double maxRef = 0, maxDiff = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            maxRef = Math.Max(maxRef, Math.Abs(reference.Data[i]));
            maxDiff = Math.Max(maxDiff, Math.Abs(reference.Data[i] - actual.Data[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
