using System.Text.Json.Nodes;

namespace Sluice.Actions.Kit;

/// <summary>Mapping-kit directives as field defaults are written in destination definitions.</summary>
public static class Directives
{
    /// <summary><c>{"@path": "$.userId"}</c>: the value at that path of the event.</summary>
    public static JsonObject Path(string path) => new() { ["@path"] = path };
}
