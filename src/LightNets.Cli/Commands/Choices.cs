namespace LightNets.Cli.Commands;

// The values of the commands' choice options (ChoiceOption<T>): each member's name, lower-cased, is its command-line word.

/// <summary><c>run --engine</c>: what computes the output.</summary>
public enum Engine
{
    /// <summary>The compiled SIMD runtime.</summary>
    LightNets,
    /// <summary>The plain-loop interpreter, the oracle.</summary>
    Reference,
    OnnxRuntime,
}

/// <summary><c>bench --compare</c>, <c>compare --compare</c>: a second engine timed beside LightNets.</summary>
public enum CompareWith
{
    None,
    OnnxRuntime,
}

/// <summary><c>info --by</c>: what a row of the layer table is.</summary>
public enum InfoRows
{
    /// <summary>A conv/FC/pool with its BN and activation, as the papers' tables count layers.</summary>
    Layer,
    /// <summary>A paper-level unit (an inverted residual, a shuffle unit, ...).</summary>
    Block,
    /// <summary>A graph node.</summary>
    Node,
}

/// <summary><c>info --table</c>: which of info's tables to write.</summary>
public enum InfoTable
{
    /// <summary>Every table, one after the other (table and markdown output only).</summary>
    All,
    /// <summary>The per-row table (rows as <see cref="InfoRows"/> says).</summary>
    Layers,
    /// <summary>The totals under each counting convention.</summary>
    Totals,
    /// <summary>The published figures for the configuration and whether they are reproduced.</summary>
    Published,
}

/// <summary><c>guidelines --mode</c>.</summary>
public enum GuidelineModes
{
    Arm,
    Gpu,
    Both,
}

/// <summary><c>classify --normalize</c>.</summary>
public enum Normalization
{
    /// <summary>(x/255 − mean)/std with ImageNet's statistics (torchvision).</summary>
    ImageNet,
    /// <summary>x/127.5 − 1 (TF/Keras).</summary>
    Tf,
}
