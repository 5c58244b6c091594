using System.Text.Json;
using Sluice.EventLog;

namespace Sluice.Storage.Sqlite;

/// <summary>Partition leases on SQLite: one row per partition with its owner, epoch and end.</summary>
internal sealed class SqlitePartitionLeases(SqliteDatabase database) : IPartitionLeases
{
    private volatile NodeState? _self;

    public IReadOnlyList<PartitionLease> Claim(string owner, int want, long now, long until, bool takeOver)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE partition_leases SET owner = $owner, epoch = epoch + 1, lease_until = $until
            WHERE partition IN (
                SELECT partition FROM partition_leases
                WHERE $takeOver OR owner IS NULL OR lease_until < $now
                ORDER BY partition LIMIT $want)
            RETURNING partition, epoch
            """;
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$until", until);
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$want", want);
        command.Parameters.AddWithValue("$takeOver", takeOver);
        return ReadLeases(command);
    }

    public IReadOnlyList<PartitionLease> Renew(string owner, IReadOnlyList<PartitionLease> leases, long until)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE partition_leases SET lease_until = $until
            WHERE owner = $owner AND (partition, epoch) IN (SELECT value ->> '$[0]', value ->> '$[1]' FROM json_each($leases))
            RETURNING partition, epoch
            """;
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$until", until);
        command.Parameters.AddWithValue("$leases", JsonSerializer.Serialize(leases.Select(l => new[] { l.Partition, l.Epoch })));
        return ReadLeases(command);
    }

    public void Release(string owner, IReadOnlyList<PartitionLease> leases)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE partition_leases SET owner = NULL, lease_until = 0
            WHERE owner = $owner AND (partition, epoch) IN (SELECT value ->> '$[0]', value ->> '$[1]' FROM json_each($leases))
            """;
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$leases", JsonSerializer.Serialize(leases.Select(l => new[] { l.Partition, l.Epoch })));
        command.ExecuteNonQuery();
    }

    /// <summary>One process uses an embedded store (a second one fences the first out at start): it is the only node.</summary>
    public int Heartbeat(string owner, long now, long aliveSince)
    {
        _self = new NodeState(owner, _self?.Owner == owner ? _self.StartedAt : now, now);
        return 1;
    }

    public void Leave(string owner) => _self = null;

    /// <summary>Nothing to do: the embedded store's single process takes every lease over at start.</summary>
    public void Retire(string nodeName, string owner)
    {
    }

    public IReadOnlyList<NodeState> ReadNodes(long aliveSince) => _self is { } self && self.SeenAt >= aliveSince ? [self] : [];

    public IReadOnlyList<LeaseState> ReadLeases()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT partition, owner, epoch, lease_until FROM partition_leases ORDER BY partition";
        using var reader = command.ExecuteReader();
        var leases = new List<LeaseState>();
        while (reader.Read())
        {
            leases.Add(new LeaseState(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return leases;
    }

    private static List<PartitionLease> ReadLeases(Microsoft.Data.Sqlite.SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var leases = new List<PartitionLease>();
        while (reader.Read())
        {
            leases.Add(new PartitionLease(reader.GetInt32(0), reader.GetInt64(1)));
        }

        leases.Sort((a, b) => a.Partition.CompareTo(b.Partition));
        return leases;
    }
}
