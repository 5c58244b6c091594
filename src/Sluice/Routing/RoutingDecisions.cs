using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;
using Sluice.Observability;
using Sluice.Spec;
using Sluice.Storage;

namespace Sluice.Routing;

/// <summary>
/// The router's decisions for one stored message, without I/O: for every destination its source
/// feeds, filtered (disabled, call type, Integrations object, a destination filter, no mapping
/// matched), skipped (a payload that does not fit the action, a call the service cannot take),
/// failed (a mapping that throws), or a job per matching mapping with its validated payload.
/// </summary>
/// <param name="suppressed">Subjects privacy regulations suppress: a message of one stored in the instant before this node heard of it is filtered everywhere.</param>
internal sealed partial class RoutingDecisions(RoutingTable table, ILogger<RoutingDecisions> logger, Workspace.SuppressedSubjects? suppressed = null)
{
    /// <summary>The reason a suppressed subject's message is filtered with (Segment's word for it).</summary>
    public const string SuppressedReason = "suppressed: a privacy regulation suppresses this event's user";

    /// <summary>Adds what happens to the message at each destination its source feeds: a job per matching mapping, or one final record saying why not.</summary>
    public void Route(LoggedMessage message, List<NewDelivery> deliveries)
    {
        var destinations = table.ForSource(message.SourceId);
        if (destinations.Count == 0)
        {
            return;
        }

        using var document = JsonDocument.Parse(message.Json);
        var root = document.RootElement;
        var messageId = root.TryGetProperty("messageId"u8, out var id) && JsonStrings.Read(id) is { } text ? text : "";
        if (suppressed?.Covers(root) == true)
        {
            deliveries.AddRange(destinations.Select(d => Final(d, message, messageId, DeliveryStatus.Filtered, SuppressedReason)));
            return;
        }

        foreach (var destination in destinations)
        {
            var decided = deliveries.Count;
            if (Filtered(destination, root) is { } reason)
            {
                deliveries.Add(Final(destination, message, messageId, DeliveryStatus.Filtered, reason));
                continue;
            }

            var (filteredEvent, filterReason) = ApplyFilters(destination, root, message.Json);
            if (filterReason is not null)
            {
                deliveries.Add(Final(destination, message, messageId, DeliveryStatus.Filtered, filterReason));
                continue;
            }

            foreach (var mapping in destination.Mappings)
            {
                if (!mapping.Trigger.Matches(filteredEvent.Element))
                {
                    continue;
                }

                deliveries.Add(Job(destination, mapping, message, messageId, filteredEvent));
            }

            if (deliveries.Count == decided)
            {
                deliveries.Add(Final(destination, message, messageId, DeliveryStatus.Filtered, "no mapping's trigger matched the event"));
            }
        }
    }

    /// <summary>The checks before filters: enabled, the Integrations object.</summary>
    private static string? Filtered(RoutedDestination destination, JsonElement message)
    {
        if (!destination.Enabled)
        {
            return "the destination is disabled";
        }

        // Before the Integrations object and filters, as in Segment: nothing can make a destination take a type it does not support.
        if (destination.Definition.SupportedTypes is { } types
            && (!message.TryGetProperty("type"u8, out var type) || JsonStrings.Read(type) is not { } name || !types.Contains(name)))
        {
            return $"{destination.Definition.Name} does not take {(message.TryGetProperty("type"u8, out var t) ? JsonStrings.Read(t) : "untyped")} calls (unsupported event type)";
        }

        return IntegrationsObject.Allows(message, destination.IntegrationKeys)
            ? null
            : "the event's Integrations object turns this destination off";
    }

    /// <summary>
    /// Destination filters in Segment's order (sample, drop, block fields, allow fields). A filter
    /// whose condition cannot be evaluated drops the event: it fails closed.
    /// </summary>
    /// <returns>The event as the filters left it: its node is null when they changed nothing.</returns>
    private static ((JsonElement Element, JsonObject? Node) Event, string? Reason) ApplyFilters(RoutedDestination destination, JsonElement root, byte[] json)
    {
        if (destination.Filters.Count == 0)
        {
            return ((root, null), null);
        }

        JsonObject? edited = null;
        foreach (var effect in new[] { FilterEffect.Sample, FilterEffect.Drop, FilterEffect.Block, FilterEffect.Allow })
        {
            foreach (var filter in destination.Filters.Where(f => f.Effect == effect))
            {
                bool selected;
                try
                {
                    selected = filter.Condition?.Matches(root) ?? true;
                }
                catch (Exception)
                {
                    return ((root, null), $"filter '{filter.Name}' could not be evaluated, so the event was dropped");
                }

                if (!selected)
                {
                    continue;
                }

                switch (effect)
                {
                    case FilterEffect.Drop:
                        return ((root, null), $"dropped by filter '{filter.Name}'");
                    case FilterEffect.Sample when !Sampled(root, filter.SamplePercent):
                        return ((root, null), $"not in the {filter.SamplePercent.ToString(System.Globalization.CultureInfo.InvariantCulture)}% sample of filter '{filter.Name}'");
                    case FilterEffect.Block:
                        edited ??= JsonNode.Parse(json)!.AsObject();
                        foreach (var field in filter.Fields)
                        {
                            RemovePath(edited, field);
                        }

                        break;
                    case FilterEffect.Allow:
                        edited ??= JsonNode.Parse(json)!.AsObject();
                        KeepOnly(edited, filter.Fields);
                        break;
                }
            }
        }

        if (edited is null)
        {
            return ((root, null), null);
        }

        // Triggers see the event as the filters left it; the document lives as long as the element is used (this routing step).
        var element = JsonDocument.Parse(edited.ToJsonString()).RootElement;
        return ((element, edited), null);
    }

    /// <summary>A stable choice per messageId, so that a retried or replayed event is sampled the same way.</summary>
    private static bool Sampled(JsonElement root, double percent)
    {
        var id = root.TryGetProperty("messageId"u8, out var m) ? m.GetRawText() : "";
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(id))
        {
            hash = (hash ^ b) * 16777619u; // FNV-1a: stable across processes and versions, unlike string.GetHashCode
        }

        return hash % 10_000 < percent * 100;
    }

    private static void RemovePath(JsonObject node, string path)
    {
        var segments = path.Split('.');
        JsonObject? current = node;
        for (var i = 0; i < segments.Length - 1 && current is not null; i++)
        {
            current = current[segments[i]] as JsonObject;
        }

        current?.Remove(segments[^1]);
    }

    /// <summary>Allow lists name the properties/traits/context fields to keep; the message's own top-level fields stay.</summary>
    private static void KeepOnly(JsonObject node, IReadOnlyList<string> paths)
    {
        foreach (var container in new[] { "properties", "traits", "context" })
        {
            if (node[container] is not JsonObject fields)
            {
                continue;
            }

            var keep = paths.Where(p => p.StartsWith(container + ".", StringComparison.Ordinal)).Select(p => p[(container.Length + 1)..]).ToHashSet(StringComparer.Ordinal);
            foreach (var key in fields.Select(f => f.Key).Where(k => !keep.Contains(k)).ToList())
            {
                fields.Remove(key);
            }
        }
    }

    /// <param name="source">The event as filters left it: the parsed document (alive for this whole step) unless a filter edited it.</param>
    private NewDelivery Job(RoutedDestination destination, RoutedMapping mapping, LoggedMessage message, string messageId, (JsonElement Element, JsonObject? Node) source)
    {
        try
        {
            // The payload is written to the job before the document goes: values wrapped from it are not used later.
            // The mapping's plan writes it from the document when it can; the resolver answers the rest, errors included.
            // A delivery the dispatcher may send as it is routed gets its requests now, from the same document (it would otherwise parse its payload again).
            IReadOnlyList<OutgoingRequest>? requests = null;
            var sentAtOnce = !destination.Ordered && destination.RateLimit is null or <= 0;
            var payload = (source.Node is not null ? null
                    : sentAtOnce ? mapping.Action.TryWritePayload(mapping.Mapping, source.Element, destination.Settings, messageId, out requests)
                    : mapping.Action.TryWritePayload(mapping.Mapping, source.Element))
                ?? JsValues.ToUtf8Json(source.Node is { } edited
                    ? mapping.Action.PreparePayload(mapping.Mapping, edited)
                    : mapping.Action.PreparePayload(mapping.Mapping, source.Element));
            return new NewDelivery(destination.Id, mapping.Name, mapping.Action.Slug, messageId, message.Position, message.Index, DeliveryStatus.Pending, null, payload)
            {
                UserKey = destination.Ordered ? UserKeyOf(source.Element) : null,
                Requests = requests,
            };
        }
        catch (DeliverySkippedException exception)
        {
            return new NewDelivery(destination.Id, mapping.Name, mapping.Action.Slug, messageId, message.Position, message.Index, DeliveryStatus.Skipped, exception.Message, null);
        }
        catch (MappingTransformException exception)
        {
            LogMappingFailed(destination.Id, mapping.Name, exception.Message);
            return new NewDelivery(destination.Id, mapping.Name, mapping.Action.Slug, messageId, message.Position, message.Index, DeliveryStatus.Failed, $"mapping '{mapping.Name}' failed: {exception.Message}", null);
        }
        catch (Exception exception)
        {
            // One event must never stop routing for everyone: fail it, say so, keep the stack in the log.
            LogMappingCrashed(exception, destination.Id, mapping.Name);
            return new NewDelivery(destination.Id, mapping.Name, mapping.Action.Slug, messageId, message.Position, message.Index, DeliveryStatus.Failed, $"internal error in mapping '{mapping.Name}': {exception.Message}", null);
        }
    }

    /// <summary>Whose order an ordered destination keeps: the event log's partition key, anonymousId or else userId.</summary>
    private static string? UserKeyOf(JsonElement message) =>
        message.TryGetProperty("anonymousId"u8, out var anonymous) && anonymous.ValueKind == JsonValueKind.String ? "a:" + anonymous.GetString()
        : message.TryGetProperty("userId"u8, out var user) && user.ValueKind == JsonValueKind.String ? "u:" + user.GetString()
        : null;

    private static NewDelivery Final(RoutedDestination destination, LoggedMessage message, string messageId, DeliveryStatus status, string reason) =>
        new(destination.Id, null, null, messageId, message.Position, message.Index, status, reason, null);

    [LoggerMessage(EventId = EventIds.MappingCrashed, Level = LogLevel.Error, Message = "Mapping {Mapping} of destination {DestinationId} threw")]
    private partial void LogMappingCrashed(Exception exception, string destinationId, string mapping);

    [LoggerMessage(EventId = EventIds.MappingFailed, Level = LogLevel.Warning, Message = "Mapping {Mapping} of destination {DestinationId} failed on an event: {Error}")]
    private partial void LogMappingFailed(string destinationId, string mapping, string error);
}
