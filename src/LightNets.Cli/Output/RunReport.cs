using System.Globalization;
using LightNets.Cli.Commands;
using LightNets.Graphs;
using LightNets.Tensors;

namespace LightNets.Cli.Output;

/// <summary>
/// What run prints: the top classes of the class scores (an N×classes output: --scores, or the first there is), and
/// one line per other output with its shape and value range.
/// </summary>
internal static class RunReport
{
    /// <summary>The output whose top classes are printed: <paramref name="requested"/> (checked), else the first N×classes output, else none.</summary>
    /// <exception cref="CliUsageException">No output of that name, or it is not N×classes.</exception>
    public static string? Scores(Graph graph, string? requested)
    {
        var outputs = graph.Outputs.Distinct().ToArray();
        var scores = outputs.Where(o => graph.ShapeOf(o).Rank == 2).ToArray();
        if (requested is null) return scores.FirstOrDefault();
        if (!outputs.Contains(requested))
            throw new CliUsageException($"--scores: the model has no output '{requested}'; its outputs are {ModelSource.Outputs(graph)}");
        if (graph.ShapeOf(requested).Rank != 2)
            throw new CliUsageException($"--scores '{requested}' is {Fmt.Shape(graph.ShapeOf(requested))}, not N×classes scores; " +
                                        (scores.Length == 0 ? "the model has no N×classes output" : $"the N×classes outputs are {ModelSource.List(scores.Select(s => (s, graph.ShapeOf(s))))}"));
        return requested;
    }

    /// <param name="stdout">Where to print.</param>
    /// <param name="outputs">Every output by name, in the graph's order.</param>
    /// <param name="scores">The output to rank (<see cref="Scores"/>), or null.</param>
    /// <param name="top">Classes per image.</param>
    public static void Write(TextWriter stdout, IReadOnlyList<(string Name, Tensor Tensor)> outputs, string? scores, int top)
    {
        if (scores is not null)
        {
            var y = outputs.First(o => o.Name == scores).Tensor;
            // One output: the table alone, as ever; several: it says whose scores it ranks.
            var title = outputs.Count == 1 ? null : $"'{scores}' {Fmt.Shape(y.Shape)}: top {Math.Min(top, y.Shape[1])} per image";
            TopTable(title, y, top).Write(stdout, OutputFormat.Table);
        }
        foreach (var (name, tensor) in outputs.Where(o => o.Name != scores))
            stdout.WriteLine(Summary(name, tensor));
    }

    /// <summary>"output 'features' 1×16×8×8: min 0 max 3.1416 mean 0.52" (NaN when any value is).</summary>
    public static string Summary(string name, Tensor t)
    {
        var (min, max, sum) = (float.PositiveInfinity, float.NegativeInfinity, 0.0);
        foreach (var v in t.Data)
        {
            min = MathF.Min(min, v);
            max = MathF.Max(max, v);
            sum += v;
        }
        return $"output '{name}' {Fmt.Shape(t.Shape)}: min {Number(min)} max {Number(max)} mean {Number(sum / t.Length)}";
    }

    private static string Number(double v) => v.ToString("G5", CultureInfo.InvariantCulture);

    private static TextTable TopTable(string? title, Tensor y, int k)
    {
        var classes = y.Shape[1];
        var table = new TextTable(title, [new("image", true), new("rank", true), new("class", true), new("logit", true), new("softmax", true)]);
        for (var n = 0; n < y.Shape[0]; n++)
        {
            var row = y.Data.AsSpan(n * classes, classes).ToArray();
            var max = row.Max();
            var sum = 0.0;
            foreach (var v in row) sum += Math.Exp(v - max);
            var order = Enumerable.Range(0, classes).OrderByDescending(i => row[i]).Take(Math.Min(k, classes)).ToArray();
            for (var r = 0; r < order.Length; r++)
            {
                var logit = row[order[r]];
                table.Add(n.ToString(CultureInfo.InvariantCulture), (r + 1).ToString(CultureInfo.InvariantCulture), order[r].ToString(CultureInfo.InvariantCulture),
                    Fmt.Num(logit, "0.0000"), Fmt.Num(Math.Exp(logit - max) / sum, "0.0000"));
            }
        }
        return table;
    }
}
