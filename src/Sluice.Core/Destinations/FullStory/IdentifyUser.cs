using System.Text.Json.Nodes;
using Sluice.Actions.Kit;

namespace Sluice.Destinations.FullStory;

/// <summary>Identify User (V1): sets custom user properties of a user FullStory already knows from the browser.</summary>
public static class IdentifyUser
{
    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "identifyUser",
        Title = "Identify User",
        Description = "Sets user identity variables with FullStory's V1 API. New mappings should use Identify User V2, as the presets do.",
        DefaultSubscription = "type = \"identify\"",
        Fields = new Dictionary<string, InputField>
        {
            ["userId"] = new() { Label = "User ID", Description = "The user's id.", Type = FieldType.String, Required = true, Default = Directives.Path("$.userId") },
            ["anonymousId"] = new() { Label = "Anonymous ID", Description = "The user's anonymous id.", Type = FieldType.String, Default = Directives.Path("$.anonymousId") },
            ["displayName"] = new() { Label = "Display Name", Description = "The user's display name.", Type = FieldType.String, Default = Directives.Path("$.traits.name") },
            ["email"] = new() { Label = "Email", Description = "The user's email.", Type = FieldType.String, Default = Directives.Path("$.traits.email") },
            ["traits"] = new() { Label = "Traits", Description = "The Segment traits to be forwarded to FullStory.", Type = FieldType.Object, AdditionalProperties = true, Default = Directives.Path("$.traits") },
        },
        Perform = input =>
        {
            var payload = input.Payload;
            var body = PropertyNames.Normalize(payload["traits"], new NamingRules(CamelCase: true, TypeSuffix: true));
            if (FullStoryApi.Text(payload, "anonymousId") is { Length: > 0 } anonymousId)
            {
                body["segmentAnonymousId_str"] = anonymousId;
            }

            // email and displayName are FullStory's system fields; they overwrite same-named traits.
            if (payload.ContainsKey("email"))
            {
                body["email"] = payload["email"]?.DeepClone();
            }

            if (payload.ContainsKey("displayName"))
            {
                body["displayName"] = payload["displayName"]?.DeepClone();
            }

            var userId = FullStoryApi.Text(payload, "userId") ?? "";
            return [FullStoryApi.Request(
                input.Settings,
                "POST",
                $"users/v1/individual/{FullStoryApi.UrlComponent(userId)}/customvars?integration=segment",
                body,
                [input.MessageId],
                status => status == 404 ? FullStoryApi.UserNotFound : null)];
        },
    };

}
