using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Sluice.EventLog;
using Sluice.Infrastructure;
using Sluice.Profiles.Identity;
using Sluice.Profiles.Store;
using Sluice.Storage.Sqlite;

namespace Sluice.Profiles;

/// <summary>
/// <c>sluice serve</c> with profiles on, killed with SIGKILL at random moments while it takes in and resolves
/// the generated corpus, and started again each time: the profiles it ends with are the ones a recomputation
/// from its log gives, in the log's order and at the log's times.
/// </summary>
public sealed class ProfilesCrashTests
{
    [Fact]
    public async Task Profiles_built_across_kills_agree_with_a_recomputation_from_the_log()
    {
        var workspace = await TestWorkspace.CreateAsync("""
            sources:
              - {id: web, writeKey: wk_profiles}
            identity:
              maxMerges: 3
              rules:
                anonymous_id: {limit: 3, window: 7d}
            """);
        var corpus = IdentityCorpusTests.Corpus(20_000, seed: 15).Select((e, i) =>
        {
            var message = JsonNode.Parse(e.Message)!.AsObject();
            message["messageId"] = $"crash-{i}";
            if ((string?)message["type"] == "track")
            {
                message["event"] = "Viewed";
            }

            return message.ToJsonString();
        }).ToList();
        var random = new Random(15);
        var sent = 0;
        int? port = null;
        var killedBehind = 0;
        for (var life = 0; life < 4; life++)
        {
            await using var server = await workspace.StartAsync(port);
            port = server.Port;
            using var client = Client(server);
            var killAfter = TimeSpan.FromMilliseconds(random.Next(100, 900));
            var started = DateTime.UtcNow;
            while (sent < corpus.Count && DateTime.UtcNow - started < killAfter)
            {
                await PostAsync(client, corpus.Skip(sent).Take(100));
                sent = Math.Min(sent + 100, corpus.Count);
            }

            await Task.Delay(killAfter - (DateTime.UtcNow - started) is { Ticks: > 0 } left ? left : TimeSpan.Zero);
            server.Kill();
            killedBehind += await PartitionsBehindAsync(workspace.DataDirectory) > 0 ? 1 : 0;
        }

        await using (var last = await workspace.StartAsync(port))
        {
            using var client = Client(last);
            foreach (var chunk in corpus.Skip(sent).Chunk(100))
            {
                await PostAsync(client, chunk);
            }

            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (await PartitionsBehindAsync(workspace.DataDirectory) > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the profiles consumer did not reach the end of the log");
                await Task.Delay(100);
            }
        }

        Assert.True(killedBehind > 0, "every kill came after the profiles had caught up: the test proved nothing");

        var database = new SqliteDatabase(workspace.DataDirectory, SqliteDurability.Full);
        IProfileStore store = new SqliteProfileStore(database);
        var logged = ReadLog(new SqliteEventLog(database));
        Assert.Equal(corpus.Count, logged.Count);
        var (reference, _) = BruteForceIdentity.Compute(logged, IdentityCorpusTests.Settings);
        var stored = reference.SelectMany(p => p).Select(i => store.ProfileOf(i) ?? throw new InvalidOperationException($"{i} has no profile"))
            .Distinct().Select(id => store.IdentifiersOf(id).ToHashSet()).ToList();
        Assert.Equal(IdentityCorpusTests.Canonical(reference), IdentityCorpusTests.Canonical(stored));
    }

    private static HttpClient Client(SluiceProcess server)
    {
        var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("wk_profiles:")));
        return client;
    }

    private static async Task PostAsync(HttpClient client, IEnumerable<string> messages)
    {
        using var response = await client.PostAsync("/v1/batch", new StringContent("{\"batch\":[" + string.Join(',', messages) + "]}", Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Partitions whose last row the profiles consumer has not passed (read beside a running server, or after it).</summary>
    private static async Task<long> PartitionsBehindAsync(string dataDirectory)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "sluice.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var behind = connection.CreateCommand();
        behind.CommandText = """
            SELECT count(*) FROM (SELECT partition, max(position) AS last FROM event_log GROUP BY partition) l
            LEFT JOIN consumer_cursors c ON c.consumer = 'profiles' AND c.partition = l.partition
            WHERE c.position IS NULL OR c.position < l.last
            """;
        return (long)(await behind.ExecuteScalarAsync())!;
    }

    /// <summary>Every message in log order, with its log time and identifiers, as the consumer reads them.</summary>
    private static List<(long At, IReadOnlyList<Identifier> Ids)> ReadLog(SqliteEventLog log)
    {
        var messages = new List<(long, IReadOnlyList<Identifier>)>();
        for (var rows = log.ReadFrom(0, 500, null); rows.Count > 0; rows = log.ReadFrom(rows[^1].Position, 500, null))
        {
            foreach (var row in rows)
            {
                foreach (var message in LogMessages.Split(row.Messages))
                {
                    using var document = JsonDocument.Parse(message);
                    messages.Add((row.ReceivedAt, IdentifierExtraction.From(document.RootElement, IdentityCorpusTests.Settings)));
                }
            }
        }

        return messages;
    }
}
