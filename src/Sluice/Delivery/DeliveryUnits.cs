using System.Text.Json.Nodes;
using Sluice.Actions.Kit;
using Sluice.Routing;
using Sluice.Storage;

namespace Sluice.Delivery;

/// <summary>A claimed delivery with what sending it needs, parsed once.</summary>
internal sealed class DeliveryJob(ClaimedDelivery delivery, RoutedDestination? destination)
{
    public ClaimedDelivery Delivery { get; } = delivery;

    public RoutedDestination? Destination { get; } = destination;

    public ActionDefinition? Action { get; } = destination?.Definition.Actions.GetValueOrDefault(delivery.Action);

    public JsonObject? Payload { get; } = JsonNode.Parse(delivery.Payload) as JsonObject;
}

/// <summary>How a claim's jobs are grouped into requests.</summary>
internal static class DeliveryUnits
{
    /// <summary>
    /// Jobs sent together: one each, except for mappings that turn batching on (<c>batch_size</c> above 0,
    /// an action with performBatch), whose jobs due together share requests when their <c>batch_keys</c>
    /// fields are equal, up to <c>batch_size</c> a request.
    /// </summary>
    public static IEnumerable<IReadOnlyList<DeliveryJob>> Of(IReadOnlyList<ClaimedDelivery> claimed, RoutingTable table)
    {
        var batches = new Dictionary<string, List<DeliveryJob>>(StringComparer.Ordinal);
        foreach (var delivery in claimed)
        {
            var job = new DeliveryJob(delivery, table.Find(delivery.DestinationId));
            var size = job.Payload?["batch_size"] is JsonValue v && v.TryGetValue<double>(out var n) ? (int)n : 0;
            if (size <= 1 || job.Action?.PerformBatch is null)
            {
                yield return [job];
                continue;
            }

            var keys = job.Payload!["batch_keys"] is JsonArray names ? names.Select(k => (string?)k ?? "") : [];
            var key = string.Join("\u0001", [delivery.DestinationId, delivery.Mapping, .. keys.Select(k => job.Payload[k]?.ToJsonString() ?? "")]);
            if (!batches.TryGetValue(key, out var batch))
            {
                batches[key] = batch = [];
            }

            batch.Add(job);
            if (batch.Count == size)
            {
                yield return batch;
                batches[key] = [];
            }
        }

        foreach (var batch in batches.Values.Where(b => b.Count > 0))
        {
            yield return batch;
        }
    }
}
