namespace LightNets.Weights;

/// <summary>The container formats <see cref="WeightFiles.Detect"/> tells apart.</summary>
public enum WeightFormat
{
    /// <summary><c>torch.save</c> since PyTorch 1.6: a zip archive holding <c>data.pkl</c> and one entry per storage.</summary>
    PyTorchZip,

    /// <summary><c>torch.save(..., _use_new_zipfile_serialization=False)</c>: magic number, protocol, sys info, pickle, storages.</summary>
    PyTorchLegacy,

    /// <summary>safetensors (timm, Hugging Face): a JSON header, then raw little-endian tensor data.</summary>
    SafeTensors,

    /// <summary>An ONNX model; its weights are read by <see cref="Onnx.OnnxWeights"/>, not by <see cref="WeightFiles.Read"/>.</summary>
    Onnx,
}
