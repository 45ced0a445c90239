using Microsoft.Win32.SafeHandles;

namespace LightNets.Weights.SafeTensors;

/// <summary>
/// Reads every tensor of a safetensors file (timm's and Hugging Face's format) into a <see cref="StateDict"/>. The
/// header is validated whole first (<see cref="SafeTensorsHeader"/>): each tensor's byte range lies inside the file,
/// so no allocation is larger than the file itself (twice for float16/bfloat16, which widen to float32).
/// </summary>
internal static class SafeTensorsReader
{
    public static StateDict Read(string path, SafeFileHandle handle, long length, Func<string, Exception> fail)
    {
        var header = SafeTensorsHeader.Read(handle, length, fail);
        var tensors = new List<NamedTensor>(header.Entries.Count);
        foreach (var entry in header.Entries)
        {
            var type = ElementType.FromSafeTensors(entry.Dtype)
                ?? throw fail($"tensor '{entry.Name}' is {entry.Dtype}, which LightNets does not convert to float32 (F32, F16, BF16, F64 and the integer types it does)");
            var shape = TensorShapes.ToInt(entry.Shape, entry.Name, fail);
            var count = (entry.End - entry.Begin) / type.Size;
            var data = TensorShapes.Allocate(count, entry.Name, fail);
            FileRanges.ReadElements(handle, header.DataStart + entry.Begin, type, bigEndian: false, data, fail);
            tensors.Add(new NamedTensor(entry.Name, type.Name, type.IsInteger, shape, data, entry.End - entry.Begin));
        }
        return new StateDict(WeightFormat.SafeTensors, Path.GetFileName(path), tensors, header.Metadata, prefix: null);
    }
}
