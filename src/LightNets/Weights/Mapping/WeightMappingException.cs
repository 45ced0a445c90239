namespace LightNets.Weights.Mapping;

/// <summary>
/// A checkpoint that does not fit the model asked for: a tensor the model needs and the file lacks, one the file has and
/// the model has no place for, one of another shape, or a setting the file's source rules out (a timm MobileNetV3 in
/// torchvision's rounding). The message names the first such tensor and the file's names closest to it.
/// </summary>
public sealed class WeightMappingException(string message) : LightNetsException(message);
