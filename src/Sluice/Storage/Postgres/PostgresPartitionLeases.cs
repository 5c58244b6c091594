using Npgsql;
using Sluice.EventLog;

namespace Sluice.Storage.Postgres;

/// <summary>
/// Partition leases on PostgreSQL: one row per partition with its owner, epoch and end. A claim locks
/// the rows it takes with <c>SKIP LOCKED</c>, so nodes claiming at once take different partitions
/// instead of waiting on each other, and a row a commit is fencing (<c>FOR SHARE</c>) is passed over.
/// </summary>
internal sealed class PostgresPartitionLeases(PostgresDatabase database) : IPartitionLeases
{
    public IReadOnlyList<PartitionLease> Claim(string owner, int want, long now, long until, bool takeOver)
    {
        if (want <= 0)
        {
            return [];
        }

        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            WITH free AS MATERIALIZED (
                SELECT partition FROM partition_leases
                WHERE $4 OR owner IS NULL OR lease_until < $3
                ORDER BY partition LIMIT $5
                FOR UPDATE SKIP LOCKED)
            UPDATE partition_leases l SET owner = $1, epoch = l.epoch + 1, lease_until = $2
            FROM free WHERE l.partition = free.partition
            RETURNING l.partition, l.epoch
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = until });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = takeOver });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = want });
        return ReadLeases(command);
    }

    public IReadOnlyList<PartitionLease> Renew(string owner, IReadOnlyList<PartitionLease> leases, long until)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            UPDATE partition_leases l SET lease_until = $2
            FROM unnest($3::smallint[], $4::bigint[]) AS held (partition, epoch)
            WHERE l.partition = held.partition AND l.epoch = held.epoch AND l.owner = $1
            RETURNING l.partition, l.epoch
            """, connection);
        AddLeases(command, owner, leases);
        command.Parameters.Insert(1, new NpgsqlParameter<long> { TypedValue = until });
        return ReadLeases(command);
    }

    public void Release(string owner, IReadOnlyList<PartitionLease> leases)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            UPDATE partition_leases l SET owner = NULL, lease_until = 0
            FROM unnest($2::smallint[], $3::bigint[]) AS held (partition, epoch)
            WHERE l.partition = held.partition AND l.epoch = held.epoch AND l.owner = $1
            """, connection);
        AddLeases(command, owner, leases);
        command.ExecuteNonQuery();
    }

    /// <summary>Nodes not seen for a day are deleted: a node killed long ago leaves no row behind.</summary>
    public int Heartbeat(string owner, long now, long aliveSince)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            WITH seen AS (
                INSERT INTO nodes (owner, host, started_at, seen_at) VALUES ($1, $2, $3, $3)
                ON CONFLICT (owner) DO UPDATE SET seen_at = excluded.seen_at),
            gone AS (DELETE FROM nodes WHERE seen_at < $3 - 86400000)
            SELECT 1 + COUNT(*) FROM nodes WHERE seen_at >= $4 AND owner <> $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Environment.MachineName });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = aliveSince });
        return (int)(long)command.ExecuteScalar()!;
    }

    public void Leave(string owner)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("DELETE FROM nodes WHERE owner = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.ExecuteNonQuery();
    }

    public void Retire(string nodeName, string owner)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("""
            WITH gone AS (DELETE FROM nodes WHERE left(owner, length($1) + 1) = $1 || '#' AND owner <> $2)
            UPDATE partition_leases SET owner = NULL, lease_until = 0 WHERE left(owner, length($1) + 1) = $1 || '#' AND owner <> $2
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = nodeName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<LeaseState> ReadLeases()
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT partition, owner, epoch, lease_until FROM partition_leases ORDER BY partition", connection);
        using var reader = command.ExecuteReader();
        var leases = new List<LeaseState>();
        while (reader.Read())
        {
            leases.Add(new LeaseState(reader.GetInt16(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return leases;
    }

    public IReadOnlyList<NodeState> ReadNodes(long aliveSince)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand("SELECT owner, started_at, seen_at FROM nodes WHERE seen_at >= $1 ORDER BY started_at, owner", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = aliveSince });
        using var reader = command.ExecuteReader();
        var nodes = new List<NodeState>();
        while (reader.Read())
        {
            nodes.Add(new NodeState(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return nodes;
    }

    private static void AddLeases(NpgsqlCommand command, string owner, IReadOnlyList<PartitionLease> leases)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. leases.Select(l => (short)l.Partition)] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. leases.Select(l => l.Epoch)] });
    }

    private static List<PartitionLease> ReadLeases(NpgsqlCommand command)
    {
        using var reader = command.ExecuteReader();
        var leases = new List<PartitionLease>();
        while (reader.Read())
        {
            leases.Add(new PartitionLease(reader.GetInt16(0), reader.GetInt64(1)));
        }

        leases.Sort((a, b) => a.Partition.CompareTo(b.Partition));
        return leases;
    }
}
