namespace LightNets.Onnx;

/// <summary>A file that is not a readable ONNX model: truncated, garbage, inconsistent sizes, a bad external-data reference.</summary>
public sealed class OnnxFormatException(string message, Exception? inner = null) : LightNetsException(message, inner);

/// <summary>An ONNX operator LightNets does not run; the message names the op type, the node, the opset and the domain.</summary>
public sealed class UnsupportedOnnxOpException(string opType, string node, long opset, string domain, string? detail = null)
    : LightNetsException($"unsupported ONNX op '{opType}' (node '{node}', opset {opset}, domain '{(domain.Length == 0 ? "ai.onnx" : domain)}')"
                         + (detail is null ? "" : $": {detail}"))
{
    public string OpType { get; } = opType;
    public string NodeName { get; } = node;
    public long Opset { get; } = opset;
    public string Domain { get; } = domain;
}
