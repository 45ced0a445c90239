using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LightNets.Cli.Output;

/// <summary>Writes indented UTF-8 JSON with typed numbers (never formatted strings) to a text writer.</summary>
public static class Json
{
    public static void Write(TextWriter writer, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            body(json);
        writer.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    public static void Shape(this Utf8JsonWriter json, string name, Tensors.Shape shape)
    {
        json.WriteStartArray(name);
        foreach (var d in shape) json.WriteNumberValue(d);
        json.WriteEndArray();
    }
}
