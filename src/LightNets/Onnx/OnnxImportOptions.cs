namespace LightNets.Onnx;

/// <summary>Settings of <see cref="OnnxImporter"/>.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>
    /// The batch size of the imported graph (the first dimension of every input). A symbolic or missing batch dimension (an export with dynamic axes) takes
    /// this value, 1 when null; shape subgraphs are folded for it. A model exported with a fixed batch is imported
    /// at that batch and, when this differs, returned for this batch (the imported graph has no batch-dependent op).
    /// </summary>
    public int? Batch { get; init; }

    /// <summary>
    /// Files larger than this are rejected before being read (default and maximum: the 2 GiB that a protobuf message
    /// and a .NET array can hold). Weights in external data files do not count against it.
    /// </summary>
    public long MaxFileBytes { get; init; } = int.MaxValue;
}
