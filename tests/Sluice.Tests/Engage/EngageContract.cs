using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sluice.Engage.Computation;
using Sluice.Engage.Store;
using Sluice.EventLog;
using Sluice.Profiles;
using Sluice.Profiles.Identity;
using Sluice.Storage;
using Sluice.Workspace;

namespace Sluice.Engage;

/// <summary>
/// Computed traits and audiences on each backend, against <see cref="BruteForceEngage"/>: sixty simulated
/// days of events (anonymous visits merged into users later, late and out-of-order timestamps, windows that
/// open and close between events) go through the log and the profiles consumer; twice a day the clock
/// stops, due profiles are swept, and every stored value equals a recomputation from all events.
/// </summary>
public abstract class EngageContract : IDisposable
{
    private const string Node = "node-a";
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-09-01T00:00:00Z", CultureInfo.InvariantCulture);
    private readonly StoreBackend _backend;
    private int _appended;

    private protected EngageContract(StoreBackend backend) => _backend = backend;

    public void Dispose() => _backend.Dispose();

    internal static EngageDefinitions Definitions() => new(
        [
            Trait("orders_7d", "event('Order Completed').within(7 days).count()"),
            Trait("spend_total", "event('Order Completed').sum(property('total'))"),
            Trait("avg_order_30d", "event('Order Completed').within(30 days).avg(property('total'))"),
            Trait("smallest_order", "event('Order Completed').min(property('total'))"),
            Trait("largest_order_14d", "event('Order Completed').within(14 days).max(property('total'))"),
            Trait("favourite_category", "event('Product Viewed').within(14 days).mode(property('category'), 2)"),
            Trait("first_category", "event('Product Viewed').first(property('category'))"),
            Trait("last_order_category_10d", "event('Order Completed').within(10 days).last(property('category'))"),
            Trait("categories_30d", "event('Product Viewed').within(30 days).unique(property('category'))"),
            Trait("category_count", "event('Product Viewed').unique(property('category')).count()", anonymous: true),
            Trait("spend_mid_september", "event('Order Completed').between(2026-09-10, '2026-09-25T12:00:00Z').sum(property('total'))"),
        ],
        [
            Audience("frequent_buyers", "event('Order Completed').within(7 days).count() >= 2"),
            Audience("lapsed_pro", "NOT event('Order Completed').within(20 days).count() >= 1 AND trait('plan') = 'pro'"),
            Audience("big_shoe_fans", "event('Order Completed').where(property('total') > 100 AND property('category') = 'shoes').within(30 days).count() >= 1 OR trait('spend_total') >= 1500"),
            Audience("returning_viewers", "event('Product Viewed').between(2 days, 9 days).count() >= 3 AND trait('frequent_buyers') = true"),
            Audience("page_regulars", "event('Page Viewed').within(3 days).count() >= 2", anonymous: true),
            Audience("two_orders_14d", "event('Order Completed').within(14 days).count() = 2"),
            Audience("few_views_big_spenders", "event('Product Viewed').within(5 days).count() <= 1 AND trait('spend_total') >= 300"),
            Audience("september_buyers_gone_quiet", "event('Order Completed').between(2026-09-05, 2026-09-20).count() >= 1 AND NOT event('Order Completed').within(4 days).count() >= 1"),
        ]);

    [Fact]
    public void Sixty_days_of_events_give_at_every_instant_checked_the_values_a_recomputation_from_all_events_gives()
    {
        using var store = _backend.Open();
        var run = new Run(this, store, Definitions());

        run.Days(60);

        // The corpus exercises every definition: each value moved many times, and each audience both took in and let go.
        var changes = store.Profiles.EngageChanges(0, 1_000_000);
        Assert.All(run.Definitions.Traits, t => Assert.True(changes.Count(c => c.Key == t.Key) >= 20, $"{t.Key} changed {changes.Count(c => c.Key == t.Key)} times"));
        Assert.All(run.Definitions.Audiences, a =>
        {
            Assert.True(changes.Count(c => c.Key == a.Key && c.Json == "true") >= 5, $"{a.Key}: {changes.Count(c => c.Key == a.Key && c.Json == "true")} entries");
            Assert.True(changes.Count(c => c.Key == a.Key && c.Json == "false") >= 5, $"{a.Key}: {changes.Count(c => c.Key == a.Key && c.Json == "false")} exits");
        });

        // Sent changes are pruned to the newest, and only those that were sent.
        var orders = changes.Where(c => c.Key == "orders_7d").ToList();
        store.Profiles.PruneEngageChanges("orders_7d", sentBefore: orders[^5].Id, keep: 10);
        Assert.Equal(orders.TakeLast(10).Select(c => c.Id), store.Profiles.EngageChangesOf("orders_7d", 0, 1_000_000).Select(c => c.Id));
        store.Profiles.PruneEngageChanges("orders_7d", sentBefore: orders[^5].Id, keep: 2);
        Assert.Equal(orders.TakeLast(5).Select(c => c.Id), store.Profiles.EngageChangesOf("orders_7d", 0, 1_000_000).Select(c => c.Id));
    }

    [Fact]
    public void After_an_unmerge_the_profiles_it_splits_have_the_values_their_own_events_give()
    {
        using var store = _backend.Open();
        var run = new Run(this, store, Definitions());
        run.Days(12);
        // A person's second device, merged into their profile, with the most orders on it, is taken off again.
        var device = store.Profiles.AllOwners().Select(o => o.Identifier).Where(i => i.Type == "anonymous_id" && i.Value.EndsWith("-1", StringComparison.Ordinal))
            .MaxBy(i => run.Orders(i.Value))!;
        var profile = store.Profiles.ProfileOf(device)!;
        var before = store.Profiles.EngageValuesOf(profile)["spend_total"];

        new Profiles.Recompute.ProfileUnmerge(store.Profiles, store.EventLog, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true), run.Clock, run.Engagement)
            .Unmerge(profile, device, "test", null);

        Assert.Null(store.Profiles.ProfileOf(device));
        run.Check();
        var user = new Identifier("user_id", "u" + device.Value[1..device.Value.IndexOf('-', StringComparison.Ordinal)]);
        Assert.NotEqual(before, store.Profiles.EngageValuesOf(store.Profiles.ProfileOf(user)!)["spend_total"]);
        run.Days(4);
    }

    [Fact]
    public void An_erasure_removes_the_profiles_values_and_changes_and_leaves_every_other_profiles()
    {
        using var store = _backend.Open();
        var run = new Run(this, store, Definitions());
        run.Days(8);
        var changes = store.Profiles.EngageChanges(0, 1_000_000);
        var byProfile = changes.GroupBy(c => c.ProfileId).OrderByDescending(g => g.Count()).ToList();
        var erased = byProfile[0].Key;
        var kept = byProfile[1].Key;
        var keptValues = store.Profiles.EngageValuesOf(kept);
        Assert.NotEmpty(store.Profiles.EngageValuesOf(erased));
        Assert.NotEmpty(keptValues);

        store.Profiles.RunStep(_ => [new EngageValuesErased([erased])], [], changesGraph: false);

        Assert.Empty(store.Profiles.EngageValuesOf(erased));
        Assert.All(run.Definitions.Traits.Select(t => t.Key).Concat(run.Definitions.Audiences.Select(a => a.Key)), key => Assert.DoesNotContain(store.Profiles.EngageValues(key, 1_000_000), v => v.ProfileId == erased));
        var after = store.Profiles.EngageChanges(0, 1_000_000);
        Assert.DoesNotContain(after, c => c.ProfileId == erased);
        Assert.Equal(changes.Count(c => c.ProfileId != erased), after.Count);
        Assert.Equal(keptValues, store.Profiles.EngageValuesOf(kept));
    }

    [Fact]
    public void A_step_of_a_thousand_people_taken_some_hundreds_of_profiles_at_a_time_gives_the_values_a_recomputation_gives()
    {
        using var store = _backend.Open();
        var run = new Run(this, store, Definitions());

        // One step of 4,000 events from 1,000 people: Engage takes the step's profiles a few hundred at a time
        // (EngageStep, deferring), and a device merged in the step into its person's profile is taken with it
        // wherever in the step each came first.
        run.Send(4_000, partitions: _ => true, people: 1_000);

        var owners = store.Profiles.AllOwners().GroupBy(o => o.ProfileId).ToList();
        Assert.True(owners.Count > 600, $"{owners.Count} profiles");
        var merged = owners.Count(g => g.Count(o => o.Identifier.Type == "anonymous_id") > 1);
        Assert.True(merged > 100, $"{merged} profiles with devices merged");
        run.Check();
        // Then events as they come, into the states that step saved.
        run.Days(2);
    }

    [Fact]
    public void A_profile_is_written_again_only_when_what_it_stores_moves()
    {
        using var store = _backend.Open();
        var definitions = new EngageDefinitions([Trait("orders", "event('Order Completed').count()")], [Audience("pro_users", "trait('plan') = 'pro'")]);
        var recording = new RecordingPart(new Engagement(definitions, TimeProvider.System));
        var consumer = new ProfilesConsumer(store.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true), recording);
        // One step of these messages; what Engage's part of it saved of the profile.
        List<ProfileChange> Step(params string[] messages)
        {
            recording.Saved.Clear();
            var at = Start.AddMinutes(_appended).ToUnixTimeMilliseconds();
            Append(store, [.. messages.Select(json =>
            {
                var message = JsonNode.Parse(json)!.AsObject();
                message["timestamp"] = DateTimeOffset.FromUnixTimeMilliseconds(at).ToString("O", CultureInfo.InvariantCulture);
                return (at, message);
            })]);
            Consume(store, consumer);
            return recording.Saved;
        }

        static List<string> Values(List<ProfileChange> saved) =>
            [.. saved.OfType<EngageValueChanged>().Select(c => $"{c.Key}={c.Json}").Order(StringComparer.Ordinal)];

        var saved = Step("""{"type":"identify","userId":"ada","traits":{"plan":"pro"}}""", """{"type":"track","userId":"ada","event":"Order Completed"}""");
        Assert.Single(saved.OfType<EngageStateSaved>());
        Assert.Equal(["orders=1", "pro_users=true"], Values(saved));

        // The same plan again: the audience reads it, finds what it found, and nothing of the profile's is written.
        Assert.Empty(Step("""{"type":"identify","userId":"ada","traits":{"plan":"pro"}}"""));

        // An event no aggregate takes changes nothing, and nothing is written.
        Assert.Empty(Step("""{"type":"track","userId":"ada","event":"Product Viewed"}"""));

        // Another plan moves the audience: the value and the state are written.
        saved = Step("""{"type":"identify","userId":"ada","traits":{"plan":"free"}}""");
        Assert.Equal(["pro_users=false"], Values(saved));
        Assert.Equal("false", JsonNode.Parse(Assert.Single(saved.OfType<EngageStateSaved>()).State.ToString())!["v"]!["pro_users"]!.ToJsonString());

        // An order moves the count: the aggregate's state and the value are written.
        saved = Step("""{"type":"track","userId":"ada","event":"Order Completed"}""");
        Assert.Equal(["orders=2"], Values(saved));
        Assert.Single(saved.OfType<EngageStateSaved>());
        Assert.Equal("2", store.Profiles.EngageValues("orders", 10).Single().Json);
    }

    [Fact]
    public void A_definition_added_later_is_computed_over_the_events_before_it_and_those_after_by_the_consumer()
    {
        using var store = _backend.Open();
        var all = Definitions();
        var run = new Run(this, store, new EngageDefinitions([.. all.Traits.Take(2)], [all.Audiences[0]]));
        run.Days(15);

        // The rest is added while some partitions are further read than others: what is left of the others
        // and a day of events are computed into it as they come, then the past is read.
        run.Send(40, partitions: p => p % 2 == 0);
        run.Use(all);
        run.Days(1, check: false);
        var backfill = new EngageBackfill(store.Profiles, store.EventLog, run.Engagement, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true), NullLogger<EngageBackfill>.Instance);
        Assert.Equal(all.Audiences.Skip(1).Select(a => a.Key).Concat(all.Traits.Skip(2).Select(t => t.Key)).Order(), run.Engagement.Backfilling(store.Profiles.EngageAggregates()).Order());
        // The progress the Admin API shows for one of them, after each step.
        var used = EngageDefinitions.EventConditions(all.Audiences[1].Condition).Select(c => c.Aggregate).ToList();
        var progress = new List<double> { EngageBackfill.Progress(used, store.Profiles.EngageAggregates()) };
        var steps = 0;
        while (backfill.Step())
        {
            steps++;
            progress.Add(EngageBackfill.Progress(used, store.Profiles.EngageAggregates()));
        }

        Assert.True(steps > 3, $"the backfill took {steps} steps");
        Assert.Equal(progress.Order(), progress);
        Assert.True(progress[0] < 0.1, $"progress {progress[0]} before the first step");
        Assert.True(progress.Count(p => p is > 0 and < 1) >= 2, $"progress {string.Join(", ", progress)}");
        Assert.Equal(1.0, progress[^1]);
        Assert.Empty(run.Engagement.Backfilling(store.Profiles.EngageAggregates()));
        run.Check();
        run.Days(5);
    }

    [Fact]
    public void Text_with_the_nul_character_is_computed_and_stored_as_any_other_text()
    {
        // PostgreSQL's text cannot hold U+0000 itself: a value with it must neither stop the profiles step
        // (Engage is computed in it) nor come back changed.
        using var store = _backend.Open();
        var run = new Run(this, store, Definitions());
        run.Days(2);
        var at = run.Clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        run.Send(
        [
            JsonNode.Parse($$$"""{"type":"identify","userId":"u1","anonymousId":"d1-0","timestamp":"{{{at}}}","traits":{"plan":"p\u0000ro"}}""")!.AsObject(),
            JsonNode.Parse($$$"""{"type":"track","event":"Product Viewed","userId":"u1","anonymousId":"d1-0","timestamp":"{{{at}}}","properties":{"category":"sh\u0000oes"}}""")!.AsObject(),
            JsonNode.Parse($$$"""{"type":"track","event":"Order Completed","userId":"u1","anonymousId":"d1-0","timestamp":"{{{at}}}","properties":{"category":"sh\u0000oes","total":120}}""")!.AsObject(),
            JsonNode.Parse($$$"""{"type":"track","event":"Order\u0000Completed","userId":"u1","anonymousId":"d1-0","timestamp":"{{{at}}}","properties":{"total":1}}""")!.AsObject(),
        ]);

        run.Check();
        Assert.Contains(store.Profiles.EngageChanges(0, 1_000_000), c => c.Json.Contains("\\u0000", StringComparison.Ordinal));
        run.Days(1);
    }

    [Fact]
    public async Task A_member_leaves_at_the_instant_its_window_passes_with_the_sweeper_running_on_the_clock()
    {
        using var store = _backend.Open();
        var run = new Run(this, store, Definitions());
        var first = run.Clock.GetUtcNow();
        string Order(DateTimeOffset at) => $$$"""{"type":"track","event":"Order Completed","userId":"u1","anonymousId":"d1-0","timestamp":"{{{at.ToString("O", CultureInfo.InvariantCulture)}}}","properties":{"total":20}}""";
        run.Send([JsonNode.Parse(Order(first))!.AsObject(), JsonNode.Parse(Order(first.AddHours(1)))!.AsObject()]);
        var profile = store.Profiles.ProfileOf(new Identifier("user_id", "u1"))!;
        Assert.Equal("true", store.Profiles.EngageValuesOf(profile)["frequent_buyers"]);
        // "Two orders within 7 days" stops holding when the first order is 7 days old, to the millisecond.
        var leaves = first.AddDays(7);

        using var stopping = new CancellationTokenSource();
        await run.Sweeper.StartAsync(stopping.Token);
        try
        {
            // The clock moves while the sweeper waits, as real time would: it must wake for the instant, not a poll after it.
            run.Clock.SetUtcNow(leaves.AddMilliseconds(-300));
            await Task.Delay(300);
            Assert.Equal("true", store.Profiles.EngageValuesOf(profile)["frequent_buyers"]);
            run.Clock.SetUtcNow(leaves);

            var exit = await Eventually(() => store.Profiles.EngageChanges(0, 1_000).FirstOrDefault(c => c.Key == "frequent_buyers" && c.Json == "false"));
            Assert.Equal(leaves.ToUnixTimeMilliseconds(), exit.At);
            Assert.Equal("false", store.Profiles.EngageValuesOf(profile)["frequent_buyers"]);
        }
        finally
        {
            await stopping.CancelAsync();
            await run.Sweeper.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void Sync_runs_are_pruned_to_each_connections_newest()
    {
        using var store = _backend.Open();
        for (var run = 0; run < 5; run++)
        {
            store.Profiles.RecordEngageSyncRun("vips/hook", 1_000 + run, first: run == 0, values: run, messages: 2 * run);
        }

        store.Profiles.RecordEngageSyncRun("vips/crm", 2_000, first: true, values: 7, messages: 7);
        store.Profiles.RecordEngageSyncRun("spend/hook", 3_000, first: true, values: 1, messages: 1);

        Assert.Equal(3, store.Profiles.PruneEngageSyncRuns(keep: 2));

        Assert.Equal(
            [("vips/crm", 2_000L, true, 7L, 7L), ("vips/hook", 1_004L, false, 4L, 8L), ("vips/hook", 1_003L, false, 3L, 6L)],
            store.Profiles.EngageSyncRunsOf("vips", 10).Select(r => (r.Connection, r.At, r.First, r.Values, r.Messages)));
        Assert.Single(store.Profiles.EngageSyncRunsOf("spend", 10));
    }

    /// <summary>What <paramref name="read"/> finds once it finds it (real time, up to 30 s): what a background service on a clock that no longer moves does next.</summary>
    private static async Task<T> Eventually<T>(Func<T?> read)
        where T : class
    {
        for (var tries = 0; tries < 300; tries++)
        {
            if (read() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException("not found within 30 s");
    }

    /// <summary>A simulation: the clock, the consumer and sweeper on it, the corpus's random numbers and what was consumed so far.</summary>
    private sealed class Run
    {
        private readonly EngageContract _contract;
        private readonly StoreHandle _store;
        private ProfilesConsumer _consumer;
        private EngageSweeper _sweeper;
        private readonly Random _random = new(15);
        private readonly List<(long Order, long ReceivedAt, string Json)> _consumed = [];
        private int _halfDays;

        public Run(EngageContract contract, StoreHandle store, EngageDefinitions definitions)
        {
            (_contract, _store) = (contract, store);
            Use(definitions);
        }

        public FakeTimeProvider Clock { get; } = new(Start);

        public EngageDefinitions Definitions { get; private set; } = EngageDefinitions.None;

        public Engagement Engagement { get; private set; } = Engagement.Off;

        public EngageSweeper Sweeper => _sweeper;

        /// <summary>Computes <paramref name="definitions"/> from now on, as a node started with them would.</summary>
        [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_consumer), nameof(_sweeper))]
        public void Use(EngageDefinitions definitions)
        {
            Definitions = definitions;
            Engagement = new Engagement(definitions, Clock);
            _consumer = new ProfilesConsumer(_store.Profiles, new IdentitySettingsSource(new IdentitySettings(), managedByFile: true), Engagement);
            _sweeper = new EngageSweeper(_store.Profiles, Engagement, Clock, NullLogger<EngageSweeper>.Instance);
        }

        /// <summary>Half-days of 70 events each, consumed ten at a time; each ends with a check at an instant between events, where only the sweep moves values.</summary>
        public void Days(int days, bool check = true)
        {
            for (var end = _halfDays + (2 * days); _halfDays < end; _halfDays++)
            {
                var until = Start.AddHours(12 * (_halfDays + 1)).ToUnixTimeMilliseconds();
                var from = Clock.GetUtcNow().ToUnixTimeMilliseconds();
                var messages = Enumerable.Range(0, 70).Select(_ => from + _random.NextInt64(until - 3_600_000 - from)).Order().Select(at => (at, Message(_random, at))).ToList();
                for (var first = 0; first < messages.Count; first += 10)
                {
                    var group = messages.Skip(first).Take(10).ToList();
                    Clock.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(group[^1].at));
                    _contract.Append(_store, group);
                    _consumed.AddRange(_contract.Consume(_store, _consumer));
                }

                Clock.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(until - _random.NextInt64(3_600_000)));
                if (check)
                {
                    Check();
                }
                Clock.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(until));
            }
        }

        /// <summary>Sends <paramref name="count"/> events of <paramref name="people"/> people now and consumes those of the partitions <paramref name="partitions"/> takes.</summary>
        public void Send(int count, Func<int, bool> partitions, int people = 200)
        {
            var at = Clock.GetUtcNow().ToUnixTimeMilliseconds();
            _contract.Append(_store, [.. Enumerable.Range(0, count).Select(i => (at + i, Message(_random, at + i, people)))]);
            Clock.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(at + count));
            _consumed.AddRange(_contract.Consume(_store, _consumer, r => partitions(r.Partition)));
        }

        /// <summary>Sends these messages now, in one commit, and consumes them.</summary>
        public void Send(IReadOnlyList<JsonObject> messages)
        {
            var at = Clock.GetUtcNow().ToUnixTimeMilliseconds();
            _contract.Append(_store, [.. messages.Select(m => (at, m))]);
            Clock.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(at + 1));
            _consumed.AddRange(_contract.Consume(_store, _consumer));
        }

        /// <summary>How many orders with a total were sent from a device signed out (they go with the device, not with a user id).</summary>
        public int Orders(string device) => _consumed.Count(c => c.Json.Contains($"\"anonymousId\":\"{device}\"", StringComparison.Ordinal)
            && c.Json.Contains("\"total\"", StringComparison.Ordinal) && !c.Json.Contains("\"userId\"", StringComparison.Ordinal));

        public void Check()
        {
            while (_sweeper.SweepDue() == EngageSweeper.MaxPerSweep)
            {
            }

            EngageContract.Check(_store, Definitions, _consumed, Clock.GetUtcNow().ToUnixTimeMilliseconds());
        }
    }

    private static void Check(StoreHandle store, EngageDefinitions definitions, List<(long Order, long ReceivedAt, string Json)> consumed, long now)
    {
        var owners = store.Profiles.AllOwners();
        var ownerOf = owners.ToDictionary(o => o.Identifier, o => o.ProfileId);
        var types = owners.GroupBy(o => o.ProfileId).ToDictionary(g => g.Key, g => (IReadOnlySet<string>)g.Select(o => o.Identifier.Type).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var events = new List<ReferenceEvent>();
        foreach (var (order, receivedAt, json) in consumed)
        {
            var message = JsonDocument.Parse(json).RootElement;
            var profile = IdentifierExtraction.From(message, new IdentitySettings()).Select(i => ownerOf.GetValueOrDefault(i)).FirstOrDefault(p => p is not null);
            if (profile is null)
            {
                continue;
            }

            var type = message.GetProperty("type").GetString()!;
            var name = type switch { "track" => message.GetProperty("event").GetString(), "page" => "Page Viewed", _ => null };
            var at = DateTimeOffset.Parse(message.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            events.Add(new ReferenceEvent(order, at, receivedAt, message.GetProperty("messageId").GetString()!, type, name, message, profile));
        }

        var expected = BruteForceEngage.Compute(definitions, events, types, now);
        foreach (var key in definitions.Traits.Select(t => t.Key).Concat(definitions.Audiences.Select(a => a.Key)))
        {
            var stored = store.Profiles.EngageValues(key, 1_000_000).Where(v => v.Json is not ("null" or "false")).ToDictionary(v => v.ProfileId, v => v.Json, StringComparer.Ordinal);
            var wanted = expected.GetValueOrDefault(key) ?? [];
            var wrong = wanted.Where(w => stored.GetValueOrDefault(w.Key) != w.Value).Select(w => $"{w.Key}: {stored.GetValueOrDefault(w.Key) ?? "(none)"} instead of {w.Value}")
                .Concat(stored.Where(s => !wanted.ContainsKey(s.Key)).Select(s => $"{s.Key}: {s.Value} instead of no value"))
                .Take(5).ToList();
            Assert.True(wrong.Count == 0, $"{key} at {DateTimeOffset.FromUnixTimeMilliseconds(now):O}: {string.Join("; ", wrong)}");
        }
    }

    /// <summary>
    /// 200 people (or <paramref name="people"/>) on one to three devices. A device is seen before its person signs in on it (anonymous
    /// events, merged later); a fifth of the events carry a timestamp up to a day and a half before they
    /// arrive; orders and product views carry a category, orders a total.
    /// </summary>
    private static JsonObject Message(Random random, long receivedAt, int people = 200)
    {
        var person = random.Next(people);
        var device = $"d{person}-{random.Next(1 + (person % 3))}";
        var late = random.NextDouble() < 0.2 ? random.NextInt64(36 * 3_600_000) : random.NextInt64(60_000);
        var message = new JsonObject
        {
            ["anonymousId"] = device,
            ["timestamp"] = DateTimeOffset.FromUnixTimeMilliseconds(receivedAt - late).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        };
        var signedIn = random.NextDouble() < 0.7;
        if (signedIn)
        {
            message["userId"] = $"u{person}";
        }

        var category = new[] { "shoes", "shirts", "hats", "socks" }[random.Next(4)];
        switch (random.Next(10))
        {
            case 0 or 1:
                message["type"] = "identify";
                message["traits"] = new JsonObject { ["email"] = $"p{person}@example.com", ["plan"] = random.Next(3) == 0 ? "pro" : "free" };
                break;
            case 2 or 3 or 4:
                message["type"] = "track";
                message["event"] = "Product Viewed";
                message["properties"] = new JsonObject { ["category"] = category };
                break;
            case 5 or 6:
                message["type"] = "track";
                message["event"] = "Order Completed";
                message["properties"] = new JsonObject { ["category"] = category, ["total"] = 5 + random.Next(196) };
                break;
            case 7:
                message["type"] = "track";
                message["event"] = "Order Completed";
                message["properties"] = new JsonObject { ["category"] = category };
                break;
            default:
                message["type"] = "page";
                message["name"] = random.Next(2) == 0 ? "Pricing" : "Home";
                break;
        }

        return message;
    }

    private void Append(StoreHandle store, List<(long At, JsonObject Message)> group)
    {
        var pending = group.Select(e =>
        {
            var id = $"m{++_appended}";
            e.Message["messageId"] = id;
            var user = (string?)e.Message["userId"] ?? (string)e.Message["anonymousId"]!;
            return new PendingEvent(id, checkDuplicate: true, (string)e.Message["type"]!, Encoding.UTF8.GetBytes(e.Message.ToJsonString()), EventPartitions.Of("web", user, store.EventLog.PartitionCount));
        }).ToList();
        store.EventLog.Append([new EventBatch("web", pending, group[^1].At)], group[^1].At, 0);
    }

    /// <summary>Consumes what the log holds after the consumer's cursors, as the runner does; each message with its order in the log and log time.</summary>
    private List<(long Order, long ReceivedAt, string Json)> Consume(StoreHandle store, ProfilesConsumer consumer, Func<LogRow, bool>? which = null)
    {
        store.Cursors.Register(consumer.Name, consumer.Start);
        var epochs = store.Leases.Claim(Node, 1_000, now: 0, until: long.MaxValue / 2, takeOver: false).ToDictionary(l => l.Partition, l => l.Epoch);
        foreach (var lease in store.Leases.ReadLeases().Where(l => l.Owner == Node))
        {
            epochs[lease.Partition] = lease.Epoch;
        }

        EventLogContract.Settle(store.EventLog, _appended);
        var consumed = new List<(long, long, string)>();
        var cursors = store.Cursors.Read(consumer.Name);
        var rows = store.EventLog.ReadFrom(cursors.Values.DefaultIfEmpty(0).Min(), 10_000, null)
            .Where(r => r.Position > cursors.GetValueOrDefault(r.Partition) && (which?.Invoke(r) ?? true)).ToList();
        if (rows.Count == 0)
        {
            return consumed;
        }

        consumer.Consume(rows, [.. rows.GroupBy(r => r.Partition).Select(g => new CursorAdvance(consumer.Name, g.Key, g.Max(r => r.Position), Node, epochs[g.Key]))]);
        foreach (var row in rows)
        {
            consumed.AddRange(LogMessages.Split(row.Messages).Select((m, index) => (Fact.OrderOf(row.Position, index), row.ReceivedAt, Encoding.UTF8.GetString(m))));
        }

        return consumed;
    }

    /// <summary>Engage as the consumer runs it, with what each step's part saved of the profiles kept (the definitions' own changes left out).</summary>
    private sealed class RecordingPart(Engagement engagement) : IProfileStepPart
    {
        public List<ProfileChange> Saved { get; } = [];

        public IProfileStepObserver? Begin(IProfileGraphReader reader, bool recomputation) =>
            ((IProfileStepPart)engagement).Begin(reader, recomputation) is { } observer ? new Recorded(observer, Saved) : null;

        private sealed class Recorded(IProfileStepObserver observer, List<ProfileChange> saved) : IProfileStepObserver
        {
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

    private static ComputedTraitDefinition Trait(string key, string query, bool anonymous = false) =>
        new(key, key, query, EngageQueryParser.ParseComputedTrait(query), anonymous);

    private static AudienceDefinition Audience(string key, string query, bool anonymous = false) =>
        new(key, key, query, EngageQueryParser.ParseAudience(query), anonymous);
}

public sealed class SqliteEngageContract() : EngageContract(new SqliteBackend());

public sealed class PostgresEngageContract() : EngageContract(new PostgresBackend());
