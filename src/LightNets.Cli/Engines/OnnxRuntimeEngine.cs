using Microsoft.ML.OnnxRuntime;
using LightNets.Tensors;

namespace LightNets.Cli.Engines;

/// <summary>
/// ONNX Runtime as an external engine: the oracle for exported models and the speed anchor. Lives in the CLI (and
/// tests), never in the core library. One input, one output, float32.
/// </summary>
public sealed class OnnxRuntimeEngine : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly string _output;

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
        if (_session.InputNames.Count != 1 || _session.OutputNames.Count < 1)
            throw new LightNetsException($"ONNX Runtime engine needs one input and an output; the model has {_session.InputNames.Count} inputs");
        _input = _session.InputNames[0];
        _output = _session.OutputNames[0];
    }

    public static OnnxRuntimeEngine FromFile(string path, int threads = 1) => new(File.ReadAllBytes(path), threads);

    public Tensor Run(Tensor input)
    {
        var shape = input.Shape.Select(d => (long)d).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(input.Data, shape);
        using var runOptions = new RunOptions();
        try
        {
            using var results = _session.Run(runOptions, [_input], [value], [_output]);
            var outShape = results[0].GetTensorTypeAndShape().Shape.Select(d => checked((int)d)).ToArray();
            return new Tensor(new Shape(outShape), results[0].GetTensorDataAsSpan<float>().ToArray());
        }
        catch (OnnxRuntimeException e)
        {
            throw new LightNetsException($"ONNX Runtime failed to run the model: {e.Message}", e);
        }
    }

    /// <summary>Pre-bound input and output memory, so that timing loops measure ONNX Runtime and not allocations.</summary>
    public Binding Bind(Tensor input, Shape outputShape) => new(this, input, outputShape);

    public sealed class Binding : IDisposable
    {
        private readonly OnnxRuntimeEngine _engine;
        private readonly OrtValue _input;
        private readonly OrtValue _output;
        private readonly RunOptions _options = new();
        private readonly string[] _inputNames;
        private readonly string[] _outputNames;
        private readonly OrtValue[] _inputs;
        private readonly OrtValue[] _outputs;

        internal Binding(OnnxRuntimeEngine engine, Tensor input, Shape outputShape)
        {
            _engine = engine;
            _input = OrtValue.CreateTensorValueFromMemory(input.Data, input.Shape.Select(d => (long)d).ToArray());
            Output = new float[outputShape.ElementCount];
            _output = OrtValue.CreateTensorValueFromMemory(Output, outputShape.Select(d => (long)d).ToArray());
            _inputNames = [engine._input];
            _outputNames = [engine._output];
            _inputs = [_input];
            _outputs = [_output];
        }

        public float[] Output { get; }

        public void Run() => _engine._session.Run(_options, _inputNames, _inputs, _outputNames, _outputs);

        public void Dispose()
        {
            _input.Dispose();
            _output.Dispose();
            _options.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();
}
