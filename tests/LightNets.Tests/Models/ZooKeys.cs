using LightNets.Models;

namespace LightNets.Tests.Models;

/// <summary>
/// A zoo configuration as a theory argument: its name, with the variant in parentheses when it has one. Strings, not
/// the records, so that each configuration is its own named test case.
/// </summary>
internal static class ZooKeys
{
    public static string Of(ZooConfiguration c) => c.Variant.Length == 0 ? c.Entry.Name : $"{c.Entry.Name} ({c.Variant})";

    public static ZooConfiguration Find(string key) => ModelZoo.Configurations.Single(c => Of(c) == key);
}
