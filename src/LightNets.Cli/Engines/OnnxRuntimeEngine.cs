using Microsoft.ML.OnnxRuntime;
using LightNets.Tensors;

namespace LightNets.Cli.Engines;

/// <summary>
/// ONNX Runtime as an external engine: the oracle for exported models and the speed anchor. Lives in the CLI (and
/// tests), never in the core library. Float32 inputs and outputs, fed and fetched by name (any number of each).
/// </summary>
public sealed class OnnxRuntimeEngine : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxRuntimeEngine(byte[] model, int threads = 1)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        try
        {
            _session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new LightNetsException($"ONNX Runtime cannot load the model: {e.Message}", e);
        }
    }

    public static OnnxRuntimeEngine FromFile(string path, int threads = 1) => new(File.ReadAllBytes(path), threads);

    /// <summary>The model's data inputs as ONNX Runtime sees them (initializers excluded).</summary>
    public IReadOnlyList<string> InputNames => _session.InputNames;

    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Runs a model with one input and one output.</summary>
    /// <exception cref="LightNetsException">The model has several inputs or outputs, or ONNX Runtime fails.</exception>
    public Tensor Run(Tensor input)
    {
        if (InputNames.Count != 1 || OutputNames.Count != 1)
            throw new LightNetsException(
                $"this model has {InputNames.Count} inputs and {OutputNames.Count} outputs; run it with its inputs by name (OnnxRuntimeEngine.Run(dictionary))");
        return Run(new Dictionary<string, Tensor> { [InputNames[0]] = input }, OutputNames)[OutputNames[0]];
    }

    /// <summary>Feeds <paramref name="inputs"/> by name and returns the outputs <paramref name="outputs"/> asks for, by name.</summary>
    /// <exception cref="LightNetsException">ONNX Runtime refuses the inputs or fails to run.</exception>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<string> outputs)
    {
        var names = inputs.Keys.ToArray();
        var fetch = outputs.Distinct().ToArray();
        var values = new List<OrtValue>(names.Length);
        try
        {
            foreach (var n in names) values.Add(OrtValue.CreateTensorValueFromMemory(inputs[n].Data, Dims(inputs[n].Shape)));
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, names, values, fetch);
            var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (var i = 0; i < fetch.Length; i++)
            {
                var shape = results[i].GetTensorTypeAndShape().Shape.Select(d => checked((int)d)).ToArray();
                byName[fetch[i]] = new Tensor(new Shape(shape), results[i].GetTensorDataAsSpan<float>().ToArray());
            }
            return byName;
        }
        catch (OnnxRuntimeException e)
        {
            throw new LightNetsException($"ONNX Runtime failed to run the model: {e.Message}", e);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>
    /// Pre-bound input and output memory, so that timing loops measure ONNX Runtime and not allocations: every input of
    /// <paramref name="inputs"/> is fed by name, and every output of <paramref name="outputs"/> (name and the shape it
    /// has) is fetched into <see cref="Binding.Outputs"/>.
    /// </summary>
    public Binding Bind(IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<(string Name, Shape Shape)> outputs) => new(this, inputs, outputs);

    public sealed class Binding : IDisposable
    {
        private readonly OnnxRuntimeEngine _engine;
        private readonly RunOptions _options = new();
        private readonly string[] _inputNames;
        private readonly string[] _outputNames;
        private readonly OrtValue[] _inputs;
        private readonly OrtValue[] _outputs;

        internal Binding(OnnxRuntimeEngine engine, IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<(string Name, Shape Shape)> outputs)
        {
            _engine = engine;
            _inputNames = inputs.Keys.ToArray();
            _inputs = _inputNames.Select(n => OrtValue.CreateTensorValueFromMemory(inputs[n].Data, Dims(inputs[n].Shape))).ToArray();
            var distinct = outputs.DistinctBy(o => o.Name).ToArray();
            var outputValues = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var (name, shape) in distinct)
            {
                // ONNX Runtime hands a graph input listed as an output back as it is, without writing it into a bound
                // buffer (measured: the buffer stays zero), so that output is the input's own values.
                outputValues[name] = inputs.TryGetValue(name, out var passed) ? passed.Data.ToArray() : new float[shape.ElementCount];
            }
            Outputs = outputValues;
            var computed = distinct.Where(o => !inputs.ContainsKey(o.Name)).ToArray();
            _outputNames = computed.Select(o => o.Name).ToArray();
            _outputs = computed.Select(o => OrtValue.CreateTensorValueFromMemory(outputValues[o.Name], Dims(o.Shape))).ToArray();
        }

        /// <summary>Each fetched output's values after <see cref="Run"/>, by name.</summary>
        public IReadOnlyDictionary<string, float[]> Outputs { get; }

        /// <summary>Runs the model; one whose outputs are all graph inputs has nothing to compute (ONNX Runtime refuses such a run).</summary>
        /// <exception cref="LightNetsException">ONNX Runtime fails (e.g. it computes another shape than the one bound).</exception>
        public void Run()
        {
            if (_outputNames.Length == 0) return;
            try
            {
                _engine._session.Run(_options, _inputNames, _inputs, _outputNames, _outputs);
            }
            catch (OnnxRuntimeException e)
            {
                throw new LightNetsException($"ONNX Runtime failed to run the model: {e.Message}", e);
            }
        }

        public void Dispose()
        {
            foreach (var v in _inputs) v.Dispose();
            foreach (var v in _outputs) v.Dispose();
            _options.Dispose();
        }
    }

    private static long[] Dims(Shape shape) => shape.Select(d => (long)d).ToArray();

    public void Dispose() => _session.Dispose();
}
