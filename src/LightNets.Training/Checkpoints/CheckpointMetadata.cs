using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LightNets.Training.Checkpoints;

/// <summary>
/// The safetensors metadata (a map of strings) of a LightNets checkpoint, and the names of its tensors. Structured
/// values are JSON text inside the strings; reading them back refuses anything but what <see cref="Encode"/> writes:
/// whole numbers stay exact 64-bit integers, metrics are finite numbers (JSON has no NaN, and a "NaN" string is not a
/// number), nesting is bounded.
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
            ["model"] = (state.Model ?? new JsonObject()).ToJsonString(),
            ["options"] = (state.Options ?? new JsonObject()).ToJsonString(),
            ["metrics"] = Json(w =>
            {
                w.WriteStartArray();
                foreach (var record in state.Metrics)
                {
                    w.WriteStartObject();
                    foreach (var (key, value) in record)
                    {
                        if (!double.IsFinite(value)) throw new ArgumentException($"metric '{key}' is {value}; a checkpoint stores finite metrics only (JSON has no NaN or ∞)", nameof(state));
                        w.WriteNumber(key, value);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }),
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

        public JsonObject Object(string key)
        {
            var node = Parse(key, MaxDepth, $"is not valid JSON (or repeats a name, or nests deeper than {MaxDepth} levels)");
            return node as JsonObject ?? throw fail($"its metadata \"{key}\" is JSON {node?.GetValueKind().ToString().ToLowerInvariant() ?? "null"}, not an object");
        }

        /// <summary>
        /// Parses a metadata value as JSON and reads every name and string in it once, so that nothing the caller later
        /// reads can throw: JSON escapes can spell a lone surrogate ("\ud800"), which .NET refuses only on reading.
        /// </summary>
        private JsonNode? Parse(string key, int maxDepth, string problem)
        {
            var text = Required(key);
            try
            {
                var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
                Visit(node);
                return node;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw fail($"its metadata \"{key}\" {problem}");
            }

            static void Visit(JsonNode? node)
            {
                switch (node)
                {
                    case JsonObject o:
                        foreach (var (_, child) in o) Visit(child);
                        break;
                    case JsonArray a:
                        foreach (var child in a) Visit(child);
                        break;
                    case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                        v.GetValue<string>();
                        break;
                }
            }
        }

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

        public List<IReadOnlyDictionary<string, double>> Metrics()
        {
            var node = Parse("metrics", 2, "is not valid JSON, or not an array of flat objects (a repeated name, a NaN or ∞ literal, deeper nesting, a lone surrogate)");
            if (node is not JsonArray records) throw fail("its metadata \"metrics\" is not a JSON array");
            var result = new List<IReadOnlyDictionary<string, double>>(records.Count);
            foreach (var record in records)
            {
                if (record is not JsonObject fields) throw fail($"its metrics hold {Clip(record?.ToJsonString() ?? "null")}, not an object of named numbers");
                var values = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var (name, value) in fields)
                {
                    // A number token can still overflow double ("1e999" reads as ∞): finite only.
                    if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out double d) || !double.IsFinite(d))
                        throw fail($"its metric \"{name}\" is {Clip(value?.ToJsonString() ?? "null")}, not a finite number");
                    values[name] = d;
                }
                result.Add(values);
            }
            return result;
        }

        public bool Has(string key) => metadata.ContainsKey(key);

        private string Required(string key) =>
            metadata.TryGetValue(key, out var text) ? text : throw fail($"its metadata lacks \"{key}\", which every LightNets checkpoint has");
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
