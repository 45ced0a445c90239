using LightNets.Tensors;

namespace LightNets.Graphs;

/// <summary>A named tensor flowing through a graph: a graph input, an initializer or a node output.</summary>
public sealed record Value(string Name, Shape Shape)
{
    public override string ToString() => $"{Name} [{Shape}]";
}
