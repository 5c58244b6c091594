using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;

// 100,000 rows into a WITHOUT ROWID table keyed (type, value), as profile_identifiers is, in WAL with
// synchronous=NORMAL, each way three times, µs a row: random keys in commits of 1,000, 10,000 and
// 100,000 rows; sequential keys; without the automatic checkpoint; page sizes 1 and 8 KB; a bigger
// cache; mmap; and the rows of a commit bound as one JSON parameter read by json_each.
const int Rows = 100_000;
string[] ways = ["random", "sequential", "random-10k", "random-100k", "no-checkpoint", "page-1k", "page-8k", "cache-200mb", "mmap", "json-each"];
for (var round = 0; round < 3; round++)
{
    foreach (var way in ways)
    {
        Console.WriteLine($"round {round + 1} {way,-14} {Measure(way):0.00} µs a row");
    }
}

static double Measure(string way)
{
    var path = Path.Combine(Path.GetTempPath(), $"sluice-bench-sqlite-{Guid.NewGuid():N}.db");
    try
    {
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        if (way.StartsWith("page-", StringComparison.Ordinal))
        {
            Execute(connection, $"PRAGMA page_size={(way == "page-1k" ? 1024 : 8192)}");
        }

        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
        Execute(connection, way switch
        {
            "no-checkpoint" => "PRAGMA wal_autocheckpoint=0",
            "cache-200mb" => "PRAGMA cache_size=-200000",
            "mmap" => "PRAGMA mmap_size=1000000000",
            _ => "SELECT 1",
        });
        Execute(connection, "CREATE TABLE t (type TEXT NOT NULL, value TEXT NOT NULL, profile_id TEXT NOT NULL, added_at INTEGER NOT NULL, source_id TEXT NOT NULL, message_id TEXT NOT NULL, PRIMARY KEY (type, value)) WITHOUT ROWID");
        var random = new Random(1);
        var rows = Enumerable.Range(0, Rows)
            .Select(i => (Value: way == "sequential" ? $"device-{i:d8}" : $"device-{random.Next(1_000_000)}-{i}", Profile: $"prf_{i:x16}00000000", At: 1_000_000L + i, Message: $"m{i}"))
            .ToList();
        var perCommit = way switch { "random-10k" => 10_000, "random-100k" => 100_000, _ => 1_000 };
        var clock = Stopwatch.StartNew();
        for (var first = 0; first < Rows; first += perCommit)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            if (way == "json-each")
            {
                var json = new StringBuilder("[");
                for (var i = first; i < first + perCommit; i++)
                {
                    json.Append(i > first ? "," : "").Append($"[\"{rows[i].Value}\",\"{rows[i].Profile}\",{rows[i].At},\"{rows[i].Message}\"]");
                }

                command.CommandText = "INSERT INTO t SELECT 'anonymous_id', value->>0, value->>1, value->>2, 'web', value->>3 FROM json_each($1)";
                command.Parameters.AddWithValue("$1", json.Append(']').ToString());
                command.ExecuteNonQuery();
            }
            else
            {
                command.CommandText = "INSERT INTO t VALUES ('anonymous_id', $1, $2, $3, 'web', $4)";
                var parameters = Enumerable.Range(1, 4).Select(n => command.Parameters.Add(new SqliteParameter($"${n}", null))).ToArray();
                for (var i = first; i < first + perCommit; i++)
                {
                    (parameters[0].Value, parameters[1].Value, parameters[2].Value, parameters[3].Value) = (rows[i].Value, rows[i].Profile, rows[i].At, rows[i].Message);
                    command.ExecuteNonQuery();
                }
            }

            transaction.Commit();
        }

        return clock.Elapsed.TotalMicroseconds / Rows;
    }
    finally
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }
}

static void Execute(SqliteConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}
