using System.Text.Json.Nodes;

namespace Sluice.Infrastructure;

/// <summary>Reads a destination's delivery log through the Admin API, as a user would.</summary>
internal static class DeliveryLog
{
    public static async Task<IReadOnlyList<JsonObject>> ReadAsync(HttpClient admin, string destinationId, string? status = null, int limit = 1000)
    {
        var query = status is null ? $"limit={limit}" : $"status={status}&limit={limit}";
        var body = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/destinations/{destinationId}/deliveries?{query}"))!;
        return [.. body["deliveries"]!.AsArray().Select(d => d!.AsObject())];
    }

    /// <summary>Waits (10 s at most, or <paramref name="within"/>) for a delivery of the message that satisfies <paramref name="until"/>.</summary>
    public static async Task<JsonObject> WaitForAsync(HttpClient admin, string destinationId, string messageId, Func<JsonObject, bool>? until = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if ((await ReadAsync(admin, destinationId, limit: 100)).FirstOrDefault(d => (string?)d["messageId"] == messageId) is { } found
                && (until?.Invoke(found) ?? true))
            {
                return found;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"no delivery of {messageId} to {destinationId} reached the expected state");
    }

    public static Func<JsonObject, bool> Status(string status) => d => (string?)d["status"] == status;
}
