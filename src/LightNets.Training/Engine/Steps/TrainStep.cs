using System.Numerics;

namespace LightNets.Training.Engine.Steps;

/// <summary>
/// What every step sees while it runs: the kernels, the context (threads, scratch), the arena's memory, whether a
/// training forward is running, and the dropout seed and step number. Created once per plan; nothing here allocates.
/// </summary>
internal sealed unsafe class StepContext<T>(TrainContext ctx, ITrainKernels<T> kernels, ulong seed)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public TrainContext Ctx { get; } = ctx;
    public ITrainKernels<T> Kernels { get; } = kernels;
    public ulong Seed { get; } = seed;

    /// <summary>The engine's own loops (adds, copies, layout) on the context's threads.</summary>
    public EngineLoops<T> Loops { get; } = new();
    public byte* Base { get; set; }

    /// <summary>The number of training steps run before this one: dropout masks differ from step to step.</summary>
    public long StepNumber { get; set; }

    public Span<T> Span(Slot slot) => new(Base + slot.Offset, checked((int)slot.Length));
    public Span<int> Ints(Slot slot) => new(Base + slot.Offset, checked((int)slot.Length));
}

/// <summary>
/// Where one backward step writes the gradient of one of its inputs. The first writer in backward order overwrites
/// the gradient buffer; a later writer (the value feeds several nodes, or twice the same node) computes into a scratch
/// slot and adds it, unless its rule accumulates by nature (<see cref="Native"/>: channel scatters, slice copies).
/// </summary>
internal sealed class GradTarget(int value, Slot grad, bool native)
{
    public int Value { get; } = value;
    public Slot Grad { get; } = grad;
    public bool Native { get; } = native;
    /// <summary>True when an earlier backward step already wrote this gradient (set while scheduling).</summary>
    public bool Accumulate { get; set; }
    public Slot? Temp { get; set; }

    /// <summary>The span an overwriting rule writes: the gradient itself, or the scratch that <see cref="End{T}"/> adds in.</summary>
    public Span<T> Begin<T>(StepContext<T> c) where T : unmanaged, IFloatingPointIeee754<T> =>
        Accumulate && !Native ? c.Span(Temp!) : c.Span(Grad);

    public void End<T>(StepContext<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Accumulate || Native) return;
        var g = c.Span(Grad);
        c.Loops.Add(c.Ctx, g, c.Span(Temp!), g);
    }

    public IEnumerable<Slot> Slots => Temp is null ? [Grad] : [Grad, Temp];
}

/// <summary>
/// One node of the training plan: its forward computation (training mode) and, when anything before it learns, its
/// backward rule. Steps hold only slots and shapes decided at compile time; spans are made from the arena when they run.
/// </summary>
internal abstract class TrainStep<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
{
    public string Name { get; } = name;

    /// <summary>The gradients this step's backward writes, in the order it writes them.</summary>
    public List<GradTarget> Targets { get; } = [];

    /// <summary>Whether backward runs: some input needs a gradient or some parameter learns.</summary>
    public abstract bool HasBackward { get; }

    public abstract void Forward(StepContext<T> c);
    public abstract void Backward(StepContext<T> c);

    /// <summary>The arena slots the forward computation reads or writes.</summary>
    public abstract IEnumerable<Slot> ForwardSlots();

    /// <summary>The arena slots the backward rule reads or writes (saved activations, gradients, scratch).</summary>
    public abstract IEnumerable<Slot> BackwardSlots();

    public override string ToString() => Name;

    /// <summary>What kind of work the step does, for profiles that add up steps of a kind.</summary>
    public virtual string Kind => GetType().Name.Split('`')[0].Replace("Step", "", StringComparison.Ordinal);

    /// <summary>The slot when <paramref name="condition"/> holds, else nothing: for slots only some configurations touch.</summary>
    protected static IEnumerable<Slot> When(bool condition, Slot? slot) => condition && slot is not null ? [slot] : [];

    /// <summary>The target's slots, or none when the input needs no gradient.</summary>
    protected static IEnumerable<Slot> SlotsOf(GradTarget? target) => target?.Slots ?? [];

    /// <summary>Registers a target so the scheduler can decide whether it overwrites or accumulates; returns it.</summary>
    protected GradTarget? Track(GradTarget? target)
    {
        if (target is not null) Targets.Add(target);
        return target;
    }
}

/// <summary>A learnable tensor as the plan sees it: value and gradient in the plan's float type, and whether it learns.</summary>
internal sealed class ParamRef<T>(string name, T[] value, T[] grad, bool trainable)
{
    public string Name { get; } = name;
    public T[] Value { get; } = value;
    public T[] Grad { get; } = grad;
    public bool Trainable { get; } = trainable;
}
