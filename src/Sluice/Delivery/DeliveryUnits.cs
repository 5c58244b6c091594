using System.Text.Json;
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

    /// <summary>
    /// The stored payload, parsed once when first read (a delivery whose requests were built as it was
    /// routed never reads it); its nodes are built only if an action reads them (FullStory's V2 actions read the document).
    /// </summary>
    public JsonElement PayloadElement => _payloadElement ??= JsonElement.Parse(Delivery.Payload);

    public JsonObject? Payload => PayloadElement.ValueKind == JsonValueKind.Object ? _payload ??= JsonObject.Create(PayloadElement) : null;

    private JsonElement? _payloadElement;

    private JsonObject? _payload;

    /// <summary>What perform takes for this job alone.</summary>
    public ActionInput Input(RoutedDestination destination) => new(Payload!, destination.Settings, Delivery.MessageId) { PayloadElement = PayloadElement };
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
            // Requests built at routing are one delivery's own: routing builds none for a mapping that batches.
            var size = job.Delivery.Requests is null && job.Action?.PerformBatch is not null && job.PayloadElement.ValueKind == JsonValueKind.Object && job.PayloadElement.TryGetProperty("batch_size"u8, out var n) && n.ValueKind == JsonValueKind.Number && n.TryGetDouble(out var count) ? (int)count : 0;
            if (size <= 1)
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
