namespace LightNets.Cli.Output;

public enum OutputFormat
{
    Table,
    Csv,
    Json,
    Markdown,
}
