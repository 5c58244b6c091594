using System.Text;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;

namespace Sluice.Destinations.TestOnly;

/// <summary>
/// A destination that exists only in the tests, to show that the catalog is the only list of
/// destinations: nothing in the server names it, yet the workspace file, the Admin API, the router,
/// the dispatcher and the web app all take it once a host adds it to the catalog.
/// </summary>
internal static class LedgerDestination
{

    // Static properties initialize in the order they are written: each after what it reads.
    private static ActionDefinition Record { get; } = new()
    {
        Slug = "record",
        Title = "Record",
        Description = "One ledger line.",
        Fields = new Dictionary<string, InputField>
        {
            ["line"] = new() { Label = "Line", Type = FieldType.String, Required = true },
            ["user"] = new() { Label = "User", Type = FieldType.String },
        },
        Perform = input => (string?)input.Payload["user"] is "nobody" ? throw new ActionError(ActionErrorKind.PayloadInvalid, "the ledger keeps no lines for nobody") :
        [
            new OutgoingRequest
            {
                Method = "POST",
                Url = new Uri($"{(string)input.Settings["endpoint"]!}/lines"),
                Headers = [new("Authorization", $"Bearer {(string)input.Settings["apiKey"]!}"), new("Content-Type", "application/json")],
                Body = Encoding.UTF8.GetBytes(new JsonObject { ["line"] = input.Payload["line"]?.DeepClone(), ["user"] = input.Payload["user"]?.DeepClone() }.ToJsonString()),
                MessageIds = [input.MessageId],
                // The ledger says "slow down" with a 400: retried, where the status alone would fail it.
                ClassifyAnswer = (status, body) => status == 400 && body?.Contains("slow down", StringComparison.Ordinal) == true ? ActionErrorKind.RetryableHttp : null,
            },
        ],
    };

    public static DestinationDefinition Definition { get; } = new()
    {
        Name = "Ledger (test only)",
        Slug = "test-ledger",
        Description = "Writes one line per event to a ledger service.",
        Settings = new Dictionary<string, SettingField>
        {
            ["endpoint"] = new() { Label = "Endpoint", Type = SettingType.String, Required = true, Format = "uri" },
            ["apiKey"] = new() { Label = "API Key", Type = SettingType.Password, Required = true },
        },
        Actions = new Dictionary<string, ActionDefinition> { [Record.Slug] = Record },
        Presets = [new Preset("Record tracks", "type = \"track\"", "record", new JsonObject { ["line"] = Directives.Path("$.event"), ["user"] = Directives.Path("$.userId") })],
    };

    /// <summary>The built-in catalog with the ledger added.</summary>
    public static DestinationCatalog Catalog { get; } = DestinationCatalog.Builtin.With(Definition);

    /// <summary>A workspace file with the test source and a ledger destination <c>books</c> with its preset, sending to <paramref name="endpoint"/>.</summary>
    public static string WorkspaceYaml(string endpoint) => $$"""
        sources:
          - {id: web, writeKey: {{Infrastructure.InProcessServer.WriteKey}}}
        destinations:
          - id: books
            type: test-ledger
            sources: [web]
            settings: {endpoint: '{{endpoint}}', apiKey: ledger-key}
        """;
}
