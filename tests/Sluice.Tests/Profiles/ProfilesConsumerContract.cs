using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.EventLog;
using Sluice.Profiles.Identity;
using Sluice.Storage;
using Sluice.Workspace;

namespace Sluice.Profiles;

/// <summary>
/// The profiles consumer on each backend: events appended to the real log, read back and consumed in steps
/// as the runner does, give the profiles that a recomputation from scratch gives, in the log's order.
/// </summary>
public abstract class ProfilesConsumerContract : IDisposable
{
    private const string Node = "node-a";
    private readonly StoreBackend _backend;

    private protected ProfilesConsumerContract(StoreBackend backend) => _backend = backend;

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void Twenty_thousand_events_through_the_log_and_the_store_give_the_profiles_a_recomputation_in_log_order_gives()
    {
        using var store = _backend.Open();
        var corpus = IdentityCorpusTests.Corpus(20_000, seed: 14).ToList();
        AppendCorpus(store, corpus, 0, corpus.Count);

        var consumed = Consume(store, new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(IdentityCorpusTests.Settings, managedByFile: true)));

        Assert.Equal(corpus.Count, consumed.Count);
        var (reference, _) = BruteForceIdentity.Compute(consumed, IdentityCorpusTests.Settings);
        var stored = reference.SelectMany(p => p).Select(i => store.Profiles.ProfileOf(i) ?? throw new InvalidOperationException($"{i} has no profile"))
            .Distinct().Select(id => store.Profiles.IdentifiersOf(id).ToHashSet()).ToList();
        Assert.Equal(IdentityCorpusTests.Canonical(reference), IdentityCorpusTests.Canonical(stored));
        var kept = reference.SelectMany(p => p).ToHashSet();
        Assert.All(consumed.SelectMany(e => e.Ids).Where(i => !kept.Contains(i)).Distinct(), dropped => Assert.Null(store.Profiles.ProfileOf(dropped)));
    }

    [Fact]
    public void An_unmerge_gives_the_profiles_a_recomputation_with_the_identifier_blocked_gives_and_later_events_leave_it_out()
    {
        using var store = _backend.Open();
        var settings = IdentityCorpusTests.Settings;
        var consumer = new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(settings, managedByFile: true));
        var corpus = IdentityCorpusTests.Corpus(20_000, seed: 15).ToList();
        AppendCorpus(store, corpus, 0, 15_000);
        // A kiosk: one device on which several people sign in, each also on a device of their own.
        for (var person = 0; person < 4; person++)
        {
            var at = corpus[14_999].At + (person * 1_000);
            Append(store, at + 1, $$$"""{"type":"identify","anonymousId":"own-{{{person}}}","traits":{"email":"k{{{person}}}@example.com"}}""");
            Append(store, at + 2, $$$"""{"type":"identify","anonymousId":"kiosk","traits":{"email":"k{{{person}}}@example.com"}}""");
        }

        var consumed = Consume(store, consumer);
        var kiosk = new Identifier("anonymous_id", "kiosk");
        Assert.Equal(store.Profiles.ProfileOf(new Identifier("email", "k0@example.com")), store.Profiles.ProfileOf(new Identifier("email", "k1@example.com")));

        // The kiosk, the team email many people typed, and an identifier of the largest profile.
        var unmerge = new Recompute.ProfileUnmerge(store.Profiles, store.EventLog, new IdentitySettingsSource(settings, managedByFile: true), TimeProvider.System);
        var (before, _) = BruteForceIdentity.Compute(consumed, settings);
        List<Identifier> chosen = [kiosk, new("email", "team@example.com"), before.OrderByDescending(p => p.Count).First(p => !p.Contains(kiosk)).OrderBy(i => i.ToString(), StringComparer.Ordinal).First()];
        var blocked = new HashSet<Identifier>();
        foreach (var identifier in chosen)
        {
            var profile = store.Profiles.ProfileOf(identifier);
            Assert.NotNull(profile);
            var done = unmerge.Unmerge(profile, identifier, "test", "shared");
            blocked.Add(identifier);
            Assert.Equal(0, done.MissingEvents);
            Assert.Equal(Canonical(Blocking(consumed, blocked), settings), StoredProfiles(store, Blocking(consumed, blocked)));
        }

        Assert.NotEqual(store.Profiles.ProfileOf(new Identifier("email", "k0@example.com")), store.Profiles.ProfileOf(new Identifier("email", "k1@example.com")));

        // Events after the unmerges: the consumer leaves the blocked identifiers out, as the reference does.
        AppendCorpus(store, corpus, 15_000, corpus.Count);
        consumed.AddRange(Consume(store, consumer));
        Assert.Equal(corpus.Count + 8, consumed.Count);
        Assert.Equal(Canonical(Blocking(consumed, blocked), settings), StoredProfiles(store, Blocking(consumed, blocked)));
        Assert.All(blocked, identifier => Assert.Null(store.Profiles.ProfileOf(identifier)));
        Assert.Equal(blocked.Select(i => i.ToString()).Order(StringComparer.Ordinal), store.Profiles.BlockedIdentifiers(10).Select(b => b.Identifier.ToString()).Order(StringComparer.Ordinal));

        // Lifting the kiosk's block gives what a recomputation without that block gives, events after the unmerge included.
        var lifted = unmerge.Unblock(kiosk, "test", "not shared after all");
        blocked.Remove(kiosk);
        Assert.Equal(0, lifted.MissingEvents);
        Assert.Equal(Canonical(Blocking(consumed, blocked), settings), StoredProfiles(store, Blocking(consumed, blocked)));
        Assert.Equal(store.Profiles.ProfileOf(new Identifier("email", "k0@example.com")), store.Profiles.ProfileOf(kiosk));
        Assert.Throws<Recompute.RecomputationRefusedException>(() => unmerge.Unblock(kiosk, "test", null));
    }

    [Fact]
    public void Saved_settings_recompute_the_profiles_they_change_to_what_a_recomputation_with_them_gives()
    {
        using var store = _backend.Open();
        var before = IdentityCorpusTests.Settings;
        var source = new IdentitySettingsSource(before, managedByFile: false);
        var consumer = new ProfilesConsumer(store.Profiles, source);
        var corpus = IdentityCorpusTests.Corpus(20_000, seed: 16).ToList();
        AppendCorpus(store, corpus, 0, 15_000);
        var consumed = Consume(store, consumer);
        var change = new Recompute.IdentitySettingsChange(store.Profiles, store.EventLog, store.Cursors, source, TimeProvider.System);

        // The settings in force, previewed: the replay gives the stored graph exactly.
        var same = change.Preview(before);
        Assert.Equal((0, 0, 0, consumed.Count), (same.Changed, same.MergeCount, same.SplitCount, same.Events));

        // Fewer devices a week, more merges allowed, and the team email blocked: some profiles merge, some split.
        var after = (before with { MaxMerges = 6, BlockedValues = [.. before.BlockedValues, "team@example.com"] })
            .WithRule("anonymous_id", new IdentifierRule(2, TimeSpan.FromDays(7), 6));
        var preview = change.Preview(after);
        Assert.True(preview.MergeCount > 0 && preview.SplitCount > 0, $"the preview shows {preview.MergeCount} merges and {preview.SplitCount} splits");
        var recomputed = change.Save(after, "test", recompute: true)!;
        Assert.Equal(preview.Changed, recomputed.Changed);
        Assert.Equal(Canonical(Under(after, consumed), after), StoredProfiles(store, Under(after, consumed)));
        Assert.Equal(0, change.Preview(after).Changed);

        // Later events are resolved with the saved settings, by a consumer that reads them from the store.
        AppendCorpus(store, corpus, 15_000, corpus.Count);
        consumed.AddRange(Consume(store, consumer));
        Assert.Equal(Canonical(Under(after, consumed), after), StoredProfiles(store, Under(after, consumed)));
    }

    /// <summary>The events' identifiers as <paramref name="settings"/> read them: the corpus differs only in blocked values.</summary>
    private static List<(long At, IReadOnlyList<Identifier> Ids)> Under(IdentitySettings settings, List<(long At, IReadOnlyList<Identifier> Ids)> events) =>
        [.. events.Select(e => (e.At, (IReadOnlyList<Identifier>)[.. e.Ids.Where(i => !settings.IsBlocked(i.Value))]))];

    private static List<(long At, IReadOnlyList<Identifier> Ids)> Blocking(List<(long At, IReadOnlyList<Identifier> Ids)> events, HashSet<Identifier> blocked) =>
        [.. events.Select(e => (e.At, (IReadOnlyList<Identifier>)[.. e.Ids.Where(i => !blocked.Contains(i))]))];

    private static List<string> Canonical(List<(long At, IReadOnlyList<Identifier> Ids)> events, IdentitySettings settings) =>
        IdentityCorpusTests.Canonical(BruteForceIdentity.Compute(events, settings).Profiles);

    /// <summary>The stored profiles that hold the identifiers of <paramref name="events"/>, each as its identifiers, canonical.</summary>
    private static List<string> StoredProfiles(StoreHandle store, List<(long At, IReadOnlyList<Identifier> Ids)> events) =>
        IdentityCorpusTests.Canonical(events.SelectMany(e => e.Ids).Distinct().Select(store.Profiles.ProfileOf).OfType<string>().Distinct()
            .Select(id => store.Profiles.IdentifiersOf(id).ToHashSet()));

    [Fact]
    public void A_trait_keeps_the_value_of_the_latest_timestamp_whatever_order_the_events_come_in()
    {
        using var store = _backend.Open();
        Append(store, 1_000, """{"type":"identify","userId":"ada","timestamp":"2026-11-02T00:00:00Z","traits":{"plan":"pro","city":"Paris"}}""");
        Append(store, 2_000, """{"type":"identify","userId":"ada","timestamp":"2026-11-01T00:00:00Z","traits":{"plan":"free","age":36}}""");
        Append(store, 3_000, """{"type":"identify","userId":"ada","timestamp":"2026-11-03T00:00:00Z","traits":{"city":null}}""");

        Consume(store, new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true)));

        var ada = store.Profiles.ProfileOf(new Identifier("user_id", "ada"))!;
        Assert.Equal(new Dictionary<string, string> { ["age"] = "36", ["plan"] = "\"pro\"" }, store.Profiles.TraitsOf(ada));
    }

    [Fact]
    public void Two_profiles_merge_into_the_older_which_takes_the_other_ones_identifiers_and_traits()
    {
        using var store = _backend.Open();
        Append(store, 1_000, """{"type":"identify","anonymousId":"phone","traits":{"plan":"free"}}""");
        Append(store, 2_000, """{"type":"identify","userId":"ada","timestamp":"2026-11-02T00:00:00Z","traits":{"name":"Ada"}}""");
        Append(store, 3_000, """{"type":"track","userId":"ada","anonymousId":"phone","event":"Signed In"}""");

        Consume(store, new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true)));

        var phone = store.Profiles.ProfileOf(new Identifier("anonymous_id", "phone"))!;
        Assert.Equal(phone, store.Profiles.ProfileOf(new Identifier("user_id", "ada")));
        Assert.Equal([new Identifier("anonymous_id", "phone"), new Identifier("user_id", "ada")], store.Profiles.IdentifiersOf(phone));
        Assert.Equal(new Dictionary<string, string> { ["name"] = "\"Ada\"", ["plan"] = "\"free\"" }, store.Profiles.TraitsOf(phone));
    }

    [Fact]
    public void A_profiles_update_time_is_when_an_identifier_a_winning_trait_or_a_merge_last_changed_it()
    {
        using var store = _backend.Open();
        var consumer = new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true));
        long UpdatedAt() => store.Profiles.MetadataOf(store.Profiles.ProfileOf(new Identifier("anonymous_id", "phone"))!)!.UpdatedAt;

        Append(store, 1_000, """{"type":"identify","anonymousId":"phone","timestamp":"2026-11-02T00:00:00Z","traits":{"plan":"free"}}""");
        Consume(store, consumer);
        Assert.Equal(1_000, UpdatedAt());

        // An event that changes nothing, and a trait older than the one held: the profile did not change.
        Append(store, 2_000, """{"type":"track","anonymousId":"phone","event":"Opened"}""");
        Append(store, 3_000, """{"type":"identify","anonymousId":"phone","timestamp":"2026-11-01T00:00:00Z","traits":{"plan":"old"}}""");
        Consume(store, consumer);
        Assert.Equal(1_000, UpdatedAt());

        Append(store, 4_000, """{"type":"identify","anonymousId":"phone","timestamp":"2026-11-03T00:00:00Z","traits":{"plan":"pro"}}""");
        Consume(store, consumer);
        Assert.Equal(4_000, UpdatedAt());

        // A newer profile merged into it.
        Append(store, 5_000, """{"type":"track","userId":"ada","event":"Opened"}""");
        Append(store, 6_000, """{"type":"track","userId":"ada","anonymousId":"phone","event":"Signed In"}""");
        Consume(store, consumer);
        Assert.Equal(6_000, UpdatedAt());
        Assert.Equal(1_000, store.Profiles.MetadataOf(store.Profiles.ProfileOf(new Identifier("user_id", "ada"))!)!.CreatedAt);
    }

    [Fact]
    public void A_search_finds_a_profile_by_any_identifiers_value_whatever_its_type_and_by_a_traits_value_text_or_not()
    {
        using var store = _backend.Open();
        Append(store, 1_000, """{"type":"identify","userId":"ada","anonymousId":"phone","traits":{"email":"ada@example.com","plan":"pro","logins":42,"vip":true}}""");
        Append(store, 2_000, """{"type":"identify","userId":"grace","traits":{"plan":"free","code":"42","team":{"id":7}}}""");
        Consume(store, new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true)));
        var ada = store.Profiles.ProfileOf(new Identifier("user_id", "ada"))!;

        Assert.All(new[] { "ada", "phone", "ada@example.com", "pro", "true" }, text => Assert.Equal([ada], store.Profiles.Search(text, 10)));
        var grace = store.Profiles.ProfileOf(new Identifier("user_id", "grace"))!;
        Assert.All(new[] { "grace", "free", "\"42\"", """{"id":7}""" }, text => Assert.Equal([grace], store.Profiles.Search(text, 10)));
        // A text equal to a text value, or to the way a number is written, finds either.
        Assert.Equal([ada, grace], store.Profiles.Search("42", 10).Order(StringComparer.Ordinal));
        Assert.All(new[] { "nobody", "user_id", "email", "43", "false" }, text => Assert.Empty(store.Profiles.Search(text, 10)));
    }

    [Fact]
    public void Alias_merges_nothing_unless_the_settings_say_so()
    {
        using var segmentLike = _backend.Open();
        const string Alias = """{"type":"alias","userId":"ada","previousId":"phone","anonymousId":"phone"}""";
        Append(segmentLike, 1_000, """{"type":"track","anonymousId":"phone","event":"Opened"}""");
        Append(segmentLike, 2_000, """{"type":"track","userId":"ada","event":"Opened"}""");
        Append(segmentLike, 3_000, Alias);
        Consume(segmentLike, new ProfilesConsumer(segmentLike.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true)));
        Assert.NotEqual(segmentLike.Profiles.ProfileOf(new Identifier("anonymous_id", "phone")), segmentLike.Profiles.ProfileOf(new Identifier("user_id", "ada")));

        var merging = new ProfilesConsumer(segmentLike.Profiles, new IdentitySettingsSource(new IdentitySettings { AliasMerges = true }, managedByFile: true));
        Append(segmentLike, 4_000, Alias.Replace("}", ""","messageId":"again"}""", StringComparison.Ordinal));
        Consume(segmentLike, merging);
        Assert.Equal(segmentLike.Profiles.ProfileOf(new Identifier("anonymous_id", "phone")), segmentLike.Profiles.ProfileOf(new Identifier("user_id", "ada")));
    }

    /// <summary>
    /// A deletion's profiles go in two commits, the events on record first (on SQLite the profile store is a
    /// file of its own): a node killed between them erases the profiles after its restart, counting them once.
    /// </summary>
    [Fact]
    public void A_deletion_stopped_between_its_two_commits_erases_the_subjects_profiles_once_and_moves_on()
    {
        using var store = _backend.Open();
        Append(store, 1_000, """{"type":"identify","userId":"ada","anonymousId":"phone","traits":{"email":"ada@example.com"}}""");
        Append(store, 2_000, """{"type":"track","anonymousId":"phone","event":"Opened"}""");
        Append(store, 3_000, """{"type":"identify","userId":"grace"}""");
        Consume(store, new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true)));
        var regulations = new Privacy.Store.RegulationStore(store.Profiles);
        var erasure = new Privacy.Erasure.StoreErasure(regulations, store.EventLog);
        var ada = new Subject(Subject.UserId, "ada");
        var created = new Privacy.StoredRegulation(
            "reg_split", Privacy.RegulationTypes.DeleteOnly, ada.Type, [ada.Id], [ada.Hash], 1, 4_000, "test", Privacy.ErasurePhases.Profiles,
            ScanUntil: 0, ScannedTo: 0, DeliveriesTo: 0, EventsErased: 0, DeliveriesErased: 0, ProfilesErased: 0, WaitingFor: null, FinishedAt: null);
        regulations.Create(created, [], 4_000);

        erasure.Step(created, 5_000);
        var found = regulations.Find(created.Id)!;
        Assert.Equal(Privacy.ErasurePhases.ProfilesFound, found.Phase);
        Assert.Equal(1, found.ProfilesErased);
        Assert.Equal(2, regulations.EventsOf(created.Id).Count);
        Assert.NotNull(store.Profiles.ProfileOf(new Identifier("user_id", "ada")));

        erasure.Step(found, 6_000);
        Assert.Null(store.Profiles.ProfileOf(new Identifier("user_id", "ada")));
        Assert.Null(store.Profiles.ProfileOf(new Identifier("anonymous_id", "phone")));
        Assert.NotNull(store.Profiles.ProfileOf(new Identifier("user_id", "grace")));
        // Killed before the second commit's phase was stored: the step runs again on what the store said before it.
        erasure.Step(found, 7_000);
        var after = regulations.Find(created.Id)!;
        Assert.Equal(Privacy.ErasurePhases.Erase, after.Phase);
        Assert.Equal(1, after.ProfilesErased);
        Assert.Equal(2, regulations.EventsOf(created.Id).Count);
    }

    /// <summary>Appends corpus[from..to] in groups of 40, as group commits: a group's rows go by partition, so the log's order is not the corpus's.</summary>
    private void AppendCorpus(StoreHandle store, List<(long At, string Message)> corpus, int from, int to)
    {
        for (var first = from; first < to; first += 40)
        {
            var group = corpus.Skip(first).Take(Math.Min(40, to - first)).Select((e, i) => Pending(e.Message, $"m{first + i}", store.EventLog.PartitionCount)).ToList();
            store.EventLog.Append([new EventBatch("web", group, corpus[first].At)], corpus[first].At, 0);
        }

        _appended += to - from;
    }

    /// <summary>Messages appended to this test's log (each test has a store of its own).</summary>
    private int _appended;

    private void Append(StoreHandle store, long at, string message)
    {
        var id = $"e{++_appended}";
        var node = JsonNode.Parse(message)!.AsObject();
        node["messageId"] ??= id;
        store.EventLog.Append([new EventBatch("web", [Pending(node.ToJsonString(), (string)node["messageId"]!, store.EventLog.PartitionCount)], at)], at, 0);
    }

    private static PendingEvent Pending(string message, string messageId, int partitions)
    {
        var node = JsonNode.Parse(message)!.AsObject();
        node["messageId"] = messageId;
        var user = (string?)node["userId"] ?? (string?)node["anonymousId"] ?? messageId;
        return new PendingEvent(messageId, checkDuplicate: true, (string)node["type"]!, Encoding.UTF8.GetBytes(node.ToJsonString()), EventPartitions.Of("web", user, partitions));
    }

    /// <summary>Reads the log after the consumer's cursors, up to 300 rows a step, as the runner does; returns each message's log time and identifiers, in the order consumed.</summary>
    private List<(long At, IReadOnlyList<Identifier> Ids)> Consume(StoreHandle store, ProfilesConsumer consumer)
    {
        store.Cursors.Register(consumer.Name, consumer.Start);
        var epochs = store.Leases.Claim(Node, 1_000, now: 0, until: long.MaxValue / 2, takeOver: false).ToDictionary(l => l.Partition, l => l.Epoch);
        foreach (var (partition, epoch) in store.Leases.ReadLeases().Where(l => l.Owner == Node).Select(l => (l.Partition, l.Epoch)))
        {
            epochs[partition] = epoch;
        }

        var consumed = new List<(long, IReadOnlyList<Identifier>)>();
        EventLogContract.Settle(store.EventLog, _appended);
        var after = store.Cursors.Read(consumer.Name).Values.DefaultIfEmpty(0).Min();
        for (var rows = store.EventLog.ReadFrom(after, 300, null); rows.Count > 0; rows = store.EventLog.ReadFrom(rows[^1].Position, 300, null))
        {
            var cursors = store.Cursors.Read(consumer.Name);
            var fresh = rows.Where(r => r.Position > cursors.GetValueOrDefault(r.Partition)).ToList();
            if (fresh.Count == 0)
            {
                continue;
            }

            var advances = fresh.GroupBy(r => r.Partition).Select(g => new CursorAdvance(consumer.Name, g.Key, g.Max(r => r.Position), Node, epochs[g.Key])).ToList();
            consumer.Consume(fresh, advances);
            foreach (var row in fresh)
            {
                foreach (var message in LogMessages.Split(row.Messages))
                {
                    using var document = JsonDocument.Parse(message);
                    consumed.Add((row.ReceivedAt, IdentifierExtraction.From(document.RootElement, IdentityCorpusTests.Settings)));
                }
            }
        }

        return consumed;
    }
}

public sealed class SqliteProfilesConsumerContract() : ProfilesConsumerContract(new SqliteBackend());

public sealed class PostgresProfilesConsumerContract() : ProfilesConsumerContract(new PostgresBackend());
