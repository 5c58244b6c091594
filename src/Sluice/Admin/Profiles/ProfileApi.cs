using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.EventLog;
using Sluice.Profiles;
using Sluice.Profiles.Identity;
using Sluice.Spec;
using Sluice.Workspace;

namespace Sluice.Admin.Profiles;

/// <summary>
/// The Profile API's read side, shaped like Segment's (<c>/v1/spaces/{space}/collections/users/profiles/{id}/…</c>,
/// so that code written for profiles.segment.com works with the host changed): a profile named by
/// <c>type:value</c> or by its id; <c>include</c>, <c>limit</c>, <c>verbose</c>; errors as
/// <c>{"error":{"code","message"}}</c>. Authenticated by an admin token with read permission, sent as
/// Segment's clients send theirs (HTTP Basic, the token as user name) or as a bearer token.
/// </summary>
internal static class ProfileApi
{
    private const int DefaultLimit = 10;
    private const int MaxLimit = 200;

    public static IEndpointRouteBuilder MapProfileApi(this IEndpointRouteBuilder endpoints)
    {
        var profile = endpoints.MapGroup("/v1/spaces/{space}/collections/users/profiles/{id}").AddEndpointFilter(RequireToken);
        profile.MapGet("/traits", Traits);
        profile.MapGet("/external_ids", ExternalIds);
        profile.MapGet("/metadata", Metadata);
        profile.MapGet("/events", Events);
        return endpoints;
    }

    private static IResult Traits(string id, HttpContext http, IProfileStore store) => Listing(id, http, store, (profileId, limit, include) =>
    {
        var verbose = Verbose(http);
        var traits = new JsonObject();
        foreach (var trait in store.TraitRecordsOf(profileId).Where(t => include is null || include.Contains(t.Key)).Take(limit))
        {
            var value = JsonNode.Parse(trait.Json);
            traits[trait.Key] = verbose
                ? new JsonObject { ["value"] = value, ["source_id"] = trait.SourceId, ["updated_at"] = IsoTimestamp.Format(trait.ReceivedAt) }
                : value;
        }

        return new JsonObject { ["traits"] = traits, ["cursor"] = Cursor(http, limit) };
    });

    private static IResult ExternalIds(string id, HttpContext http, IProfileStore store) => Listing(id, http, store, (profileId, limit, include) =>
    {
        var data = new JsonArray();
        foreach (var external in store.ExternalIdsOf(profileId).Where(e => include is null || include.Contains(e.Identifier.Type)).Take(limit))
        {
            data.Add(new JsonObject
            {
                ["source_id"] = external.SourceId,
                ["collection"] = "users",
                ["id"] = external.Identifier.Value,
                ["type"] = external.Identifier.Type,
                ["created_at"] = IsoTimestamp.Format(external.AddedAt),
                ["encoding"] = "none",
                ["first_message_id"] = external.MessageId,
            });
        }

        return new JsonObject { ["data"] = data, ["cursor"] = Cursor(http, limit) };
    });

    /// <summary>A list route: the profile found, the limit and <c>include</c> read, or the error that stops it.</summary>
    private static IResult Listing(string id, HttpContext http, IProfileStore store, Func<string, int, HashSet<string>?, JsonObject> answer)
    {
        if (store.Find(id) is not { } profileId)
        {
            return NotFound();
        }

        return Limit(http) is { } limit ? Results.Json(answer(profileId, limit, Include(http))) : InvalidLimit();
    }

    /// <summary>
    /// The profile's events, read from the log by the references the profile keeps: newest first unless
    /// <c>sort=asc</c>, <c>limit</c> at a time, <c>next</c> from the previous page; <c>include</c> and
    /// <c>exclude</c> filter event names, and <c>start</c> and <c>end</c> the events' timestamps, within the
    /// page. An event the log no longer keeps is left out.
    /// </summary>
    private static IResult Events(string id, HttpContext http, IProfileStore store, IEventLog log)
    {
        if (store.Find(id) is not { } profileId)
        {
            return NotFound();
        }

        if (Limit(http) is not { } limit)
        {
            return InvalidLimit();
        }

        var sort = http.Request.Query["sort"].ToString();
        if (sort is not ("" or "asc" or "desc"))
        {
            return Error(StatusCodes.Status400BadRequest, "validation_error", "sort must be asc or desc");
        }

        EventPosition? after = null;
        if (http.Request.Query["next"].ToString() is { Length: > 0 } next)
        {
            if (!EventPosition.TryParse(next, out var from))
            {
                return Error(StatusCodes.Status400BadRequest, "validation_error", "next must be the cursor's next of a previous page");
            }

            after = from;
        }

        DateTimeOffset? start = null, end = null;
        foreach (var (name, set) in new (string, Action<DateTimeOffset>)[] { ("start", at => start = at), ("end", at => end = at) })
        {
            if (http.Request.Query[name].ToString() is { Length: > 0 } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                {
                    return Error(StatusCodes.Status400BadRequest, "validation_error", $"{name} must be a time in ISO 8601 (2026-12-01T00:00:00Z)");
                }

                set(at);
            }
        }

        var settings = http.RequestServices.GetService<IdentitySettingsSource>()?.Effective(store.StoredSettings()) ?? new IdentitySettings();
        var include = Include(http);
        var exclude = http.Request.Query["exclude"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var positions = store.EventsOf(profileId, limit, after, newestFirst: sort != "asc");
        var data = new JsonArray();
        var messages = new Messages(log);
        foreach (var at in positions)
        {
            using var stored = messages.At(at);
            if (stored is null)
            {
                continue;
            }

            var message = stored.Root;
            var name = message.TryGetProperty("event", out var eventName) && eventName.ValueKind == JsonValueKind.String ? eventName.GetString() : null;
            if ((include is not null && (name is null || !include.Contains(name))) || (name is not null && exclude.Contains(name)) || !Within(message, start, end))
            {
                continue;
            }

            data.Add(new JsonObject
            {
                ["external_ids"] = new JsonArray([.. IdentifierExtraction.From(message, settings).Select(i => (JsonNode)new JsonObject
                {
                    ["collection"] = "users",
                    ["type"] = i.Type,
                    ["id"] = i.Value,
                    ["encoding"] = "none",
                })]),
                ["context"] = Member(message, "context"),
                ["type"] = Member(message, "type"),
                ["message_id"] = Member(message, "messageId"),
                ["source_id"] = stored.SourceId,
                ["timestamp"] = Member(message, "timestamp"),
                ["properties"] = Member(message, "properties"),
                ["event"] = name,
                ["related"] = new JsonObject { ["users"] = profileId },
            });
        }

        var more = positions.Count == limit;
        return Results.Json(new JsonObject
        {
            ["data"] = data,
            ["cursor"] = new JsonObject
            {
                ["url"] = http.Request.Path + http.Request.QueryString,
                ["has_more"] = more,
                ["next"] = more ? positions[^1].ToString() : "",
                ["limit"] = limit,
            },
        });
    }

    /// <summary>Whether the event's <c>timestamp</c> is at or after <paramref name="start"/> and before <paramref name="end"/> (an event without one is outside any bound).</summary>
    private static bool Within(JsonElement message, DateTimeOffset? start, DateTimeOffset? end)
    {
        if (start is null && end is null)
        {
            return true;
        }

        return message.TryGetProperty("timestamp", out var timestamp) && timestamp.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(timestamp.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            && (start is null || at >= start) && (end is null || at < end);
    }

    private static JsonNode? Member(JsonElement message, string name) =>
        message.TryGetProperty(name, out var value) ? JsonNode.Parse(value.GetRawText()) : null;

    private static IResult Metadata(string id, IProfileStore store)
    {
        if (store.Find(id) is not { } profileId || store.MetadataOf(profileId) is not { } metadata)
        {
            return NotFound();
        }

        return Results.Json(new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["id"] = profileId,
                ["created_at"] = IsoTimestamp.Format(metadata.CreatedAt),
                ["updated_at"] = IsoTimestamp.Format(metadata.UpdatedAt),
                ["expires_at"] = null,
                ["first_message_id"] = metadata.FirstMessageId,
                ["first_source_id"] = metadata.FirstSourceId,
            },
        });
    }

    /// <summary>A profile by <c>type:value</c>, or by its id (a merged profile's id answers for the profile it went into).</summary>
    private static HashSet<string>? Include(HttpContext http) =>
        http.Request.Query["include"].ToString() is { Length: > 0 } list
            ? [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
            : null;

    private static bool Verbose(HttpContext http) => string.Equals(http.Request.Query["verbose"], "true", StringComparison.OrdinalIgnoreCase);

    private static int? Limit(HttpContext http) => AdminQuery.Limit(http, DefaultLimit, MaxLimit);

    /// <summary>Everything a profile has fits one page up to the limit; the shape is Segment's, <c>has_more</c> is false.</summary>
    private static JsonObject Cursor(HttpContext http, int limit) => new()
    {
        ["url"] = http.Request.Path + http.Request.QueryString,
        ["has_more"] = false,
        ["next"] = "",
        ["limit"] = limit,
    };

    private static IResult NotFound() => Error(StatusCodes.Status404NotFound, "not_found", "Profile was not found.");

    private static IResult InvalidLimit() => Error(StatusCodes.Status400BadRequest, "validation_error", $"limit must be a whole number from 1 to {MaxLimit}");

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }, statusCode: status);

    private static async ValueTask<object?> RequireToken(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        http.Response.Headers.CacheControl = "no-store";
        var role = AdminTokens.FromAuthorization(http.Request.Headers.Authorization.ToString()) is { } token
            ? http.RequestServices.GetRequiredService<AdminTokens>().Authenticate(token)?.Role
            : null;
        if (role is null)
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"sluice\"";
            return Error(StatusCodes.Status401Unauthorized, "authentication_error", "an admin token is required: HTTP Basic with the token as user name, or Authorization: Bearer <token>");
        }

        if (!Roles.Allows(role, Permission.Read))
        {
            return Error(StatusCodes.Status403Forbidden, "authentication_error", $"this token's role ({Roles.Normalize(role)}) lacks the permission 'read'");
        }

        return await next(invocation);
    }
}
