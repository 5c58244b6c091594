using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.FullStory;

/// <summary>
/// Identify User V2: creates or updates a user through FullStory's Create User API. Without a user
/// id the request has no <c>uid</c>, so FullStory creates a new anonymous user each time (as Segment does).
/// </summary>
public static class IdentifyUserV2
{
    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "identifyUserV2",
        Title = "Identify User V2",
        Description = "Sets user identity variables. (Create User API)",
        DefaultSubscription = "type = \"identify\"",
        Fields = new Dictionary<string, InputField>
        {
            ["uid"] = new() { Label = "User ID", Description = "The user's id.", Type = FieldType.String, Default = Directives.Path("$.userId") },
            ["anonymousId"] = new() { Label = "Anonymous ID", Description = "The user's anonymous id.", Type = FieldType.String, Default = Directives.Path("$.anonymousId") },
            ["displayName"] = new() { Label = "Display Name", Description = "The user's display name.", Type = FieldType.String, Default = Directives.Path("$.traits.name") },
            ["email"] = new() { Label = "Email", Description = "The user's email.", Type = FieldType.String, Default = Directives.Path("$.traits.email") },
            ["properties"] = new() { Label = "Traits", Description = "The Segment traits to be forwarded to FullStory.", Type = FieldType.Object, AdditionalProperties = true, Default = Directives.Path("$.traits") },
        },
        Perform = input => Requests(PayloadFields.Of(input.PayloadElement), input.Settings, input.MessageId),
        PerformOnFields = Requests,
    };

    /// <summary>The request, written in one pass from the payload's fields, in the reference's key order (uid, email, display_name, properties).</summary>
    private static IReadOnlyList<OutgoingRequest> Requests(PayloadFields payload, JsonObject settings, string messageId)
    {
        using var rented = RentedJsonWriter.Rent();
        var body = rented.Writer;
        body.WriteStartObject();
        if (payload["uid"] is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } uid)
        {
            body.WritePropertyName("uid");
            uid.WriteTo(body);
        }

        WritePresent(body, payload, "email", "email");
        WritePresent(body, payload, "displayName", "display_name");
        body.WritePropertyName("properties");
        PropertyNames.Write(body, payload["properties"], NamingRules.StripOnly, payload.Text("anonymousId") is { Length: > 0 } anonymousId ? ("segmentAnonymousId", anonymousId) : null);
        body.WriteEndObject();

        return [FullStoryApi.Request(settings, "POST", "v2/users", rented.ToArray(), [messageId])];
    }

    /// <summary>A field the payload holds (null included) under the name FullStory takes.</summary>
    private static void WritePresent(Utf8JsonWriter body, PayloadFields payload, string field, string name)
    {
        if (payload[field] is { ValueKind: not JsonValueKind.Undefined } value)
        {
            body.WritePropertyName(name);
            FullStoryApi.Write(body, value);
        }
    }
}
