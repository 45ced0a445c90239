using LightNets.Graphs;
using LightNets.Tensors;
using LightNets.Training.Engine.Steps;

namespace LightNets.Training.Engine;

/// <summary>
/// Trains a graph (a zoo model or an ONNX import) on the CPU, one batch at a time: <see cref="Step"/> runs the forward
/// pass in training mode, the softmax cross-entropy loss and the backward pass, and leaves every learnable parameter's
/// gradient in <see cref="Parameter.Grad"/> for an optimizer, which updates <see cref="Parameter.Value"/> in place.
/// <para>
/// The session is compiled for the graph's input shape (batch size and resolution included): activations are NHWC
/// inside, in one arena planned by liveness over the whole step, and a step after the first allocates nothing.
/// Set <see cref="Parameter.Trainable"/> to false to freeze a parameter: it gets no gradient, and when a whole prefix
/// of the network is frozen, backward stops at its end and its forward keeps nothing. A BatchNorm whose γ and β are
/// both frozen runs in evaluation mode (its running statistics normalise and are not updated), as a frozen feature
/// extractor should. Changing which parameters are trainable recompiles the plan at the next step.
/// </para>
/// <para>
/// For evaluation, export the weights with <see cref="ToGraph"/> and run an <c>InferenceSession</c>: it folds BN into
/// the convolutions and is much faster than a training forward. Not thread-safe: one step at a time.
/// </para>
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly TrainingModel _model;
    private readonly TrainingSessionOptions _options;
    private readonly TrainContext _ctx;
    private readonly ITrainKernels _kernels;
    private readonly Parameter[] _parameters;
    private readonly NamedBuffer[] _buffers;
    private readonly bool[] _compiledTrainable;
    private TrainingPlan<float> _plan;
    private ReplicaSet? _replicas;
    private int _correct;
    private bool _profiling;
    private bool _disposed;

    /// <exception cref="TrainingGraphException">The graph has an operator, shape or weight training cannot handle; the message names the node.</exception>
    /// <exception cref="WorkingMemoryException">The plan needs more memory than <see cref="TrainingSessionOptions.MaxArenaBytes"/>.</exception>
    /// <exception cref="TrainingOptionsException">An option is out of its range.</exception>
    public TrainingSession(Graph graph, TrainingSessionOptions? options = null)
    {
        _options = options ?? new TrainingSessionOptions();
        Check(_options);
        _model = new TrainingModel(graph);
        _parameters = _model.Parameters.Select(p => new Parameter(p.Name, p.Shape, p.Kind, (float[])p.Initial.Data.Clone())).ToArray();
        _buffers = _model.Buffers.Select(b => new NamedBuffer(b.Name, b.Shape, (float[])b.Initial.Data.Clone())).ToArray();
        _compiledTrainable = new bool[_parameters.Length];
        _kernels = _options.Kernels ?? ReferenceTrainKernels.Instance;
        if (_options.Replicas > 1 && (_model.Batch % _options.Replicas != 0 || _model.Batch / _options.Replicas < 2))
            throw new TrainingOptionsException(
                $"a batch of {_model.Batch} does not cut into {_options.Replicas} replicas of at least 2 images each; give a batch that is a multiple of {_options.Replicas}");
        _ctx = new TrainContext(_options.Replicas > 1 ? 1 : _options.EffectiveThreads, _options.Isa);
        try
        {
            _plan = Compile();
        }
        catch
        {
            _ctx.Dispose();
            throw;
        }
    }

    /// <summary>The learnable tensors, named after their graph initializers, in graph order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The BatchNorm running means and variances, named after their graph initializers.</summary>
    public IReadOnlyList<NamedBuffer> Buffers => _buffers;

    /// <summary>The batch size, resolution and channels every step takes (the graph input's N×C×H×W).</summary>
    public Shape InputShape => _model.Values[_model.InputValue].Shape;

    public int BatchSize => _model.Batch;
    public int Classes => _model.Classes;

    /// <summary>Bytes of the plan's arena: activations kept for backward, gradients, saved statistics, scratch.</summary>
    public long ArenaBytes => _replicas?.ArenaBytes ?? Live(_plan).ArenaBytes;

    /// <summary>
    /// Training steps run so far. Dropout masks depend on it (and on the seed), so a run resumed from a checkpoint sets
    /// it back to the step count it had.
    /// </summary>
    public long StepsDone { get; set; }

    /// <summary>The class scores of the last step's batch, [batch, classes] row-major (training-mode forward).</summary>
    public ReadOnlySpan<float> Logits => _replicas is { } set ? set.Logits : Live(_plan).Logits;

    /// <summary>
    /// Debug profiling: while true, every step times each of its parts (input conversion, each node's forward and
    /// backward, the loss) into <see cref="Profile"/>. Setting it to true starts a fresh profile; off costs nothing.
    /// </summary>
    public bool Profiling
    {
        get => Live(_plan).Profile is not null;
        set
        {
            _profiling = value;
            Live(_plan).SetProfiling(value);
        }
    }

    /// <summary>The times summed since <see cref="Profiling"/> was turned on (null when off); with replicas, replica 0's.</summary>
    public StepProfile? Profile => Live(_plan).Profile;

    /// <summary>How many images of the last step's batch had their label as the highest score (ties go to the first class).</summary>
    public int Correct => _correct;

    /// <summary>
    /// One training step: forward in training mode, mean softmax cross-entropy (with the options' label smoothing),
    /// backward. Overwrites the gradient of every trainable parameter, updates the BN running statistics, and returns
    /// the loss. Parameter values are not changed: that is the optimizer's job.
    /// </summary>
    /// <param name="nchwBatch">The batch in NCHW order, <see cref="InputShape"/>'s element count.</param>
    /// <param name="labels">One class index in [0, <see cref="Classes"/>) per image.</param>
    /// <exception cref="TrainingInputException">The batch or labels do not fit the session.</exception>
    public float Step(ReadOnlySpan<float> nchwBatch, ReadOnlySpan<int> labels)
    {
        var plan = Live(_plan);
        CheckBatch(nchwBatch, labels);
        if (TrainableChanged())
        {
            DisposePlans();
            _plan = plan = Compile();
            plan.SetProfiling(_profiling);
        }
        var loss = _replicas is { } set ? set.Step(nchwBatch, labels, StepsDone) : plan.Step(nchwBatch, labels, StepsDone);
        StepsDone++;
        _correct = CountCorrect(Logits, labels, _model.Classes);
        return loss;
    }

    /// <summary>
    /// The graph with the current parameter values and running statistics as its initializers (copies): for an
    /// <c>InferenceSession</c>, ONNX export or a checkpoint. Use <c>Graph.WithBatch</c> for another batch size.
    /// </summary>
    public Graph ToGraph()
    {
        Live(_plan);
        var initializers = new Dictionary<string, Tensor>(_model.Graph.Initializers, StringComparer.Ordinal);
        foreach (var p in _parameters) initializers[p.Name] = new Tensor(p.Shape, (float[])p.Value.Clone());
        foreach (var b in _buffers) initializers[b.Name] = new Tensor(b.Shape, (float[])b.Value.Clone());
        return _model.Graph.With(initializers: initializers);
    }

    private static void Check(TrainingSessionOptions o)
    {
        if (!(o.LabelSmoothing >= 0f && o.LabelSmoothing <= 1f))
            throw new TrainingOptionsException($"label smoothing {o.LabelSmoothing} is outside [0, 1]; 0.1 is the usual value, 0 turns it off");
        if (!(o.BatchNormMomentum >= 0f && o.BatchNormMomentum <= 1f))
            throw new TrainingOptionsException(
                $"BatchNorm momentum {o.BatchNormMomentum} is outside [0, 1]; it is PyTorch's convention (0.1 by default; TF's decay 0.99 is momentum 0.01)");
        if (o.Threads < 0) throw new TrainingOptionsException($"threads {o.Threads} is negative; give 1 or more, or 0 for every core");
        if (o.Replicas < 1) throw new TrainingOptionsException($"replicas {o.Replicas} must be 1 or more");
        if (o.MaxArenaBytes <= 0) throw new TrainingOptionsException($"the memory limit {o.MaxArenaBytes} bytes must be positive");
    }

    private void CheckBatch(ReadOnlySpan<float> nchw, ReadOnlySpan<int> labels)
    {
        var shape = InputShape;
        if (nchw.Length != shape.ElementCount)
            throw new TrainingInputException(
                $"the batch has {nchw.Length} values but the session trains on {shape} = {shape.ElementCount} (NCHW); build the session for this batch size and resolution");
        if (labels.Length != _model.Batch)
            throw new TrainingInputException($"the batch has {labels.Length} labels for {_model.Batch} images; give one label per image");
        for (var i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)_model.Classes)
                throw new TrainingInputException(
                    $"label {labels[i]} of image {i} is outside the model's {_model.Classes} classes (0 to {_model.Classes - 1}); check the data set against the model's class count");
        }
    }

    private bool TrainableChanged()
    {
        for (var i = 0; i < _parameters.Length; i++)
        {
            if (_parameters[i].Trainable != _compiledTrainable[i]) return true;
        }
        return false;
    }

    private TrainingPlan<float> Compile()
    {
        var refs = new ParamRef<float>[_parameters.Length];
        for (var i = 0; i < refs.Length; i++)
        {
            var p = _parameters[i];
            _compiledTrainable[i] = p.Trainable;
            refs[i] = new ParamRef<float>(p.Name, p.Value, p.Grad, p.Trainable);
        }
        var settings = new PlanSettings(_options.LabelSmoothing, _options.BatchNormMomentum, _options.Seed, _options.MaxArenaBytes,
            _options.FuseBatchNormActivation);
        if (_options.Replicas > 1)
        {
            var threadsEach = Math.Max(1, _options.EffectiveThreads / _options.Replicas);
            _replicas = new ReplicaSet(_model.Graph, _options.Replicas, threadsEach, _kernels, _options.Isa, _parameters, _buffers, settings);
            return _replicas.First;
        }
        return new TrainingPlan<float>(_model, refs, _buffers.Select(b => b.Value).ToArray(), _kernels, _ctx, settings);
    }

    private static int CountCorrect(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            var best = 0;
            for (var k = 1; k < classes; k++)
            {
                if (row[k] > row[best]) best = k;
            }
            if (best == labels[i]) correct++;
        }
        return correct;
    }

    private void DisposePlans()
    {
        if (_replicas is { } set) set.Dispose();
        else _plan.Dispose();
        _replicas = null;
    }

    private TValue Live<TValue>(TValue value) => _disposed ? throw new ObjectDisposedException(nameof(TrainingSession)) : value;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposePlans();
        _ctx.Dispose();
    }
}
