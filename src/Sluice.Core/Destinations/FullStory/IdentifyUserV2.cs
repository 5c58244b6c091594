using System.Buffers;
using System.Text.Json;
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
        Perform = input =>
        {
            // Read from the payload's document, written in one pass, in the reference's key order (uid, email, display_name, properties).
            var payload = input.PayloadElement;
            using var rented = RentedJsonWriter.Rent();
            var body = rented.Writer;
            body.WriteStartObject();
            if (FullStoryApi.Field(payload, "uid") is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } uid)
            {
                body.WritePropertyName("uid");
                uid.WriteTo(body);
            }

            WritePresent(body, payload, "email", "email");
            WritePresent(body, payload, "displayName", "display_name");
            body.WritePropertyName("properties");
            PropertyNames.Write(body, FullStoryApi.Field(payload, "properties"), NamingRules.StripOnly, FullStoryApi.Text(payload, "anonymousId") is { Length: > 0 } anonymousId ? ("segmentAnonymousId", anonymousId) : null);
            body.WriteEndObject();

            return [FullStoryApi.Request(input.Settings, "POST", "v2/users", rented.ToArray(), [input.MessageId])];
        },
    };

    /// <summary>A field the payload holds (null included) under the name FullStory takes.</summary>
    private static void WritePresent(Utf8JsonWriter body, JsonElement payload, string field, string name)
    {
        if (FullStoryApi.Field(payload, field).ValueKind != JsonValueKind.Undefined)
        {
            body.WritePropertyName(name);
            FullStoryApi.Write(body, payload, field);
        }
    }
}
