using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Store;
using Sluice.EventLog;
using Sluice.Profiles;
using Sluice.Storage;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// What Engage's part of a profiles consumer's step saves, recorded as the consumer runs it on SQLite: a profile
/// is written only when something it stores moved, and an event no aggregate takes is not taken at all.
/// </summary>
public sealed class EngageStepTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-10-01T00:00:00Z", CultureInfo.InvariantCulture);
    private readonly SqliteBackend _backend = new();
    private int _appended;

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void A_profile_is_written_again_only_when_what_it_stores_moves()
    {
        using var store = _backend.Open();
        var definitions = new EngageDefinitions(
            [new ComputedTraitDefinition("orders", "orders", "event('Order Completed').count()", EngageQueryParser.ParseComputedTrait("event('Order Completed').count()"), false)],
            [new AudienceDefinition("pro_users", "pro_users", "trait('plan') = 'pro'", EngageQueryParser.ParseAudience("trait('plan') = 'pro'"), false)]);
        var recording = new RecordingPart(new Engagement(definitions, TimeProvider.System));
        var consumer = new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true), recording);

        Consume(store, consumer, recording, """{"type":"identify","userId":"ada","traits":{"plan":"pro"}}""", """{"type":"track","userId":"ada","event":"Order Completed"}""");
        Assert.Single(recording.Saved.OfType<EngageStateSaved>());
        Assert.Equal(["orders=1", "pro_users=true"], Values(recording));

        // The same plan again: the audience reads it, finds what it found, and nothing of the profile's is written.
        Consume(store, consumer, recording, """{"type":"identify","userId":"ada","traits":{"plan":"pro"}}""");
        Assert.Empty(recording.Saved);

        // An event no aggregate takes changes nothing, and nothing is written.
        Consume(store, consumer, recording, """{"type":"track","userId":"ada","event":"Product Viewed"}""");
        Assert.Empty(recording.Saved);

        // Another plan moves the audience: the value and the state are written.
        Consume(store, consumer, recording, """{"type":"identify","userId":"ada","traits":{"plan":"free"}}""");
        Assert.Equal(["pro_users=false"], Values(recording));
        var saved = Assert.Single(recording.Saved.OfType<EngageStateSaved>());
        Assert.Equal("false", JsonNode.Parse(saved.State.ToString())!["v"]!["pro_users"]!.ToJsonString());

        // An order moves the count: the aggregate's state and the value are written.
        Consume(store, consumer, recording, """{"type":"track","userId":"ada","event":"Order Completed"}""");
        Assert.Equal(["orders=2"], Values(recording));
        Assert.Single(recording.Saved.OfType<EngageStateSaved>());
        Assert.Equal("2", store.Profiles.EngageValues("orders", 10).Single().Json);
    }

    private static List<string> Values(RecordingPart recording) =>
        [.. recording.Saved.OfType<EngageValueChanged>().Select(c => $"{c.Key}={c.Json}").Order(StringComparer.Ordinal)];

    /// <summary>Appends the messages in one commit and has the consumer take them in one step, recording only that step's changes.</summary>
    private void Consume(StoreHandle store, ProfilesConsumer consumer, RecordingPart recording, params string[] messages)
    {
        var at = Start.AddMinutes(_appended).ToUnixTimeMilliseconds();
        var pending = messages.Select(json =>
        {
            var message = JsonNode.Parse(json)!.AsObject();
            message["messageId"] = $"m{++_appended}";
            message["timestamp"] = DateTimeOffset.FromUnixTimeMilliseconds(at).ToString("O", CultureInfo.InvariantCulture);
            return new PendingEvent((string)message["messageId"]!, checkDuplicate: true, (string)message["type"]!, Encoding.UTF8.GetBytes(message.ToJsonString()), EventPartitions.Of("web", (string)message["userId"]!, store.EventLog.PartitionCount));
        }).ToList();
        store.EventLog.Append([new EventBatch("web", pending, at)], at, 0);
        EventLogContract.Settle(store.EventLog, _appended);

        store.Cursors.Register(consumer.Name, consumer.Start);
        var epochs = store.Leases.Claim("node-a", 1_000, now: 0, until: long.MaxValue / 2, takeOver: false).ToDictionary(l => l.Partition, l => l.Epoch);
        foreach (var lease in store.Leases.ReadLeases().Where(l => l.Owner == "node-a"))
        {
            epochs[lease.Partition] = lease.Epoch;
        }

        var cursors = store.Cursors.Read(consumer.Name);
        var rows = store.EventLog.ReadFrom(cursors.Values.DefaultIfEmpty(0).Min(), 10_000, null).Where(r => r.Position > cursors.GetValueOrDefault(r.Partition)).ToList();
        recording.Saved.Clear();
        consumer.Consume(rows, [.. rows.GroupBy(r => r.Partition).Select(g => new CursorAdvance(consumer.Name, g.Key, g.Max(r => r.Position), "node-a", epochs[g.Key]))]);
    }

    /// <summary>Engage as the consumer runs it, with what each step's part saved of the profiles kept (the definitions' own changes left out).</summary>
    private sealed class RecordingPart(Engagement engagement) : IProfileStepPart
    {
        public List<ProfileChange> Saved { get; } = [];

        public IProfileStepObserver? Begin(IProfileGraphReader reader, bool recomputation) =>
            ((IProfileStepPart)engagement).Begin(reader, recomputation) is { } observer ? new Recorded(observer, Saved) : null;

        private sealed class Recorded(IProfileStepObserver observer, List<ProfileChange> saved) : IProfileStepObserver
        {
            public void Prefetch(IEnumerable<string> profileIds) => observer.Prefetch(profileIds);

            public void Observe(IReadOnlyList<ProfileChange> changes, int from, JsonElement message, ReadOnlyMemory<byte> stored) =>
                observer.Observe(changes, from, message, stored);

            public IEnumerable<ProfileChange> Finish(Func<string, IReadOnlySet<string>?> identifierTypesOf)
            {
                foreach (var change in observer.Finish(identifierTypesOf))
                {
                    if (change is EngageStateSaved or EngageValueChanged or EngageValueResent)
                    {
                        saved.Add(change);
                    }

                    yield return change;
                }
            }
        }
    }
}
