using LightNets.Weights;

namespace LightNets.Tests.Weights;

/// <summary>
/// Pickles that name a Python global a state dict never needs are refused before anything in them is built, with
/// the global named: in a zip checkpoint and a legacy one, through GLOBAL and through protocol 4's STACK_GLOBAL
/// (its strings read from the memo too), at the top level and deep inside an optimizer's state.
/// </summary>
public sealed class PickleGlobalsTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string, string> Payloads => new()
    {
        { "os", "system" }, { "posix", "system" }, { "nt", "system" }, { "builtins", "eval" }, { "builtins", "exec" },
        { "__builtin__", "exec" }, { "builtins", "getattr" }, { "subprocess", "Popen" }, { "subprocess", "check_output" },
        { "builtins", "__import__" }, { "torch", "load" }, { "torch.serialization", "load" }, { "numpy.core.multiarray", "_reconstruct" },
        // Harmless classes, refused all the same: the allow-list is the rule, not a list of known-bad names.
        { "argparse", "Namespace" }, { "datetime", "datetime" }, { "_codecs", "encode" }, { "builtins", "set" },
        { "torch", "Size" }, { "torch", "ComplexFloatStorage" }, { "torch._utils", "_rebuild_qtensor" },
        { "collections ", "OrderedDict" }, { "torch._utils", "_rebuild_tensor_v2 " },
    };

    private ForbiddenGlobalException Refused(byte[] file, string name, string global)
    {
        var path = _files.Write(file, name);
        var e = Assert.IsType<ForbiddenGlobalException>(Record.Exception(() => WeightFiles.Read(path)));
        Assert.Equal(global, e.Global);
        Assert.Contains($"'{global}'", e.Message);
        Assert.Contains(path, e.Message);
        return e;
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void A_call_of_a_forbidden_global_is_refused_by_name_and_never_runs(string module, string name)
    {
        var marker = Path.Combine(_files.Dir, "pwned");
        var payload = $"touch {marker}";
        var global = $"{module}.{name}";
        Refused(TorchArchive.Zip(PickleBytes.Call(module, name, payload)), "global.pth", global);
        Refused(TorchArchive.Zip(PickleBytes.Call(module, name, payload, stackGlobal: true)), "stack_global.pth", global);
        Refused(LegacyBytes.File(PickleBytes.Call(module, name, payload), new PickleBytes().EmptyList().Stop().ToArray()), "legacy.pth", global);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void A_forbidden_global_deep_in_an_optimizer_state_is_refused_though_the_state_dict_is_fine()
    {
        var p = new PickleBytes().EmptyDict().Mark()
            .Str("state_dict").Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark().Str("w")
            .Tensor("FloatStorage", "0", 2, 0, [2], [1]).SetItems()
            .Str("optimizer").EmptyDict().Mark().Str("state").EmptyDict().Mark().Int(0)
            .Global("os", "system").Str("true").Op(0x85).Reduce().SetItems().SetItems()
            .SetItems().Stop().ToArray();
        Refused(TorchArchive.Zip(p, ("0", TorchArchive.Floats(1, 2))), "deep.pth", "os.system");
    }

    [Fact]
    public void STACK_GLOBAL_strings_taken_from_the_memo_are_checked_as_they_resolve()
    {
        // The pickler memoizes "torch._utils" and reuses it with BINGET; a hostile pickle can do the same with "os".
        var allowed = new PickleBytes().Str("collections").Put(0).Str("OrderedDict").Op(0x93).EmptyTuple().Reduce()
            .Get(0).Str("OrderedDict").Op(0x93).Op((byte)'0').Stop().ToArray();
        var path = _files.Write(TorchArchive.Zip(allowed), "memo_ok.pth");
        Assert.Contains("holds no tensors", Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Read(path))).Message);

        var hostile = new PickleBytes().Str("os").Put(0).Op((byte)'0')
            .Get(0).Str("system").Op(0x93).Str("true").Op(0x85).Reduce().Stop().ToArray();
        Refused(TorchArchive.Zip(hostile), "memo.pth", "os.system");
    }

    [Fact]
    public void A_global_built_from_computed_values_is_refused()
    {
        // STACK_GLOBAL on bytes (not strings) and on a call's result: nothing the scan could name.
        var fromBytes = new PickleBytes().Op(0x43, 2, (byte)'o', (byte)'s').Str("system").Op(0x93).Stop().ToArray();
        var path = _files.Write(TorchArchive.Zip(fromBytes), "bytes.pth");
        var e = Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Read(path)));
        Assert.Contains("STACK_GLOBAL on values that are not strings", e.Message);
    }

    [Fact]
    public void A_pickled_whole_model_is_refused_with_advice()
    {
        var e = Refused(TorchArchive.Zip(new PickleBytes().Global("torchvision.models.mobilenetv2", "MobileNetV2").EmptyTuple().Reduce().Stop().ToArray()),
            "model.pth", "torchvision.models.mobilenetv2.MobileNetV2");
        Assert.Contains("model.state_dict()", e.Message);
    }

    [Theory]
    [InlineData((byte)'i', "a class instantiation")]
    [InlineData((byte)'o', "a class instantiation")]
    [InlineData(0x82, "an extension-registry global")]
    [InlineData((byte)'I', "a text opcode of protocol 0")]
    [InlineData((byte)'P', "a text opcode of protocol 0")]
    [InlineData(0x97, "an out-of-band buffer")]
    [InlineData(0xff, "not a pickle opcode")]
    public void Opcodes_torch_save_never_writes_are_refused(byte op, string words)
    {
        var path = _files.Write(TorchArchive.Zip(new PickleBytes().Mark().Op(op, (byte)'o', (byte)'s', 10, (byte)'s', 10).Stop().ToArray()), "op.pth");
        var e = Assert.IsType<WeightFileException>(Record.Exception(() => WeightFiles.Read(path)));
        Assert.Contains(words, e.Message);
        Assert.Contains("which torch.save does not write", e.Message);
    }
}
