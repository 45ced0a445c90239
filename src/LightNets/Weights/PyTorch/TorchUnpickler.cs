using Razorvine.Pickle;

namespace LightNets.Weights.PyTorch;

/// <summary>
/// Unpickles a checkpoint's pickle with Razorvine.Pickle, after <see cref="PickleScanner"/> has accepted it: only the
/// globals of <see cref="TorchGlobals"/> can appear, each building one of the plain objects of
/// <see cref="TorchConstructors"/>. Persistent ids (<c>('storage', storage class, key, location, numel)</c>, with a
/// sixth element, the view, in the legacy format) become <see cref="StorageRef"/>s, one per key.
/// </summary>
internal sealed class TorchUnpickler : Unpickler
{
    private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);

    private TorchUnpickler() => TorchConstructors.EnsureRegistered();

    /// <summary>The storages the pickle named, by key.</summary>
    public IReadOnlyDictionary<string, StorageRef> Storages => _storages;

    /// <summary>
    /// Checks and unpickles the pickle that starts at <paramref name="start"/> in <paramref name="data"/> (of which
    /// <paramref name="length"/> bytes are there); returns the object and the pickle's length in bytes.
    /// </summary>
    public static (object? Value, int Length, TorchUnpickler Unpickler) Load(byte[] data, int start, int length, string path, Func<string, Exception> fail)
    {
        var used = PickleScanner.Scan(data, start, length, fail, global => new ForbiddenGlobalException(
            $"'{path}' is refused: its pickle names the Python global '{global}', which a state dict never needs. LightNets " +
            "reads tensors and plain values only and never runs code from a file (a checkpoint of a whole model pickles its " +
            "classes: save model.state_dict() instead)", global));
        var unpickler = new TorchUnpickler();
        // The library reads an array from its start to the first STOP, which is what the scan checked.
        var pickle = start == 0 && used == data.Length ? data : data.AsSpan(start, used).ToArray();
        try
        {
            return (unpickler.loads(pickle), used, unpickler);
        }
        catch (InvalidPickleException e)
        {
            throw fail(e.Message);
        }
        catch (Exception e) when (e is not (WeightFileException or OutOfMemoryException or InsufficientExecutionStackException))
        {
            // On a pickle that is well formed opcode by opcode but not as a whole (APPEND to a dict, a dict with a
            // None key, a BUILD on a tuple), the library fails with whatever .NET raises there: InvalidCast,
            // IndexOutOfRange, NullReference, its own PickleException... all of which mean "malformed" here.
            throw fail($"its pickle does not build a state dict ({e.GetType().Name}: {Clip(e.Message)})");
        }
        finally
        {
            unpickler.close();
        }
    }

    protected override object persistentLoad(object pid)
    {
        if (pid is not object[] { Length: 5 or 6 } id || id[0] is not "storage")
            throw new InvalidPickleException($"it refers to persistent data by {TorchConstructors.Describe(pid)} that is not a ('storage', class, key, location, numel) tuple");
        if (id[1] is not TorchConstructors.StorageClass storageClass)
            throw new InvalidPickleException($"a storage's class is {TorchConstructors.Describe(id[1])}, not a torch storage class");
        if (id[2] is not string { Length: > 0 } key) throw new InvalidPickleException($"a storage's key is {TorchConstructors.Describe(id[2])}, not a name");
        if (id[3] is not string) throw new InvalidPickleException($"storage '{Clip(key)}' has a location that is {TorchConstructors.Describe(id[3])}, not a device name");
        var elements = TorchConstructors.Integer(id[4], $"storage '{Clip(key)}''s element count");
        if (id.Length == 6 && id[5] is not null)
            throw new InvalidPickleException($"storage '{Clip(key)}' is a view of another storage, which only PyTorch before 1.0 wrote; save the checkpoint again with a recent PyTorch");
        if (_storages.TryGetValue(key, out var known))
        {
            if (known.Type != storageClass.Type || known.Elements != elements)
                throw new InvalidPickleException(
                    $"storage '{Clip(key)}' is named both as {known.Elements} {known.Type.Name} and as {elements} {storageClass.Type.Name} elements");
            return known;
        }
        var storage = new StorageRef(key, storageClass.Type, elements);
        _storages.Add(key, storage);
        return storage;
    }

    /// <summary>Text from the file, cut short for a message.</summary>
    public static string Clip(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
