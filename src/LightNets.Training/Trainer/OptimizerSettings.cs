using System.Text.Json.Nodes;
using LightNets.Training.Optim;

namespace LightNets.Training.Trainer;

/// <summary>The optimizers a run can use, by their command-line names.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with momentum (and Nesterov on request), as <c>torch.optim.SGD</c>.</summary>
    Sgd,
    /// <summary>TensorFlow's RMSProp (ε inside the root, mean square starting at 1): the MobileNetV2/V3 papers' optimizer.</summary>
    RmsPropTf,
    /// <summary>PyTorch's <c>RMSprop</c> (ε outside the root, mean square starting at 0).</summary>
    RmsProp,
    /// <summary>Adam with decoupled weight decay, as <c>torch.optim.AdamW</c>.</summary>
    AdamW,
}

/// <summary>
/// Which optimizer a run uses and its hyperparameters; <see cref="Create"/> builds it over a model's parameters. A value
/// left null takes the optimizer's usual default (<see cref="DefaultLearningRate"/> and so on), so that the saved
/// settings say what the run really used once <see cref="Resolved"/>.
/// </summary>
public sealed record OptimizerSettings
{
    public OptimizerKind Kind { get; init; } = OptimizerKind.Sgd;

    /// <summary>The base (or, for one-cycle, the peak) learning rate.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Momentum (AdamW: β1).</summary>
    public double? Momentum { get; init; }

    /// <summary>Nesterov momentum (SGD only).</summary>
    public bool Nesterov { get; init; }

    /// <summary>Weight decay: coupled L2 for SGD and RMSProp, decoupled for AdamW.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Also exempt depthwise filters from weight decay (MobileNetV1's advice).</summary>
    public bool NoDepthwiseDecay { get; init; }

    /// <summary>
    /// The defaults: SGD 0.1, RMSProp (both forms) 0.01, AdamW 0.001. One-cycle schedules take the rate as their peak.
    /// </summary>
    public static double DefaultLearningRate(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Sgd => 0.1,
        OptimizerKind.AdamW => 1e-3,
        _ => 0.01,
    };

    /// <summary>SGD and both RMSProps 0.9 (the papers' value); AdamW's β1 0.9.</summary>
    public static double DefaultMomentum(OptimizerKind kind) => 0.9;

    /// <summary>SGD and RMSProp 4e-5 (MobileNetV2, ShuffleNetV1/V2); AdamW 0.01 (PyTorch's default, decoupled).</summary>
    public static double DefaultWeightDecay(OptimizerKind kind) => kind == OptimizerKind.AdamW ? 0.01 : 4e-5;

    /// <summary>These settings with every default filled in.</summary>
    public OptimizerSettings Resolved() => this with
    {
        LearningRate = LearningRate ?? DefaultLearningRate(Kind),
        Momentum = Momentum ?? DefaultMomentum(Kind),
        WeightDecay = WeightDecay ?? DefaultWeightDecay(Kind),
    };

    /// <summary>Checks the combination before a model is built (the optimizers check their own ranges again).</summary>
    /// <exception cref="OptimizationSettingsException">Nesterov without SGD or momentum, or a value out of range.</exception>
    public void Validate()
    {
        var r = Resolved();
        OptimizationSettingsException.RequireFinite("learning rate", r.LearningRate!.Value, 0, double.PositiveInfinity, minExclusive: true);
        OptimizationSettingsException.RequireFinite("momentum", r.Momentum!.Value, 0, 1);
        if (Kind == OptimizerKind.AdamW && r.Momentum >= 1)
            throw new OptimizationSettingsException($"AdamW's momentum is its β1, which must be below 1, got {r.Momentum}");
        OptimizationSettingsException.RequireFinite("weight decay", r.WeightDecay!.Value, 0, double.PositiveInfinity);
        if (Nesterov && Kind != OptimizerKind.Sgd)
            throw new OptimizationSettingsException($"Nesterov momentum is an SGD option; {Name(Kind)} has none: drop --nesterov or use --optimizer sgd");
        if (Nesterov && r.Momentum == 0)
            throw new OptimizationSettingsException("Nesterov momentum needs a momentum above 0: give --momentum (e.g. 0.9) or drop --nesterov");
    }

    /// <summary>The optimizer over <paramref name="parameters"/> (frozen ones are carried and left alone).</summary>
    public Optimizer Create(IEnumerable<Parameter> parameters)
    {
        Validate();
        var r = Resolved();
        var mask = new WeightDecayMask(SkipDepthwise: NoDepthwiseDecay);
        var (momentum, decay) = (r.Momentum!.Value, r.WeightDecay!.Value);
        return Kind switch
        {
            OptimizerKind.Sgd => new Sgd(parameters, momentum, nesterov: Nesterov, weightDecay: decay, mask: mask),
            // The papers' TF settings: decay 0.9, momentum 0.9; ε 1e-3 keeps the first steps (mean square 1) sane
            // without TF-slim's ε = 1 damping every later step.
            OptimizerKind.RmsPropTf => new TfRmsProp(parameters, decay: 0.9, momentum: momentum, epsilon: 1e-3, weightDecay: decay, mask: mask),
            // torchvision's MobileNetV3 recipe: α 0.9, ε 0.0316 (approximating TF's form).
            OptimizerKind.RmsProp => new RmsProp(parameters, alpha: 0.9, epsilon: 0.0316, momentum: momentum, weightDecay: decay, mask: mask),
            OptimizerKind.AdamW => new AdamW(parameters, beta1: momentum, weightDecay: decay, mask: mask),
            _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
        };
    }

    /// <summary>The command-line name: sgd, rmsprop-tf, rmsprop, adamw.</summary>
    public static string Name(OptimizerKind kind) => kind switch
    {
        OptimizerKind.RmsPropTf => "rmsprop-tf",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>One line for logs: "sgd lr 0.1, momentum 0.9 (Nesterov), weight decay 4e-05".</summary>
    public string Describe()
    {
        var r = Resolved();
        return $"{Name(Kind)} lr {r.LearningRate:G4}, {(Kind == OptimizerKind.AdamW ? "β1" : "momentum")} {r.Momentum:G4}{(Nesterov ? " (Nesterov)" : "")}, " +
               $"weight decay {r.WeightDecay:G4}{(NoDepthwiseDecay ? " (not on depthwise filters)" : "")}";
    }

    internal JsonObject ToJson()
    {
        var r = Resolved();
        return new JsonObject
        {
            ["kind"] = Name(Kind),
            ["lr"] = r.LearningRate,
            ["momentum"] = r.Momentum,
            ["nesterov"] = Nesterov,
            ["weight_decay"] = r.WeightDecay,
            ["no_depthwise_decay"] = NoDepthwiseDecay,
        };
    }
}
