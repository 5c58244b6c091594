using System.Text.Json.Nodes;
using Sluice.Actions.Kit;

namespace Sluice.Destinations.Stories;

/// <summary>Track: a "Track" event on the user's timeline, the event's name as its content.</summary>
public static class TrackEvent
{
    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "track",
        Title = "Track",
        Description = "Record a track call on the user's timeline.",
        DefaultSubscription = "type = \"track\"",
        Fields = new Dictionary<string, InputField>
        {
            ["userId"] = StoriesApi.UserIdField,
            ["event"] = new() { Label = "Event", Description = "The event's name, shown as the timeline entry's content.", Type = FieldType.String, Default = Directives.Path("$.event") },
            ["properties"] = new() { Label = "Properties", Description = "The event's properties.", Type = FieldType.Object, AdditionalProperties = true, Default = Directives.Path("$.properties") },
        },
        SkipReason = StoriesApi.SkipAnonymous,
        Perform = input => [StoriesApi.Event(input, "Track", Data(input.Payload, "event"))],
    };

    /// <summary><c>data</c> of a track or page event: the call's name as <c>content</c>, and its properties.</summary>
    internal static JsonObject Data(JsonObject payload, string contentField)
    {
        var data = new JsonObject();
        if (payload[contentField] is { } content)
        {
            data["content"] = content.DeepClone();
        }

        if (payload["properties"] is { } properties)
        {
            data["properties"] = properties.DeepClone();
        }

        return data;
    }
}
