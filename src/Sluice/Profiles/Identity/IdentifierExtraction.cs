using System.Text;
using System.Text.Json;
using Sluice.Workspace;

namespace Sluice.Profiles.Identity;

/// <summary>
/// Reads a message's identifiers where Segment reads them: <c>userId</c>, <c>anonymousId</c>, <c>email</c>
/// from <c>traits</c> or <c>context.traits</c>, <c>groupId</c>, the device's ids by device type,
/// <c>context.externalIds</c>, and the configured custom keys. Blocked values and repeats are left out;
/// emails are trimmed and lowercased (Segment doesn't say whether it folds values; other values are kept
/// as sent). In the order of that list, which is the order "listed in the event" for ties.
/// </summary>
internal static class IdentifierExtraction
{
    /// <summary>The longest value read as an identifier.</summary>
    public const int MaxLength = 512;

    /// <summary>
    /// Whether a value can be an identifier: not empty, not blocked, at most <see cref="MaxLength"/>
    /// long (no real id is longer, and a key must fit an index entry), and without U+0000 (which
    /// PostgreSQL's text cannot hold; ingest refuses it in the message's own ids).
    /// </summary>
    public static bool Usable([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value, IdentitySettings settings) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxLength && !value.Contains('\0') && !settings.IsBlocked(value);

    public static IReadOnlyList<Identifier> From(JsonElement message, IdentitySettings settings)
    {
        var found = new List<Identifier>(2);
        void Add(string type, string? value)
        {
            if (!Usable(value, settings))
            {
                return;
            }

            var identifier = new Identifier(type, value);
            if (!found.Contains(identifier))
            {
                found.Add(identifier);
            }
        }

        Add("user_id", Text(message, "userId"));
        Add("email", (Text(message, "traits", "email") ?? Text(message, "context", "traits", "email"))?.Trim().ToLowerInvariant());
        Add("anonymous_id", Text(message, "anonymousId"));
        Add("group_id", Text(message, "groupId"));
        var device = Text(message, "context", "device", "type")?.ToLowerInvariant();
        if (device is "android" or "ios")
        {
            Add($"{device}.id", Text(message, "context", "device", "id"));
            if (Member(message, "context", "device", "adTrackingEnabled") is { ValueKind: JsonValueKind.True })
            {
                Add($"{device}.idfa", Text(message, "context", "device", "advertisingId"));
            }

            Add($"{device}.push_token", Text(message, "context", "device", "token"));
        }

        Add("ga_client_id", Text(message, "context", "integrations", "Google Analytics", "clientId"));
        if (Member(message, "context", "externalIds") is { ValueKind: JsonValueKind.Array } externalIds)
        {
            foreach (var external in externalIds.EnumerateArray())
            {
                // All four fields are required, as Segment requires them; only lowercase types are taken.
                if (Text(external, "type") is { } type && type == type.ToLowerInvariant() && Text(external, "collection") is "users" or "accounts"
                    && Text(external, "encoding") is not null)
                {
                    Add(type, Text(external, "id"));
                }
            }
        }

        for (var i = 0; i < settings.CustomKeys.Count; i++)
        {
            var key = settings.CustomKeys[i];
            var camel = CamelCase(key);
            Add(key, Text(message, "traits", key) ?? Text(message, "traits", camel) ?? Text(message, "context", "traits", key)
                ?? Text(message, "context", "traits", camel) ?? Text(message, "properties", key) ?? Text(message, "properties", camel));
        }

        return found;
    }

    /// <summary>A string, or a number as written (ids are often numeric); null for anything else.</summary>
    private static string? Text(JsonElement element, params ReadOnlySpan<string> path) => Member(element, path) switch
    {
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        { ValueKind: JsonValueKind.Number } value => value.GetRawText(),
        _ => null,
    };

    private static JsonElement? Member(JsonElement element, params ReadOnlySpan<string> path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element;
    }

    /// <summary><c>app_id</c> → <c>appId</c>.</summary>
    private static string CamelCase(string snake)
    {
        var camel = new StringBuilder(snake.Length);
        var upper = false;
        foreach (var c in snake)
        {
            if (c == '_')
            {
                upper = camel.Length > 0;
                continue;
            }

            camel.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return camel.ToString();
    }
}
