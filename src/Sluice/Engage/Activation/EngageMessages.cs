using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Engage.Definitions;
using Sluice.Engage.Store;
using Sluice.Profiles;
using Sluice.Spec;
using Sluice.Workspace;

namespace Sluice.Engage.Activation;

/// <summary>A message an Engage sync sends: its deterministic messageId, type, stored JSON and whose it is (for the log's partition).</summary>
internal sealed record EngageMessage(string MessageId, string Type, byte[] Json, string UserKey);

/// <summary>
/// The messages that carry a computed trait's value or an audience membership to one destination, in the
/// shapes Segment's Engage sends (docs/engage.md, "What destinations receive"): an identify whose traits
/// hold the key (and the profile's email), and, when the connection says so, a track ("Audience
/// Entered"/"Audience Exited", "Trait Computed"); each with <c>context.personas</c> and an integrations
/// object that names the destination alone. One message per user id of the profile (per anonymous id when
/// it has none). The messageId is a hash of the connection, the change and the identifier: a sync done
/// again after a crash sends the same messages, which the log stores once.
/// </summary>
internal static class EngageMessages
{
    /// <summary>The source Engage's messages to a destination come from: one system source per connected destination, as in Segment.</summary>
    public const string SourcePrefix = Routing.RoutingTable.DestinationSourcePrefix;

    /// <summary>The space every computation is in (Sluice has one per workspace).</summary>
    public const string Space = "spa_sluice";

    public static string SourceOf(string destinationId) => SourcePrefix + destinationId;

    /// <param name="reason">What the messages are for, part of their ids: a change's id, or the first sync's value.</param>
    public static IEnumerable<EngageMessage> For(
        string key,
        bool audience,
        EngageConnection connection,
        string destinationName,
        IReadOnlyList<StoredIdentifier> identifiers,
        string profileId,
        string json,
        string reason,
        long at)
    {
        var value = JsonNode.Parse(json);
        var email = identifiers.LastOrDefault(i => i.Identifier.Type == "email")?.Identifier.Value;
        var anonymous = identifiers.Where(i => i.Identifier.Type == "anonymous_id").Select(i => i.Identifier.Value).ToList();
        var users = identifiers.Where(i => i.Identifier.Type == "user_id").Select(i => i.Identifier.Value).ToList();
        // Who the messages are for: each user id; without one, each anonymous id; without either, the profile itself.
        IEnumerable<(string? UserId, string? AnonymousId)> targets = users.Count > 0
            ? users.Select(u => ((string?)u, anonymous.LastOrDefault()))
            : anonymous.Count > 0 ? anonymous.Select(a => ((string?)null, (string?)a)) : [(null, profileId)];
        var connectionKey = $"{key}/{connection.DestinationId}";
        foreach (var (userId, anonymousId) in targets)
        {
            var who = userId ?? anonymousId!;
            if (connection.SendIdentify)
            {
                var traits = new JsonObject { [key] = value?.DeepClone() };
                if (email is not null)
                {
                    traits["email"] = email;
                }

                yield return Message(connectionKey, reason, "identify", who, Base(userId, anonymousId, key, audience, destinationName, at, email: null), m => m["traits"] = traits);
            }

            if (connection.SendTrack)
            {
                var name = audience ? (json == "true" ? connection.EnterEvent : connection.ExitEvent) : connection.ComputeEvent;
                var properties = audience
                    ? new JsonObject { ["audience_key"] = key, [key] = value?.DeepClone() }
                    : new JsonObject { ["trait_key"] = key, [key] = value?.DeepClone() };
                yield return Message(connectionKey, reason, "track", who, Base(userId, anonymousId, key, audience, destinationName, at, email), m =>
                {
                    m["event"] = name;
                    m["properties"] = properties;
                });
            }
        }
    }

    private static JsonObject Base(string? userId, string? anonymousId, string key, bool audience, string destinationName, long at, string? email)
    {
        var message = new JsonObject();
        if (userId is not null)
        {
            message["userId"] = userId;
        }

        if (anonymousId is not null)
        {
            message["anonymousId"] = anonymousId;
        }

        var context = new JsonObject();
        if (email is not null)
        {
            context["traits"] = new JsonObject { ["email"] = email };
        }

        context["personas"] = new JsonObject
        {
            ["computation_class"] = audience ? "audience" : "trait",
            ["computation_id"] = (audience ? "aud_" : "ct_") + key,
            ["computation_key"] = key,
            ["namespace"] = Space,
            ["space_id"] = Space,
        };
        context["library"] = new JsonObject { ["name"] = "unknown", ["version"] = "unknown" };
        message["context"] = context;
        message["integrations"] = new JsonObject { ["All"] = false, [destinationName] = true };
        var time = IsoTimestamp.Format(at);
        message["timestamp"] = time;
        message["receivedAt"] = time;
        message["channel"] = "server";
        message["version"] = 2;
        return message;
    }

    private static EngageMessage Message(string connection, string reason, string type, string who, JsonObject message, Action<JsonObject> fill)
    {
        var id = "personas_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{connection}\n{reason}\n{type}\n{who}")))[..32];
        var ordered = new JsonObject { ["type"] = type, ["messageId"] = id };
        foreach (var (name, node) in message.ToList())
        {
            message.Remove(name);
            ordered[name] = node;
        }

        fill(ordered);
        return new EngageMessage(id, type, Encoding.UTF8.GetBytes(ordered.ToJsonString()), (string?)ordered["anonymousId"] ?? who);
    }
}
