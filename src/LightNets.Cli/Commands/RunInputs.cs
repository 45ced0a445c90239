using System.Globalization;
using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Cli.Commands;

/// <summary>
/// run's <c>--input</c> values, read: <c>FILE</c> for a model with one input, <c>NAME=FILE</c> (split at the first
/// '=') for any model. The tensors are read before the graph is known, since the batch comes from them; matching them
/// to the graph's inputs (<see cref="Match"/>) names what is missing, unknown or of the wrong shape.
/// </summary>
internal sealed class RunInputs
{
    private readonly List<(string? Name, string Path, Tensor Tensor)> _given;

    private RunInputs(List<(string? Name, string Path, Tensor Tensor)> given) => _given = given;

    /// <summary>Parses every value, refusing a malformed or repeated one before any file is read, then reads the files.</summary>
    /// <param name="values">The --input values in command-line order.</param>
    /// <param name="shape">--shape: the values are raw float32 of this shape (one input only).</param>
    public static RunInputs Read(IReadOnlyList<string> values, string? shape)
    {
        if (shape is not null && values.Count > 1)
            throw new CliUsageException("--shape describes one raw float32 input; give each of several inputs as a .npy file");
        var specs = new List<(string? Name, string Path)>();
        foreach (var value in values)
        {
            var (name, path) = Split(value, "--input", "input");
            if (name is not null && specs.Any(s => s.Name == name))
                throw new CliUsageException($"--input '{name}' is given twice");
            specs.Add((name, path));
        }
        return new RunInputs(specs.Select(s => (s.Name, s.Path, ReadTensor(s.Path, shape))).ToList());
    }

    /// <summary>
    /// NAME=FILE split at the first '=' (a name cannot hold one; a path after it can), or a plain FILE with a null name.
    /// </summary>
    /// <param name="value">The option's value.</param>
    /// <param name="option">The option, for messages.</param>
    /// <param name="what">"input" or "output", for messages.</param>
    internal static (string? Name, string Path) Split(string value, string option, string what)
    {
        var at = value.IndexOf('=');
        if (at < 0) return (null, value);
        if (at == 0) throw new CliUsageException($"{option} '{value}': the {what} name before '=' is empty (NAME=FILE)");
        if (at == value.Length - 1) throw new CliUsageException($"{option} {value}: the file name after '=' is empty (NAME=FILE)");
        return (value[..at], value[(at + 1)..]);
    }

    /// <summary>The batch the tensors agree on (their first dimension), or null when they differ.</summary>
    public int? Batch => _given.Select(g => g.Tensor.Shape[0]).Distinct().Count() == 1 ? _given[0].Tensor.Shape[0] : null;

    /// <summary>The tensors by input name, each checked against the input's declared shape.</summary>
    /// <param name="graph">The model.</param>
    /// <param name="anyBatch">Check all but the first dimension (the model at its own batch, before it takes the tensors').</param>
    /// <exception cref="CliUsageException">A plain FILE for a model with several inputs, an unknown name, a missing input.</exception>
    /// <exception cref="InputShapeException">A tensor's shape is not its input's.</exception>
    public Dictionary<string, Tensor> Match(Graph graph, bool anyBatch = false)
    {
        var inputs = ModelSource.Inputs(graph);
        if (graph.Inputs.Count > 1 && _given.Any(g => g.Name is null))
            throw new CliUsageException($"the model has {graph.Inputs.Count} inputs, {inputs}: give each as --input NAME=FILE.npy");
        if (graph.Inputs.Count == 1 && _given.Count > 1)
            throw new CliUsageException($"the model has one input, {inputs}: give one --input");

        var feed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, path, tensor) in _given)
        {
            var input = name is null ? graph.Inputs[0] : graph.Inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new CliUsageException($"--input '{name}': the model has no input '{name}'; its inputs are {inputs}");
            var expected = anyBatch && tensor.Shape.Rank == input.Shape.Rank ? input.Shape.WithBatch(tensor.Shape[0]) : input.Shape;
            if (tensor.Shape != expected)
                throw new InputShapeException(ShapeMessage(input.Name, expected, path, tensor.Shape));
            feed[input.Name] = tensor;
        }
        foreach (var input in graph.Inputs.Where(i => !feed.ContainsKey(i.Name)))
            throw new CliUsageException($"input '{input.Name}' {Output.Fmt.Shape(input.Shape)} is not given (--input {input.Name}=FILE.npy); the model's inputs are {inputs}");
        return feed;
    }

    private string ShapeMessage(string name, Shape expected, string path, Shape given)
    {
        var file = Path.GetFileName(path);
        var message = given.Rank != expected.Rank
            ? $"input '{name}' must be N×{string.Join("×", expected.Skip(1))} (rank {expected.Rank}) but {file} holds {Output.Fmt.Shape(given)} (rank {given.Rank})"
            : $"input '{name}' expects {Output.Fmt.Shape(expected)} but {file} holds {Output.Fmt.Shape(given)}";
        // The batch is taken from the inputs; when they disagree the model's own is expected.
        return Batch is null
            ? $"{message} (the inputs' first dimensions, the batch, differ: {string.Join(", ", _given.Select(g => g.Tensor.Shape[0]).Distinct())})"
            : message;
    }

    /// <summary>A float32 .npy file, or raw float32 of <paramref name="shape"/> (N,C,H,W as given to --shape).</summary>
    private static Tensor ReadTensor(string path, string? shape)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no such input file: {path}");
        if (shape is null)
            return Npy.Read(path);
        var dims = shape.Split(',', StringSplitOptions.TrimEntries).Select(d =>
            int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw new CliUsageException($"--shape needs positive integers like 1,3,224,224, got '{shape}'")).ToArray();
        var s = new Shape(dims);
        var bytes = new FileInfo(path).Length;
        // The product is checked against the file's size before anything is allocated (a product past long is no file's).
        var count = dims.Aggregate(1.0, (a, d) => a * d);
        if (bytes != count * 4)
            throw new InputShapeException($"{path} holds {bytes} bytes but --shape {shape} needs {count * 4:0} (float32)");
        var data = new float[s.ElementCount];
        using (var f = File.OpenRead(path)) f.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return new Tensor(s, data);
    }
}
