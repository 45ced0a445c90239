namespace LightNets.Weights.PyTorch;

/// <summary>
/// What both PyTorch formats do once their pickle is unpickled: find the state dict, check every tensor's view
/// against its storage, read the storages that kept tensors need (each once, however many tensors share it) and copy
/// the tensors out.
/// </summary>
internal static class PyTorchStateDict
{
    /// <summary>
    /// The most float32 bytes the tensors of a file may take, beyond 8 bytes per byte of the file: room for one-byte
    /// dtypes (4×) and for tensors sharing a storage, while stride-0 views (which repeat one element) cannot turn a
    /// small file into gigabytes.
    /// </summary>
    private const long ExtraOutputBytes = 64L << 20;

    /// <summary>
    /// The state dict of the unpickled <paramref name="root"/>; <paramref name="readStorage"/> gives the bytes of a
    /// storage (its element count × its dtype's size), checked against the file.
    /// </summary>
    public static StateDict Build(WeightFormat format, string path, object? root, long fileLength, bool bigEndian,
        Func<StorageRef, byte[]> readStorage, Func<string, Exception> fail)
    {
        var (found, prefix, metadata) = StateDictFinder.Find(root, fail);
        var counts = new long[found.Count];
        var budget = 8 * fileLength + ExtraOutputBytes;
        for (var i = 0; i < found.Count; i++)
        {
            counts[i] = TensorViews.Check(found[i].Name, found[i].Tensor, fail);
            budget -= counts[i] * sizeof(float);
            if (budget < 0)
                throw fail($"its tensors would take more than {8 * fileLength + ExtraOutputBytes} bytes as float32, more than a file of {fileLength} bytes can hold (views that repeat elements?)");
        }

        var storages = new Dictionary<StorageRef, byte[]>(ReferenceEqualityComparer.Instance);
        var tensors = new List<NamedTensor>(found.Count);
        for (var i = 0; i < found.Count; i++)
        {
            var (name, tensor) = found[i];
            if (!storages.TryGetValue(tensor.Storage, out var bytes)) storages.Add(tensor.Storage, bytes = readStorage(tensor.Storage));
            var type = tensor.Storage.Type;
            var shape = TensorShapes.ToInt(tensor.Size, name, fail);
            tensors.Add(new NamedTensor(name, type.Name, type.IsInteger, shape, TensorViews.Gather(tensor, counts[i], bytes, bigEndian), counts[i] * type.Size));
        }
        return new StateDict(format, Path.GetFileName(path), tensors, metadata, prefix);
    }

    /// <summary>
    /// The byte size of <paramref name="storage"/> if it equals <paramref name="available"/>, checked without overflow;
    /// a storage must also fit one .NET array.
    /// </summary>
    public static int StorageBytes(StorageRef storage, long available, string where, Func<string, Exception> fail)
    {
        var size = storage.Type.Size;
        var what = $"storage '{TorchUnpickler.Clip(storage.Key)}' ({storage.Elements} {storage.Type.Name} elements)";
        if (storage.Elements > available / size || storage.Elements * size != available)
            throw fail($"{what} needs {(storage.Elements > long.MaxValue / size ? "more than 2^63" : storage.Elements * size)} bytes, but {where} has {available}");
        if (available > Array.MaxLength)
            throw fail($"{what} is {available} bytes, more than one .NET array can hold");
        return (int)available;
    }
}
