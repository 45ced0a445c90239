using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LightNets.Training.Checkpoints;

/// <summary>
/// The safetensors metadata (a map of strings) of a LightNets checkpoint, and the names of its tensors. The trainer's
/// model configuration, options and metrics are its own JSON texts, stored verbatim; the counters LightNets writes are
/// decimal digits or small JSON objects. Reading refuses anything but what <see cref="Encode"/> writes: whole numbers
/// stay exact 64-bit integers, every JSON number is finite (JSON has no NaN, and "1e999" would read as ∞), names are
/// not repeated, nesting is bounded.
/// </summary>
internal static class CheckpointMetadata
{
    public const string Format = "lightnets.checkpoint";
    public const int Version = 1;

    /// <summary>Nesting allowed in the trainer's model and options objects (deeper is a damaged or hostile file).</summary>
    private const int MaxDepth = 64;

    public static string ParameterTensor(string name) => "param/" + name;
    public static string BufferTensor(string name) => "buffer/" + name;
    public static string OptimizerTensor(string slot, string name) => $"optim/{slot}/{name}";
    public static string EmaTensor(string name) => "ema/" + name;

    public static Dictionary<string, string> Encode(TrainingState state)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["format_version"] = Version.ToString(CultureInfo.InvariantCulture),
            ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = state.Epoch.ToString(CultureInfo.InvariantCulture),
            ["progress"] = Json(w =>
            {
                w.WriteStartObject();
                foreach (var (key, value) in state.Progress) w.WriteNumber(key, value);
                w.WriteEndObject();
            }),
            ["model"] = JsonText(state.ModelJson, nameof(state.ModelJson), mustBeObject: true),
            ["options"] = JsonText(state.OptionsJson, nameof(state.OptionsJson), mustBeObject: true),
            ["metrics"] = JsonText(state.MetricsJson, nameof(state.MetricsJson), mustBeObject: false),
        };
        if (state.Optimizer is { } optimizer)
        {
            metadata["optimizer"] = Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("kind", optimizer.Kind);
                w.WriteStartObject("steps");
                for (var i = 0; i < optimizer.Parameters.Count; i++) w.WriteNumber(optimizer.Parameters[i].Name, optimizer.StepsOf(i));
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }
        if (state.Ema is { } ema)
            metadata["ema"] = Json(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("updates", ema.Updates);
                w.WriteEndObject();
            });
        return metadata;
    }

    /// <summary>The trainer's JSON text, stored verbatim once it is known to read back (see <see cref="Problem"/>).</summary>
    private static string JsonText(string? text, string name, bool mustBeObject)
    {
        text ??= mustBeObject ? "{}" : "[]";
        if (Problem(text, mustBeObject) is { } problem) throw new ArgumentException($"{name} {problem}", nameof(TrainingState));
        return text;
    }

    /// <summary>
    /// Why <paramref name="text"/> is not JSON a checkpoint holds, or null if it is: well-formed, no repeated names, at
    /// most <see cref="MaxDepth"/> levels deep, every string valid Unicode (JSON escapes can spell a lone surrogate,
    /// "\ud800", which .NET refuses only when the string is read), every number finite as a double (a token such as
    /// 1e999 reads as ∞), and an object when <paramref name="mustBeObject"/>.
    /// </summary>
    private static string? Problem(string text, bool mustBeObject)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
            if (Visit(node) is { } bad) return bad;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return $"is not valid JSON (or repeats a name, or nests deeper than {MaxDepth} levels, or holds a lone surrogate)";
        }
        if (mustBeObject && node is not JsonObject)
            return $"is JSON {node?.GetValueKind().ToString().ToLowerInvariant() ?? "null"}, not an object";
        return null;

        static string? Visit(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (_, child) in o)
                        if (Visit(child) is { } bad) return bad;
                    break;
                case JsonArray a:
                    foreach (var child in a)
                        if (Visit(child) is { } bad) return bad;
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    v.GetValue<string>();
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    if (!v.TryGetValue(out double d) || !double.IsFinite(d)) return $"holds the number {Clip(v.ToJsonString())}, which is not finite";
                    break;
            }
            return null;
        }
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream)) write(writer);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The metadata's values, checked; <paramref name="fail"/> makes the exception for a problem.</summary>
    public sealed class Reader(IReadOnlyDictionary<string, string> metadata, Func<string, Exception> fail)
    {
        public void CheckFormat()
        {
            if (!metadata.TryGetValue("format", out var format) || format != Format)
                throw fail($"it is not a LightNets training checkpoint: its metadata has no \"format\": \"{Format}\" (a safetensors file from another tool?)");
            var version = WholeNumber("format_version");
            if (version != Version)
                throw fail($"it is checkpoint format version {version}; this LightNets reads version {Version}");
        }

        /// <summary>A required whole number ≥ 0 written in decimal digits (no sign, no exponent, no NaN).</summary>
        public long WholeNumber(string key)
        {
            var text = Required(key);
            if (text.Length is 0 or > 19 || !text.All(char.IsAsciiDigit) || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                throw fail($"its metadata \"{key}\" is \"{Clip(text)}\", not a whole number from 0 to {long.MaxValue}");
            return n;
        }

        /// <summary>A metadata value that is JSON text (see <see cref="Problem"/>), returned verbatim.</summary>
        public string JsonText(string key, bool mustBeObject)
        {
            var text = Required(key);
            return Problem(text, mustBeObject) is { } problem ? throw fail($"its metadata \"{key}\" {problem}") : text;
        }

        /// <summary>A metadata value that is a JSON object, parsed.</summary>
        public JsonObject Object(string key) => (JsonObject)JsonNode.Parse(JsonText(key, mustBeObject: true))!;

        /// <summary>An object of named whole numbers (64-bit, exact).</summary>
        public Dictionary<string, long> Integers(JsonObject obj, string what)
        {
            var result = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (name, value) in obj)
            {
                if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out long n))
                    throw fail($"{what} \"{name}\" is {Clip(value?.ToJsonString() ?? "null")}, not a whole number");
                result[name] = n;
            }
            return result;
        }

        /// <summary>Named whole numbers ≥ 0.</summary>
        public Dictionary<string, long> Counts(JsonObject obj, string what)
        {
            var result = Integers(obj, what);
            foreach (var (name, n) in result)
                if (n < 0) throw fail($"{what} \"{name}\" is {n}, below 0");
            return result;
        }

        public bool Has(string key) => metadata.ContainsKey(key);

        private string Required(string key) =>
            metadata.TryGetValue(key, out var text) ? text : throw fail($"its metadata lacks \"{key}\", which every LightNets checkpoint has");
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
