using System.Text.Json.Nodes;
using Sluice.Actions.Kit;

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
            var payload = input.Payload;
            var properties = PropertyNames.Normalize(payload["properties"], NamingRules.StripOnly);
            if (FullStoryApi.Text(payload, "anonymousId") is { Length: > 0 } anonymousId)
            {
                properties["segmentAnonymousId"] = anonymousId;
            }

            var body = new JsonObject();
            if (payload["uid"] is { } uid)
            {
                body["uid"] = uid.DeepClone();
            }

            if (payload.ContainsKey("email"))
            {
                body["email"] = payload["email"]?.DeepClone();
            }

            if (payload.ContainsKey("displayName"))
            {
                body["display_name"] = payload["displayName"]?.DeepClone();
            }

            body["properties"] = properties;
            return [FullStoryApi.Request(input.Settings, "POST", "v2/users", body, [input.MessageId])];
        },
    };
}
