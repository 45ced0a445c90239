namespace LightNets.Training.Optim;

/// <summary>
/// A hyperparameter of an optimizer, learning-rate schedule, weight EMA or gradient clipping outside the range it is
/// defined on (a negative learning rate, a momentum above 1, a warm-up longer than the run, ...): the message names the
/// setting, its value and the range it must be in.
/// </summary>
public sealed class OptimizationSettingsException(string message) : LightNetsException(message)
{
    internal static void RequireFinite(string name, double value, double min, double max, bool minExclusive = false)
    {
        var below = minExclusive ? value <= min : value < min;
        if (double.IsFinite(value) && !below && value <= max) return;
        var range = (minExclusive ? "(" : "[") + Format(min) + ", " + Format(max) + "]";
        throw new OptimizationSettingsException($"{name} must be a finite number in {range}, got {Format(value)}");
    }

    private static string Format(double v) => double.IsPositiveInfinity(v) ? "∞" : v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
