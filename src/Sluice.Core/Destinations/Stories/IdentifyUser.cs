using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.Stories;

/// <summary>
/// Identify: with Sync Users on, first merges the user (<c>POST /v1/users</c>: name, email, phone,
/// the other traits as attributes), then records an "Identify" event on their timeline. The event
/// goes only after the merge succeeded, so it lands on a user that exists; a retry starts again
/// from the merge, which is an upsert.
/// </summary>
public static class IdentifyUser
{
    private static readonly string[] SystemTraits = ["name", "email", "phone"];

    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "identify",
        Title = "Identify",
        Description = "Record an identify on the user's timeline and, with Sync Users on, update the user's attributes.",
        DefaultSubscription = "type = \"identify\"",
        Fields = new Dictionary<string, InputField>
        {
            ["userId"] = StoriesApi.UserIdField,
            ["traits"] = new()
            {
                Label = "Traits",
                Description = "The user's traits: name, email and phone become the user's own fields, the others attributes.",
                Type = FieldType.Object,
                AdditionalProperties = true,
                Default = Directives.Path("$.traits"),
            },
        },
        SkipReason = StoriesApi.SkipAnonymous,
        Perform = input =>
        {
            var traits = input.Payload["traits"] as JsonObject ?? [];
            var timeline = StoriesApi.Event(input, "Identify", new JsonObject { ["traits"] = traits.DeepClone() });
            return StoriesApi.SyncsUsers(input.Settings) ? [Merge(input, traits), timeline] : [timeline];
        },
    };

    private static OutgoingRequest Merge(ActionInput input, JsonObject traits)
    {
        var user = new JsonObject { ["user_id"] = input.Payload["userId"]?.DeepClone() };
        if (Name(traits) is { } name)
        {
            user["name"] = name;
        }

        foreach (var key in SystemTraits.Skip(1).Where(k => traits[k] is not null))
        {
            user[key] = traits[key]!.DeepClone();
        }

        var attributes = new JsonObject();
        foreach (var (key, value) in traits.Where(t => !SystemTraits.Contains(t.Key)))
        {
            attributes[key] = value?.DeepClone();
        }

        if (attributes.Count > 0)
        {
            user["attributes"] = attributes;
        }

        return StoriesApi.Request(input.Settings, "POST", "v1/users", user, [input.MessageId]);
    }

    /// <summary><c>name</c>, or first and last name joined (Segment's usual full-name rule).</summary>
    private static JsonNode? Name(JsonObject traits)
    {
        if (traits["name"] is { } name)
        {
            return name.DeepClone();
        }

        var first = Text(traits["firstName"]) ?? Text(traits["first_name"]);
        var last = Text(traits["lastName"]) ?? Text(traits["last_name"]);
        return first is null && last is null ? null : JsonValue.Create(string.Join(' ', new[] { first, last }.Where(p => p is not null)));

        static string? Text(JsonNode? node) => JsValues.IsString(node, out _) || JsValues.IsNumber(node, out _) ? JsValues.ToJsString(node) : null;
    }
}
