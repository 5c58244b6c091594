using System.Data.Common;
using System.Text.Json;

namespace Sluice.Storage;

/// <summary>
/// Rows read back into records the same way from either backend: each store selects the columns in
/// the order given here.
/// </summary>
internal static class StoredRows
{
    /// <summary>id, destination_id, mapping, action, message_id, log_position, message_index, attempts, created_at, payload.</summary>
    public static ClaimedDelivery Claimed(DbDataReader row) => new(
        row.GetInt64(0),
        row.GetString(1),
        row.GetString(2),
        row.GetString(3),
        row.GetString(4),
        row.GetInt64(5),
        row.GetInt32(6),
        row.GetInt32(7),
        row.GetInt64(8),
        row.GetFieldValue<byte[]>(9));

    /// <summary>id, message_id, mapping, action, status, attempts, http_status, response, reason, created_at, updated_at, next_attempt_at.</summary>
    public static DeliveryRecord Delivery(DbDataReader row)
    {
        var status = DeliveryStatusNames.ParseStatus(row.GetString(4));
        return new DeliveryRecord(
            row.GetInt64(0),
            row.GetString(1),
            row.IsDBNull(2) ? null : row.GetString(2),
            row.IsDBNull(3) ? null : row.GetString(3),
            status,
            row.GetInt32(5),
            row.IsDBNull(6) ? null : row.GetInt32(6),
            row.IsDBNull(7) ? null : row.GetString(7),
            row.IsDBNull(8) ? null : row.GetString(8),
            row.GetInt64(9),
            row.GetInt64(10),
            status is DeliveryStatus.Pending or DeliveryStatus.Retrying ? row.GetInt64(11) : null);
    }

    /// <summary>id, name, write_key, managed_by, previous_write_key, previous_valid_until, allowed_origins.</summary>
    public static StoredSource Source(DbDataReader row) => new(row.GetString(0), row.GetString(1), row.GetString(2))
    {
        ManagedBy = row.GetString(3),
        PreviousWriteKey = row.IsDBNull(4) ? null : row.GetString(4),
        PreviousValidUntil = row.IsDBNull(5) ? null : row.GetInt64(5),
        AllowedOrigins = row.IsDBNull(6) ? null : JsonSerializer.Deserialize<List<string>>(row.GetString(6)),
    };
}
