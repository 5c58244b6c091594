using System.Diagnostics;
using System.Text.Json.Nodes;
using Sluice.Engage.Definitions;
using Sluice.Engage.Store;
using Sluice.EventLog;
using Sluice.Profiles;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// What a definition would give before it is saved: how many profiles would be members (or have a value),
/// examples, and, for a change of an existing definition, who would enter and who would leave. When every
/// aggregate of events it uses is computed already (a threshold, a trait condition, a window another
/// definition uses), it is evaluated exactly over every profile from their stored state. Otherwise it is
/// estimated from a random sample of profiles, whose events are read from the log.
/// </summary>
internal sealed class EngagePreview(IProfileStore store, IEventLog log, Engagement engagement)
{
    /// <summary>Profiles an estimate reads the events of.</summary>
    public const int SampleSize = 500;

    /// <summary>A sampled profile's events read at most.</summary>
    public const int MaxEventsPerProfile = 2_000;

    private const int Examples = 10;

    public JsonObject Run(EngageDefinitionInput input)
    {
        var clock = Stopwatch.StartNew();
        var (trait, audience, _) = input.Build();
        var current = engagement.Current(store);
        EngageDefinitions draft;
        try
        {
            draft = new EngageDefinitions(
                [.. current.Traits.Where(t => t.Key != input.Key), .. trait is null ? [] : new[] { trait }],
                [.. current.Audiences.Where(a => a.Key != input.Key), .. audience is null ? [] : new[] { audience }]);
        }
        catch (EngageDefinitionException refused)
        {
            return new JsonObject { ["error"] = refused.Reason };
        }

        // The draft and what it refers to, alone: each profile is read and evaluated for them only, and
        // its own traits only when one of them has a condition on one.
        var scope = new HashSet<string>(StringComparer.Ordinal) { input.Key };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var referred in draft.Audiences.Where(a => scope.Contains(a.Key)).SelectMany(a => EngageDefinitions.TraitConditions(a.Condition)).Select(t => t.Key).ToList())
            {
                grew |= draft.Defines(referred) && scope.Add(referred);
            }
        }

        var scoped = new EngageDefinitions([.. draft.Traits.Where(t => scope.Contains(t.Key))], [.. draft.Audiences.Where(a => scope.Contains(a.Key))]);
        var needsTraits = scoped.Audiences.Any(a => EngageDefinitions.TraitConditions(a.Condition).Any(t => !scoped.Defines(t.Key)));
        var computed = store.EngageAggregates();
        var wanted = StateLayout.For(scoped, computed);
        var missing = scoped.Aggregates.Where(a => computed.GetValueOrDefault(a.Key)?.DoneAt is null).Select(a => a.Key).ToHashSet(StringComparer.Ordinal);
        var evaluator = new ProfileEvaluator(wanted);
        var now = engagement.Now;

        var existing = current.Defines(input.Key);
        var tally = new Tally();
        if (missing.Count == 0)
        {
            for (var profiles = store.ProfilesForEngage("", 1_000, needsTraits); profiles.Count > 0; profiles = store.ProfilesForEngage(profiles[^1].Id, 1_000, needsTraits))
            {
                foreach (var profile in profiles)
                {
                    var state = ProfileState.Read(wanted, profile.State);
                    tally.Add(profile.Id, Value(evaluator, input.Key, state, profile.Traits, profile.Types, now), state.Value(input.Key));
                }
            }

            return tally.Answer(input, existing, estimated: false, total: tally.Counted, clock);
        }

        var messages = new Messages(log);
        var missingSlots = Enumerable.Range(0, wanted.Aggregates).Where(slot => missing.Contains(scoped.Aggregates[slot].Key)).ToList();
        foreach (var id in store.SampleProfiles(SampleSize))
        {
            var state = ProfileState.Read(wanted, store.EngageStateOf(id));
            foreach (var slot in missingSlots)
            {
                state.Forget(slot);
            }

            foreach (var at in store.EventsOf(id, MaxEventsPerProfile, after: null, newestFirst: false))
            {
                using var message = messages.At(at);
                if (message is not null)
                {
                    evaluator.Take(state, message.Root, Fact.OrderOf(at.Position, at.Index), message.ReceivedAt, missing);
                }
            }

            var traits = needsTraits ? store.TraitsOf(id) : new Dictionary<string, string>();
            var types = store.ExternalIdsOf(id).Select(e => e.Identifier.Type).ToHashSet(StringComparer.Ordinal);
            tally.Add(id, Value(evaluator, input.Key, state, traits, types, now), state.Value(input.Key));
        }

        return tally.Answer(input, existing, estimated: true, total: store.ProfileCount(), clock);
    }

    private static JsonNode? Value(ProfileEvaluator evaluator, string key, ProfileState state, IReadOnlyDictionary<string, string> traits, IReadOnlySet<string> types, long now) =>
        evaluator.Evaluate(state, k => traits.TryGetValue(k, out var json) ? JsonNode.Parse(json) : null, types, now).Values.GetValueOrDefault(key);

    /// <summary>
    /// Where the size of an estimate lies with 95% confidence: the Wilson interval of the share of the
    /// sample that counts, times the profiles. A few members in the sample give a wide range, said so.
    /// </summary>
    private static JsonArray Range(long members, long sampled, long total)
    {
        if (sampled == 0)
        {
            return [0, total];
        }

        const double Z = 1.96;
        var share = (double)members / sampled;
        var spread = 1 + (Z * Z / sampled);
        var center = (share + (Z * Z / (2 * sampled))) / spread;
        var half = Z * Math.Sqrt((share * (1 - share) / sampled) + (Z * Z / (4.0 * sampled * sampled))) / spread;
        return [(long)Math.Floor(Math.Max(0, center - half) * total), (long)Math.Ceiling(Math.Min(1, center + half) * total)];
    }

    /// <summary>
    /// Counts as profiles are evaluated: members (or values), and, against the stored values, who enters
    /// (an audience's new members; a computed trait's new or changed values) and who leaves.
    /// </summary>
    private sealed class Tally
    {
        private readonly List<JsonNode> _examples = [];
        private readonly List<string> _entering = [];
        private readonly List<string> _leaving = [];

        public long Counted { get; private set; }

        private long _members;
        private long _enter;
        private long _leave;

        public void Add(string profile, JsonNode? value, string? stored)
        {
            Counted++;
            var json = value?.ToJsonString();
            var has = json is not (null or "null" or "false");
            var had = stored is not (null or "null" or "false");
            if (has)
            {
                _members++;
                if (_examples.Count < Examples)
                {
                    _examples.Add(new JsonObject { ["profile"] = profile, ["value"] = value!.DeepClone() });
                }
            }

            if (has && (!had || json != stored))
            {
                _enter++;
                if (_entering.Count < Examples)
                {
                    _entering.Add(profile);
                }
            }
            else if (!has && had)
            {
                _leave++;
                if (_leaving.Count < Examples)
                {
                    _leaving.Add(profile);
                }
            }
        }

        public JsonObject Answer(EngageDefinitionInput input, bool existing, bool estimated, long total, Stopwatch clock)
        {
            var scale = estimated && Counted > 0 ? (double)total / Counted : 1.0;
            var answer = new JsonObject
            {
                ["kind"] = input.Kind,
                ["size"] = (long)Math.Round(_members * scale),
                ["profiles"] = total,
                ["estimated"] = estimated,
                ["sampled"] = estimated ? Counted : null,
                ["range"] = estimated ? Range(_members, Counted, total) : null,
                ["examples"] = new JsonArray([.. _examples]),
                ["tookMs"] = clock.ElapsedMilliseconds,
            };
            if (existing)
            {
                answer["changes"] = new JsonObject
                {
                    [input.Kind == EngageDefinitionInput.Audience ? "enter" : "change"] = (long)Math.Round(_enter * scale),
                    ["leave"] = (long)Math.Round(_leave * scale),
                    ["examplesEnter"] = new JsonArray([.. _entering.Select(p => (JsonNode)p)]),
                    ["examplesLeave"] = new JsonArray([.. _leaving.Select(p => (JsonNode)p)]),
                };
            }

            return answer;
        }
    }
}
