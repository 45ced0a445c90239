using System.Buffers.Binary;
using System.Text;

namespace LightNets.Weights.PyTorch;

/// <summary>
/// Walks a pickle's opcodes before anything unpickles it, and refuses it unless every Python global it names is in
/// <see cref="TorchGlobals"/> and it keeps within fixed bounds.
/// <para>
/// Why a separate pass: Razorvine.Pickle resolves globals by itself. Its table of constructors is process-wide, and a
/// global that is not in it still becomes an object (a dictionary of attributes, or an exception object built by
/// reflection), so it offers no point at which an unknown global can be refused. This pass reads the stream with the
/// same length rules as the library, and follows the stack symbolically, so that it knows the module and name strings
/// a protocol-4 <c>STACK_GLOBAL</c> takes from the stack (or from the memo, where the pickler puts repeated strings).
/// A global built any other way (from a computed string) is refused too.
/// </para>
/// <para>
/// Only the opcodes of binary protocols 2 to 5, which is what <c>torch.save</c> writes, are accepted; the text
/// opcodes of protocols 0 and 1, <c>INST</c>/<c>OBJ</c>, the extension registry (<c>EXT*</c>) and out-of-band buffers
/// are refused. Memory: the pickle's size is capped, strings and bytes are checked against the bytes that remain,
/// and the number of objects and of containers (a dict costs some hundred bytes, an opcode one) is capped, so that
/// the unpickled objects cannot take more than a few hundred MB whatever the file says.
/// </para>
/// </summary>
internal static class PickleScanner
{
    /// <summary>The most bytes a checkpoint's pickle may have; a real state dict's is well under 10 MB.</summary>
    public const int MaxPickleBytes = 64 << 20;

    /// <summary>The most objects (each value an opcode pushes) a pickle may create.</summary>
    public const int MaxObjects = 8_000_000;

    /// <summary>The most dicts, lists, sets and tuples built from a mark (each over a hundred bytes of memory).</summary>
    public const int MaxContainers = 1_000_000;

    /// <summary>The longest string kept as a possible STACK_GLOBAL operand; the allowed names are under 40 bytes.</summary>
    private const int MaxNameBytes = 256;

    /// <summary>The longest integer (LONG1/LONG4) in bytes: torch writes sizes and counts, far below this.</summary>
    private const int MaxLongBytes = 256;

    private enum Kind : byte { Mark, Text, Global, Value }

    private readonly record struct Symbol(Kind Kind, string? Text = null);

    /// <summary>
    /// Checks the pickle that starts at <paramref name="start"/> in <paramref name="data"/> (at most
    /// <paramref name="length"/> bytes of it) and returns its length, up to and including its STOP opcode; bytes after it
    /// are not read. <paramref name="forbidden"/>
    /// makes the error for a global outside the allowed set, given <c>module.name</c>; <paramref name="fail"/> any other.
    /// </summary>
    public static int Scan(byte[] data, int start, int length, Func<string, Exception> fail, Func<string, Exception> forbidden) =>
        new Scanner(data, start, start + Math.Min(length, MaxPickleBytes), fail, forbidden).Run() - start;

    /// <summary>The scan of <c>data[start..limit)</c>; positions are indices into <c>data</c>, messages count from <c>start</c>.</summary>
    private sealed class Scanner(byte[] data, int start, int limit, Func<string, Exception> fail, Func<string, Exception> forbidden)
    {
        private static readonly Symbol Value = new(Kind.Value);
        private readonly List<Symbol> _stack = [];
        private readonly Dictionary<int, Symbol> _memo = [];
        private long _objects, _containers;
        private int _pos, _op;

        public int Run()
        {
            _pos = start;
            while (true)
            {
                _op = _pos;
                var op = Take(1)[0];
                switch (op)
                {
                    case 0x2e: // STOP
                        if (_stack.Count == 0 || _stack[^1].Kind == Kind.Mark) throw Malformed("STOP with no value on the stack");
                        return _pos;
                    case 0x80: // PROTO
                        var protocol = Take(1)[0];
                        if (protocol is < 2 or > 5) throw Malformed($"pickle protocol {protocol}; torch.save writes protocols 2 to 5");
                        break;
                    case 0x95: Take(8); break; // FRAME: a length hint the unpickler ignores too
                    case 0x28: _stack.Add(new Symbol(Kind.Mark)); break; // MARK
                    case 0x30: Pop(); break; // POP
                    case 0x31: PopToMark(); break; // POP_MARK
                    case 0x32: // DUP
                        var top = Pop();
                        _stack.Add(top);
                        Push(top);
                        break;
                    case 0x4e or 0x88 or 0x89: Push(Value); break; // NONE, NEWTRUE, NEWFALSE
                    case 0x4b: Take(1); Push(Value); break; // BININT1
                    case 0x4d: Take(2); Push(Value); break; // BININT2
                    case 0x4a: Take(4); Push(Value); break; // BININT
                    case 0x47: Take(8); Push(Value); break; // BINFLOAT
                    case 0x8a: Long(Take(1)[0]); break; // LONG1
                    case 0x8b: Long(Int32()); break; // LONG4
                    // Lengths are signed, as the unpickler reads them; BINSTRING's bytes are Latin-1 to it, the others UTF-8.
                    case 0x58: Text(Take(Int32()), Encoding.UTF8); break; // BINUNICODE
                    case 0x8c: Text(Take(Take(1)[0]), Encoding.UTF8); break; // SHORT_BINUNICODE
                    case 0x8d: Text(Take(Int64()), Encoding.UTF8); break; // BINUNICODE8
                    case 0x54: Text(Take(Int32()), Encoding.Latin1); break; // BINSTRING
                    case 0x55: Text(Take(Take(1)[0]), Encoding.Latin1); break; // SHORT_BINSTRING
                    case 0x42: Take(Int32()); Push(Value); break; // BINBYTES
                    case 0x43: Take(Take(1)[0]); Push(Value); break; // SHORT_BINBYTES
                    case 0x8e or 0x96: Take(Int64()); Push(Value); break; // BINBYTES8, BYTEARRAY8
                    case 0x29 or 0x5d or 0x7d or 0x8f: Container(); break; // EMPTY_TUPLE, EMPTY_LIST, EMPTY_DICT, EMPTY_SET
                    case 0x74 or 0x6c or 0x64 or 0x91: PopToMark(); Container(); break; // TUPLE, LIST, DICT, FROZENSET
                    case 0x85: Pop(); Container(); break; // TUPLE1
                    case 0x86: Pop(); Pop(); Container(); break; // TUPLE2
                    case 0x87: Pop(); Pop(); Pop(); Container(); break; // TUPLE3
                    case 0x61 or 0x62: Pop(); Target(); break; // APPEND (the list stays), BUILD (the object stays)
                    case 0x73: Pop(); Pop(); Target(); break; // SETITEM: the dict stays
                    case 0x65 or 0x75 or 0x90: PopToMark(); Target(); break; // APPENDS, SETITEMS, ADDITEMS: the container stays
                    case 0x63: // GLOBAL: module and name as two lines
                        var module = Line();
                        Global(module, Line());
                        break;
                    case 0x93: // STACK_GLOBAL: module and name strings from the stack
                        var name = Pop();
                        var moduleName = Pop();
                        if (name.Kind != Kind.Text || moduleName.Kind != Kind.Text)
                            throw Malformed("STACK_GLOBAL on values that are not strings written in the pickle");
                        Global(moduleName.Text!, name.Text!);
                        break;
                    case 0x52 or 0x81: Call(1); break; // REDUCE, NEWOBJ: callable, argument tuple
                    case 0x92: Call(2); break; // NEWOBJ_EX: class, arguments, keyword arguments
                    case 0x51: Pop(); Push(Value); break; // BINPERSID
                    case 0x71: Put(Take(1)[0]); break; // BINPUT
                    case 0x72: Put(Int32()); break; // LONG_BINPUT
                    case 0x94: Put(_memo.Count); break; // MEMOIZE: the next index, as the unpickler counts it
                    case 0x68: Get(Take(1)[0]); break; // BINGET
                    case 0x6a: Get(Int32()); break; // LONG_BINGET
                    default:
                        throw Malformed($"opcode 0x{op:x2} ({Describe(op)}), which torch.save does not write");
                }
            }
        }

        private Exception Malformed(string what) => fail($"its pickle is malformed at byte {_op - start}: {what}");

        private ReadOnlySpan<byte> Take(long count)
        {
            if (count < 0 || count > limit - _pos)
            {
                if (limit - start >= MaxPickleBytes)
                    throw fail($"its pickle is larger than the {MaxPickleBytes >> 20} MiB a state dict's pickle may have");
                throw Malformed(count < 0 ? $"a negative length ({count})" : $"it needs {count} more bytes, {limit - _pos} remain (truncated?)");
            }
            var result = data.AsSpan(_pos, (int)count);
            _pos += (int)count;
            return result;
        }

        private int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        private long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        /// <summary>The bytes up to the next newline, as UTF-8 (the unpickler decodes GLOBAL's lines the same way).</summary>
        private string Line()
        {
            var end = data.AsSpan(_pos, limit - _pos).IndexOf((byte)'\n');
            if (end < 0) throw Malformed("a GLOBAL whose module or name has no end of line (truncated?)");
            var text = Encoding.UTF8.GetString(Take(end));
            Take(1);
            return text;
        }

        private Symbol Pop()
        {
            if (_stack.Count == 0 || _stack[^1].Kind == Kind.Mark) throw Malformed("an opcode takes a value from an empty stack");
            var top = _stack[^1];
            _stack.RemoveAt(_stack.Count - 1);
            return top;
        }

        /// <summary>The object an APPEND, SETITEM or BUILD changes must be on the stack below its arguments.</summary>
        private void Target()
        {
            if (_stack.Count == 0 || _stack[^1].Kind == Kind.Mark) throw Malformed("items or state added to nothing");
        }

        private void PopToMark()
        {
            var mark = _stack.FindLastIndex(s => s.Kind == Kind.Mark);
            if (mark < 0) throw Malformed("an opcode needs a mark that is not on the stack");
            _stack.RemoveRange(mark, _stack.Count - mark);
        }

        private void Push(Symbol symbol)
        {
            if (++_objects > MaxObjects) throw fail($"its pickle creates more than {MaxObjects} objects; a state dict needs far fewer");
            _stack.Add(symbol);
        }

        private void Container()
        {
            if (++_containers > MaxContainers)
                throw fail($"its pickle creates more than {MaxContainers} dicts, lists, sets and tuples; a state dict needs far fewer");
            Push(Value);
        }

        private void Long(int bytes)
        {
            if (bytes is < 0 or > MaxLongBytes) throw Malformed($"an integer of {bytes} bytes");
            Take(bytes);
            Push(Value);
        }

        /// <summary>
        /// A string: kept as text only when short enough to name a module or class (every allowed one is), so that the
        /// scan does not hold a second copy of a pickle's long strings.
        /// </summary>
        private void Text(ReadOnlySpan<byte> bytes, Encoding encoding) =>
            Push(bytes.Length <= MaxNameBytes ? new Symbol(Kind.Text, encoding.GetString(bytes)) : Value);

        private void Global(string module, string name)
        {
            var global = module + "." + name;
            if (!TorchGlobals.IsAllowed(global)) throw forbidden(global);
            Push(new Symbol(Kind.Global, global));
        }

        /// <summary>REDUCE and the NEWOBJs: the arguments, then a callable that must be one of the allowed globals.</summary>
        private void Call(int arguments)
        {
            for (var i = 0; i < arguments; i++) Pop();
            if (Pop().Kind != Kind.Global) throw Malformed("a call of something that is not a global");
            Push(Value);
        }

        private void Put(int index)
        {
            if (_stack.Count == 0 || _stack[^1].Kind == Kind.Mark) throw Malformed("a memo store with nothing on the stack");
            _memo[index] = _stack[^1];
        }

        private void Get(int index)
        {
            if (!_memo.TryGetValue(index, out var value)) throw Malformed($"memo entry {index} is read before it is stored");
            Push(value);
        }
    }

    private static string Describe(byte op) => op switch
    {
        (byte)'I' or (byte)'L' or (byte)'F' or (byte)'S' or (byte)'V' or (byte)'g' or (byte)'p' or (byte)'P' => "a text opcode of protocol 0",
        (byte)'i' or (byte)'o' => "a class instantiation",
        0x82 or 0x83 or 0x84 => "an extension-registry global",
        0x97 or 0x98 => "an out-of-band buffer",
        _ => "not a pickle opcode",
    };
}
