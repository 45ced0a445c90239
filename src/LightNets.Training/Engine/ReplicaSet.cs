using System.Numerics;
using LightNets.Graphs;

namespace LightNets.Training.Engine;

/// <summary>
/// Data-parallel training inside one session (<see cref="TrainingSessionOptions.Replicas"/>): the batch is cut into
/// equal parts, each run by its own plan (batch / replicas images, its own arena and context) on its own thread, as
/// PyTorch's DistributedDataParallel runs one process per device. The parameter values are shared (read only during a
/// step); replica 0 writes the session's gradients and running statistics, the others their own copies, and afterwards
/// the gradients and running statistics are averaged into the session's (each part's loss is its own mean, so the mean
/// of the parts' gradients is the whole batch's). BatchNorm normalises each part with that part's statistics, as
/// DistributedDataParallel without SyncBatchNorm does.
/// <para>
/// Why: the networks' layers are small (a 4×4 map, 24 channels), and cutting each one across threads pays a fork and
/// a join hundreds of times per step; a replica per thread runs each layer whole, in its own core's cache, and the
/// threads meet once per step.
/// </para>
/// Nothing is allocated per step: the replica threads are started once and woken by semaphores.
/// </summary>
internal sealed unsafe class ReplicaSet : IDisposable
{
    private readonly TrainingPlan<float>[] _plans;
    private readonly TrainContext[] _contexts;
    private readonly float[][][] _grads;   // [replica ≥ 1][parameter]
    private readonly float[][][] _buffers; // [replica ≥ 1][buffer]
    private readonly Parameter[] _parameters;
    private readonly NamedBuffer[] _sessionBuffers;
    private readonly int _part, _imageFloats, _classes;
    private readonly float[] _logits;
    private readonly float[] _losses;
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _go;
    private readonly SemaphoreSlim _done = new(0);
    private readonly Exception?[] _errors;
    private float* _input; // the batch being stepped (pinned by Step until every replica is done)
    private int* _labels;
    private long _stepNumber;
    private volatile bool _disposed;

    public ReplicaSet(Graph graph, int replicas, int threadsEach, ITrainKernels kernels, Runtime.Kernels.Cpu.Isa? isa, Parameter[] parameters,
        NamedBuffer[] buffers, PlanSettings settings)
    {
        var batch = graph.Input.Shape.N;
        _part = batch / replicas;
        var model = new TrainingModel(graph.WithBatch(_part));
        _imageFloats = (int)(model.Values[model.InputValue].Shape.ElementCount / _part);
        _classes = model.Classes;
        (_parameters, _sessionBuffers) = (parameters, buffers);
        _logits = new float[batch * _classes];
        _losses = new float[replicas];
        _plans = new TrainingPlan<float>[replicas];
        _contexts = new TrainContext[replicas];
        _grads = new float[replicas][][];
        _buffers = new float[replicas][][];
        _errors = new Exception?[replicas];
        try
        {
            for (var r = 0; r < replicas; r++)
            {
                _contexts[r] = new TrainContext(threadsEach, isa);
                _grads[r] = r == 0 ? parameters.Select(p => p.Grad).ToArray() : parameters.Select(p => new float[p.Grad.Length]).ToArray();
                _buffers[r] = r == 0 ? buffers.Select(b => b.Value).ToArray() : buffers.Select(b => (float[])b.Value.Clone()).ToArray();
                var refs = parameters.Select((p, i) => new Steps.ParamRef<float>(p.Name, p.Value, _grads[r][i], p.Trainable)).ToArray();
                // Each part draws its own dropout masks: the seed differs by replica, and stays fixed for a given replica count.
                var own = settings with { Seed = settings.Seed + (ulong)r * 0x9E3779B97F4A7C15UL };
                _plans[r] = new TrainingPlan<float>(model, refs, _buffers[r], kernels, _contexts[r], own);
            }
        }
        catch
        {
            foreach (var p in _plans) p?.Dispose();
            foreach (var c in _contexts) c?.Dispose();
            throw;
        }
        _go = new SemaphoreSlim[replicas];
        _threads = new Thread[replicas];
        for (var r = 1; r < replicas; r++)
        {
            _go[r] = new SemaphoreSlim(0);
            var replica = r;
            _threads[r] = new Thread(() => Loop(replica)) { IsBackground = true, Name = $"LightNets replica {r}" };
            _threads[r].Start();
        }
    }

    public int Count => _plans.Length;
    public TrainingPlan<float> First => _plans[0];
    public long ArenaBytes => _plans.Sum(p => p.ArenaBytes);

    /// <summary>The class scores of the last step, [batch, classes], the parts in order.</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>
    /// One step of every replica on its part of the batch; returns the mean of the parts' losses.
    /// </summary>
    public float Step(ReadOnlySpan<float> nchw, ReadOnlySpan<int> labels, long stepNumber)
    {
        // Every replica starts from the session's running statistics.
        for (var r = 1; r < _plans.Length; r++)
        {
            for (var b = 0; b < _sessionBuffers.Length; b++) _sessionBuffers[b].Value.CopyTo(_buffers[r][b], 0);
        }
        fixed (float* pin = nchw)
        fixed (int* plab = labels)
        {
            _input = pin;
            _labels = plab;
            _stepNumber = stepNumber;
            for (var r = 1; r < _plans.Length; r++) _go[r].Release();
            Run(0);
            for (var r = 1; r < _plans.Length; r++) _done.Wait();
            _input = null;
            _labels = null;
        }
        foreach (var e in _errors)
        {
            if (e is not null) throw new InvalidOperationException("a training replica failed", e);
        }
        Average();
        var loss = 0f;
        foreach (var l in _losses) loss += l;
        return loss / _plans.Length;
    }

    private void Run(int r)
    {
        try
        {
            _errors[r] = null;
            var input = new ReadOnlySpan<float>(_input + (long)r * _part * _imageFloats, _part * _imageFloats);
            var labels = new ReadOnlySpan<int>(_labels + r * _part, _part);
            _losses[r] = _plans[r].Step(input, labels, _stepNumber);
            _plans[r].Logits.CopyTo(_logits.AsSpan(r * _part * _classes, _part * _classes));
        }
        catch (Exception e)
        {
            _errors[r] = e;
        }
    }

    private void Loop(int r)
    {
        while (true)
        {
            _go[r].Wait();
            if (_disposed) return;
            Run(r);
            _done.Release();
        }
    }

    /// <summary>Gradients and running statistics: the mean over replicas, into the session's arrays (replica 0's).</summary>
    private void Average()
    {
        var scale = 1f / _plans.Length;
        for (var i = 0; i < _parameters.Length; i++)
        {
            if (!_parameters[i].Trainable) continue;
            for (var r = 1; r < _plans.Length; r++) AddInto(_grads[0][i], _grads[r][i]);
            Scale(_grads[0][i], scale);
        }
        for (var b = 0; b < _sessionBuffers.Length; b++)
        {
            for (var r = 1; r < _plans.Length; r++) AddInto(_buffers[0][b], _buffers[r][b]);
            Scale(_buffers[0][b], scale);
        }
    }

    private static void AddInto(float[] sum, float[] part)
    {
        var i = 0;
        for (; i + Vector<float>.Count <= sum.Length; i += Vector<float>.Count)
            (new Vector<float>(sum, i) + new Vector<float>(part, i)).CopyTo(sum, i);
        for (; i < sum.Length; i++) sum[i] += part[i];
    }

    private static void Scale(float[] values, float by)
    {
        var i = 0;
        for (; i + Vector<float>.Count <= values.Length; i += Vector<float>.Count) (new Vector<float>(values, i) * by).CopyTo(values, i);
        for (; i < values.Length; i++) values[i] *= by;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (var r = 1; r < _plans.Length; r++) _go[r].Release();
        for (var r = 1; r < _plans.Length; r++) _threads[r].Join();
        foreach (var p in _plans) p.Dispose();
        foreach (var c in _contexts) c.Dispose();
        foreach (var s in _go) s?.Dispose();
        _done.Dispose();
    }
}
