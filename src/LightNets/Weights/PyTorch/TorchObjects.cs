using System.Collections;

namespace LightNets.Weights.PyTorch;

/// <summary>
/// What a checkpoint's pickle says is wrong with it, thrown from inside the unpickler (where the file's name is not
/// known) and turned into a <see cref="WeightFileException"/> by <see cref="TorchUnpickler"/>.
/// </summary>
internal sealed class InvalidPickleException(string message) : Exception(message);

/// <summary>
/// A Python <c>OrderedDict</c>: the hashtable that the unpickler's SETITEM(S) opcodes fill, plus the method its BUILD
/// opcode calls. Its order is not kept: the library inserts each SETITEMS batch in reverse, so the order of a state
/// dict is taken from the order in which its tensors were unpickled instead (<see cref="TensorRef.Sequence"/>).
/// </summary>
internal sealed class PickledDict : Hashtable
{
    /// <summary>
    /// BUILD on an OrderedDict sets its instance attributes; a state dict's is <c>_metadata</c> (module versions),
    /// which nothing here needs. The unpickler finds this method by its Python name through reflection.
    /// </summary>
    // ReSharper disable once InconsistentNaming
#pragma warning disable IDE1006
    public void __setstate__(Hashtable state) { }
#pragma warning restore IDE1006
}

/// <summary>
/// A storage a persistent id names: its key in the file (a zip entry's name, or a legacy file's storage key), its
/// dtype and its element count. Its bytes are read only if a tensor that is kept needs them.
/// </summary>
internal sealed class StorageRef(string key, ElementType type, long elements)
{
    public string Key { get; } = key;
    public ElementType Type { get; } = type;
    public long Elements { get; } = elements;
}

/// <summary>
/// A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a view of <see cref="Storage"/> starting at
/// element <see cref="Offset"/>, with a size and a stride (in elements) per dimension. Nothing is checked yet against
/// the storage; <see cref="Sequence"/> is the order in which the pickle built it.
/// </summary>
internal sealed class TensorRef(StorageRef storage, long offset, long[] size, long[] stride, long sequence)
{
    public StorageRef Storage { get; } = storage;
    public long Offset { get; } = offset;
    public long[] Size { get; } = size;
    public long[] Stride { get; } = stride;
    public long Sequence { get; } = sequence;
}
