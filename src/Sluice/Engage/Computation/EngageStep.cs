using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Store;
using Sluice.Profiles;
using Sluice.Storage;

namespace Sluice.Engage.Computation;

/// <summary>A trait as the profile store keeps it, with what decides which value wins (the store's rule).</summary>
internal sealed record TraitValue(string? Json, long Timestamp, long ReceivedAt, string MessageId)
{
    public bool Beats(TraitValue other) => TraitsSet.Beats((Timestamp, ReceivedAt, MessageId), (other.Timestamp, other.ReceivedAt, other.MessageId));
}

/// <summary>
/// Engage's part of one profiles step, run after identity resolution inside the same transaction: each
/// event attached to a profile goes into the aggregates it qualifies for; merges merge the profiles' states;
/// a recomputation starts its profiles' states again (its events are replayed into them). At the end,
/// every profile touched is evaluated at the step's instant, and what changed is saved with the graph and
/// the cursors: a crash loses both or neither. A profile that gained an identifier has its values that stay
/// sent again (a change each, <see cref="EngageValueResent"/>).
/// </summary>
/// <remarks>
/// A deferring step (the profiles consumer's) takes nothing while identity resolution runs: it notes each change
/// that concerns it, with the message's bytes in its log row, and at the end takes its profiles a few hundred at
/// a time, each read, computed, evaluated and written out before the next are read. Taken as the events came, a
/// step held every profile it touched (its state, its aggregates as objects) to its end, and the garbage
/// collector copied all of it at each collection in between (BENCHMARKS.md, Engage's tenth measurement).
/// </remarks>
/// <param name="ofTheDefinitions">What the definitions in force change before any profile (aggregates registered or retired, values of definitions no longer in force let go): saved first.</param>
/// <param name="deferring">Whether the step notes the changes it observes and takes them at its end, profiles a few at a time.</param>
internal sealed class EngageStep(ProfileEvaluator evaluator, IProfileGraphReader reader, long now, IReadOnlyList<ProfileChange> ofTheDefinitions, bool deferring = false) : IProfileStepObserver
{
    private readonly Dictionary<string, Working> _profiles = new(StringComparer.Ordinal);
    /// <summary>The profiles merged into another in this step: their states and values go, the values those their states list.</summary>
    private readonly HashSet<string> _mergedAway = new(StringComparer.Ordinal);

    /// <summary>The profiles a recomputation takes apart in this step: their states and values go, the values looked for under every key (a recomputation is rare).</summary>
    private readonly HashSet<string> _recomputed = new(StringComparer.Ordinal);
    private readonly Evaluation _evaluation = new(evaluator);

    /// <summary>The changes noted, in order, when deferring (null: taken as they come).</summary>
    private readonly List<Noted>? _noted = deferring ? [] : null;

    /// <summary>The definitions (by slot) whose value rows this step writes even where the value stays (<see cref="Confirm"/>).</summary>
    private bool[]? _confirming;

    /// <summary>The profile being evaluated, whose traits <see cref="TraitOfCurrent"/> reads.</summary>
    private Working? _current;

    /// <summary>The instant the step evaluates its profiles at (Unix ms).</summary>
    public long Now => now;

    private bool NeedsTraits => evaluator.ProfileTraitKeys.Count > 0;

    private Func<string, JsonNode?> TraitOfCurrent => field ??= key => _current!.Traits.TryGetValue(key, out var t) && t.Json is { } json ? JsonNode.Parse(json) : null;

    /// <summary>
    /// Reads the stored state of these profiles (and their traits, if an audience looks at traits) in a few
    /// statements, before the step takes their changes (a deferring step reads each batch's itself).
    /// </summary>
    public void Prefetch(IEnumerable<string> profileIds)
    {
        var ids = profileIds.Where(id => !_profiles.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return;
        }

        var states = reader.EngageStates(ids);
        var traits = NeedsTraits ? reader.TraitValues(ids, evaluator.ProfileTraitKeys) : null;
        foreach (var id in ids)
        {
            var (state, dueAt) = states.GetValueOrDefault(id);
            // The traits read are the step's own to change.
            _profiles[id] = new Working(
                state is null ? ProfileState.Empty(evaluator.Layout) : ProfileState.Read(evaluator.Layout, state),
                traits?.GetValueOrDefault(id) ?? new(StringComparer.Ordinal),
                new EvaluationScope(evaluator.Layout.Aggregates))
            { DueAt = dueAt };
        }
    }

    /// <summary>
    /// Takes the changes from <paramref name="from"/> on, the ones <paramref name="message"/> made (default: a
    /// change with no message), or notes them with <paramref name="stored"/> (the message's bytes) when deferring.
    /// </summary>
    public void Observe(IReadOnlyList<ProfileChange> changes, int from, JsonElement message, ReadOnlyMemory<byte> stored = default)
    {
        for (var i = from; i < changes.Count; i++)
        {
            if (_noted is null)
            {
                Take(changes[i], message);
            }
            else if (changes[i] is EventAttached)
            {
                // An event no aggregate takes changes nothing of its profile's (an identify call's traits are TraitsSet).
                if (message.ValueKind == JsonValueKind.Object && evaluator.TakesEventsOf(message))
                {
                    _noted.Add(new Noted(changes[i], stored.IsEmpty ? JsonMarshal.GetRawUtf8Value(message).ToArray() : stored));
                }
            }
            else if (Concerns(changes[i]))
            {
                _noted.Add(new Noted(changes[i], default));
            }
        }
    }

    private bool Concerns(ProfileChange change) => change switch
    {
        ProfilesRecomputed recomputed => recomputed.Survivors.Count + recomputed.Members.Count > 0,
        ProfileCreated or ProfilesMerged or EventAttached or IdentifierAdded => true,
        TraitsSet => NeedsTraits,
        _ => false,
    };

    private void Take(ProfileChange change, JsonElement message)
    {
        switch (change)
        {
            case ProfilesRecomputed recomputed:
                foreach (var id in recomputed.Survivors.Concat(recomputed.Members))
                {
                    // Its values stay as they were before, to tell what the recomputation changes.
                    _profiles[id] = Working.Remade(Get(id).State.WithoutAggregates());
                    _recomputed.Add(id);
                }

                break;
            case ProfileCreated created:
                // A recomputation makes its profiles again, often under the same ids: their values before it stay to compare with.
                var before = _profiles.GetValueOrDefault(created.ProfileId)?.State.WithoutAggregates() ?? ProfileState.Empty(evaluator.Layout);
                _profiles[created.ProfileId] = Working.Remade(before);
                break;
            case ProfilesMerged merged:
                var into = Get(merged.Into);
                var gone = Get(merged.Merged);
                for (var slot = 0; slot < evaluator.Layout.Aggregates; slot++)
                {
                    if (gone.State.Get(slot) is { } state)
                    {
                        if (into.State.Get(slot) is { } held)
                        {
                            held.Merge(evaluator.Definitions.Aggregates[slot].Aggregate, state);
                        }
                        else
                        {
                            into.State.Put(slot, state);
                        }
                    }
                }

                foreach (var (key, trait) in gone.Traits)
                {
                    into.Set(key, trait);
                }

                gone.Dirty = false;
                _mergedAway.Add(merged.Merged);
                into.Everything();
                into.Resend = true;
                break;
            case EventAttached attached when message.ValueKind == JsonValueKind.Object:
                var profile = Get(attached.ProfileId);
                profile.Dirty |= evaluator.Take(profile.State, message, Fact.OrderOf(attached.Event.Position, attached.Event.Index), attached.Event.ReceivedAt, taken: profile.Scope);
                break;
            case IdentifierAdded added:
                var gaining = Get(added.ProfileId);
                gaining.Everything();
                gaining.Resend = true;
                break;
            case TraitsSet set when NeedsTraits:
                var holder = Get(set.ProfileId);
                foreach (var (key, json) in set.Traits)
                {
                    // The step keeps only the traits audiences read, as it reads only those.
                    if (!evaluator.ProfileTraitKeys.Contains(key))
                    {
                        continue;
                    }

                    holder.Set(key, new TraitValue(json, set.Timestamp, set.Event.ReceivedAt, set.Event.MessageId));
                    holder.Scope?.TraitSet(key);
                }

                holder.Dirty = true;
                break;
        }
    }

    /// <summary>
    /// The backfill's part: a stored event of a profile, computed into the aggregates <paramref name="aggregates"/>
    /// alone (the others have it already).
    /// </summary>
    public void Backfill(string profileId, JsonElement message, long order, long receivedAt, IReadOnlySet<string> aggregates)
    {
        var profile = Get(profileId);
        profile.Dirty |= evaluator.Take(profile.State, message, order, receivedAt, aggregates, profile.Scope);
    }

    /// <summary>
    /// The evaluation sweep's part for definitions not evaluated yet with what they say now: their value rows
    /// are made sure of even where the value a profile's state holds stays (<see cref="EngageValueConfirmed"/>). A definition deleted takes its value
    /// rows with it, but not its values in the states (rewriting every profile's state would be the cost of
    /// a deletion); one made again under the same key finds them there, and without this a member whose
    /// stored value it matches would never be written in the list (found by a test: an audience deleted and
    /// made again listed no one).
    /// </summary>
    public void Confirm(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            if (evaluator.Layout.DefinitionSlot(key) is var slot and >= 0)
            {
                (_confirming ??= new bool[evaluator.Slots])[slot] = true;
            }
        }
    }

    /// <summary>Marks profiles to be evaluated at the step's instant though no event came (their due time passed).</summary>
    public void Touch(IEnumerable<string> profileIds)
    {
        foreach (var id in profileIds)
        {
            Get(id).Everything();
        }
    }

    /// <summary>
    /// The changes that save what the step did: states and values of profiles merged away or recomputed go,
    /// then each profile touched is evaluated (<paramref name="identifierTypesOf"/>: its identifiers' types,
    /// null when it is no profile now) and saved, with a change per value that moved.
    /// </summary>
    public IEnumerable<ProfileChange> Finish(Func<string, IReadOnlySet<string>?> identifierTypesOf)
    {
        foreach (var change in ofTheDefinitions)
        {
            yield return change;
        }

        if (_noted is null)
        {
            foreach (var change in Settle(identifierTypesOf))
            {
                yield return change;
            }

            yield break;
        }

        foreach (var batch in Batches())
        {
            Replay(batch);
            foreach (var change in Settle(identifierTypesOf))
            {
                yield return change;
            }

            _profiles.Clear();
            _mergedAway.Clear();
            _recomputed.Clear();
        }
    }

    /// <summary>Groups of profiles a deferring step takes at a time: a few hundred where a read is a call into the process, more where it is a round trip.</summary>
    private int GroupsABatch => reader.ReadsCostARoundTrip ? 2_000 : 256;

    /// <summary>
    /// The noted changes in batches of whole groups, each group's in the order they came: profiles a change ties
    /// together (a merge, a recomputation) are one group, taken together; the others are a group each.
    /// </summary>
    private IEnumerable<List<Noted>> Batches()
    {
        var noted = _noted!;
        var parents = new Dictionary<string, string>(StringComparer.Ordinal);
        string Root(string id)
        {
            var root = id;
            while (parents.TryGetValue(root, out var parent) && parent != root)
            {
                root = parent;
            }

            parents[id] = root;
            return root;
        }

        void Join(string a, string b)
        {
            var (first, second) = (Root(a), Root(b));
            if (first != second)
            {
                parents[second] = first;
            }
        }

        foreach (var (change, _) in noted)
        {
            switch (change)
            {
                case ProfilesMerged merged:
                    Join(merged.Into, merged.Merged);
                    break;
                case ProfilesRecomputed recomputed:
                    var first = FirstOf(recomputed);
                    foreach (var id in recomputed.Survivors.Concat(recomputed.Members))
                    {
                        Join(first, id);
                    }

                    break;
                default:
                    Root(ProfileOf(change));
                    break;
            }
        }

        // Each noted change's group (numbered as first seen) then its place: sorted, the groups one after another.
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new long[noted.Count];
        for (var i = 0; i < noted.Count; i++)
        {
            var root = Root(noted[i].Change switch
            {
                ProfilesMerged merged => merged.Into,
                ProfilesRecomputed recomputed => FirstOf(recomputed),
                var change => ProfileOf(change),
            });
            if (!groups.TryGetValue(root, out var group))
            {
                groups[root] = group = groups.Count;
            }

            order[i] = ((long)group << 32) | (uint)i;
        }

        Array.Sort(order);
        var batch = new List<Noted>();
        var batchEnds = -1L;
        foreach (var at in order)
        {
            var group = at >> 32;
            if (group > batchEnds && batch.Count > 0)
            {
                yield return batch;
                batch.Clear();
            }

            if (batch.Count == 0)
            {
                batchEnds = group + GroupsABatch - 1;
            }

            batch.Add(noted[(int)(at & uint.MaxValue)]);
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private static string FirstOf(ProfilesRecomputed recomputed) => recomputed.Survivors.Concat(recomputed.Members).First();

    private static string ProfileOf(ProfileChange change) => change switch
    {
        ProfileCreated created => created.ProfileId,
        EventAttached attached => attached.ProfileId,
        IdentifierAdded added => added.ProfileId,
        TraitsSet set => set.ProfileId,
        _ => throw new ArgumentOutOfRangeException(nameof(change), change.GetType().Name, "not a change of one profile"),
    };

    /// <summary>Reads the batch's profiles known before the step (those it made have no state), then takes its changes in order.</summary>
    private void Replay(List<Noted> batch)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var known = new List<string>();
        foreach (var (change, _) in batch)
        {
            switch (change)
            {
                case ProfilesMerged merged:
                    Know(merged.Into);
                    Know(merged.Merged);
                    break;
                case ProfilesRecomputed recomputed:
                    foreach (var id in recomputed.Survivors.Concat(recomputed.Members))
                    {
                        Know(id);
                    }

                    break;
                case ProfileCreated created:
                    seen.Add(created.ProfileId);
                    break;
                default:
                    Know(ProfileOf(change));
                    break;
            }
        }

        Prefetch(known);
        foreach (var (change, message) in batch)
        {
            if (message.IsEmpty)
            {
                Take(change, default);
                continue;
            }

            using var document = JsonDocument.Parse(message);
            Take(change, document.RootElement);
        }

        void Know(string id)
        {
            if (seen.Add(id))
            {
                known.Add(id);
            }
        }
    }

    /// <summary>
    /// The changes that save what the step has taken: states and values of profiles merged away or recomputed
    /// go, then each profile touched is evaluated and saved, with a change per value that moved.
    /// </summary>
    private IEnumerable<ProfileChange> Settle(Func<string, IReadOnlySet<string>?> identifierTypesOf)
    {
        foreach (var id in _recomputed)
        {
            yield return new EngageProfileRemoved(id);
        }

        foreach (var id in _mergedAway.Where(id => !_recomputed.Contains(id)))
        {
            // Its values are those its state lists (a point delete each), not one per key stored.
            var gone = _profiles[id].State;
            yield return new EngageProfileRemoved(id, [.. Enumerable.Range(0, evaluator.Slots).Where(gone.HasValue).Select(evaluator.KeyOf)]);
        }

        foreach (var (id, profile) in _profiles)
        {
            if (!profile.Dirty || identifierTypesOf(id) is not { } types)
            {
                continue;
            }

            // Only what the step read can have aged in it; the rest is pruned when it is next read.
            for (var slot = 0; slot < evaluator.Layout.Aggregates; slot++)
            {
                profile.State.Held(slot)?.Prune(evaluator.Definitions.Aggregates[slot].Aggregate, now);
            }

            // A profile due by now may have moved anywhere with time alone: all of it is evaluated then.
            var scope = profile.DueAt <= now ? null : profile.Scope;
            _current = profile;
            var evaluation = evaluator.Evaluate(_evaluation, profile.State, TraitOfCurrent, types, now, scope);
            var next = evaluation.Next;
            if (scope is not null && profile.DueAt is { } due && (next is null || due < next))
            {
                // The instants at which what was not evaluated could change are still ahead.
                next = due;
            }

            // Made when a value moves: a profile whose values all stay is written with its values as stored.
            string?[]? values = null;
            for (var slot = 0; slot < evaluator.Slots; slot++)
            {
                if (!evaluation.Evaluated(slot))
                {
                    // Not evaluated (out of the scope): written as stored.
                    continue;
                }

                var json = evaluation.Json(slot);
                var stored = profile.State.HasValue(slot);
                // A value a profile never had is not a change: a non-member, a trait that never had a value.
                if (!stored && json is "null" or "false")
                {
                    continue;
                }

                if (!stored || !profile.State.ValueIs(slot, json))
                {
                    (values ??= new string?[evaluator.Slots])[slot] = json;
                    yield return new EngageValueChanged(evaluator.KeyOf(slot), id, json, profile.State.Value(slot), now);
                    continue;
                }

                if (_recomputed.Contains(id) || _mergedAway.Contains(id))
                {
                    // Made again from its events (an unmerge): its identifiers are not new to the person.
                    yield return new EngageValueKept(evaluator.KeyOf(slot), id, json, now);
                    continue;
                }

                if (_confirming?[slot] == true)
                {
                    yield return new EngageValueConfirmed(evaluator.KeyOf(slot), id, json, now);
                }

                if (profile.Resend && json is not ("null" or "false"))
                {
                    yield return new EngageValueResent(evaluator.KeyOf(slot), id, json, now);
                }
            }

            if (!profile.MadeAnew && !profile.State.Changed && values is null && next == profile.DueAt)
            {
                // Nothing of what it stores moved (traits set to what audiences found already, a value sent again): not written again.
                continue;
            }

            var saved = new EngageStateSaved(id, new Utf8Text(WriteUtf8(profile.State, values)), next);
            profile.State.LetGoOfUnchanged();
            yield return saved;
        }
    }

    /// <summary>A profile's state as stored: its aggregates under their stored names, and its values (by definition slot; null or absent: as stored).</summary>
    public static string Write(ProfileState state, IReadOnlyList<string?>? values = null) => Encoding.UTF8.GetString(WriteUtf8(state, values));

    /// <summary><see cref="Write"/>'s text in UTF-8, as a step saves it.</summary>
    public static byte[] WriteUtf8(ProfileState state, IReadOnlyList<string?>? values = null) => (t_writer ??= new StateWriter()).Write(state, values);

    /// <summary>A writer per thread: states are written one at a time as a step's statements run.</summary>
    [ThreadStatic]
    private static StateWriter? t_writer;

    private Working Get(string profileId)
    {
        if (!_profiles.TryGetValue(profileId, out var profile))
        {
            Prefetch([profileId]);
            profile = _profiles[profileId];
        }

        return profile;
    }

    /// <summary>A change a deferring step noted, with its message's bytes when it is an attached event (empty otherwise).</summary>
    private readonly record struct Noted(ProfileChange Change, ReadOnlyMemory<byte> Message);

    /// <summary>Writes states with one buffer, reused from one profile to the next.</summary>
    private sealed class StateWriter
    {
        private static readonly JsonWriterOptions StoredJson = new() { Encoder = Actions.Mapping.StringifyEncoder.Instance };

        private readonly ArrayBufferWriter<byte> _buffer = new(1024);
        private readonly Utf8JsonWriter _writer;

        public StateWriter() => _writer = new Utf8JsonWriter(_buffer, StoredJson);

        public byte[] Write(ProfileState state, IReadOnlyList<string?>? values)
        {
            _buffer.ResetWrittenCount();
            _writer.Reset();
            state.Write(_writer, values);
            _writer.Flush();
            return _buffer.WrittenSpan.ToArray();
        }
    }

    /// <summary>
    /// A profile as the step holds it: its Engage state, its traits (when audiences read them); whether it is
    /// to be evaluated and saved, what moved (null: anything) and when it was due.
    /// </summary>
    private sealed class Working(ProfileState state, Dictionary<string, TraitValue> traits, EvaluationScope? scope)
    {
        public ProfileState State { get; } = state;

        public Dictionary<string, TraitValue> Traits { get; } = traits;

        public bool Dirty { get; set; }

        public EvaluationScope? Scope { get; private set; } = scope;

        public long? DueAt { get; init; }

        /// <summary>It gained an identifier (or a merged profile's): its values that stay are sent again (<see cref="EngageValueResent"/>).</summary>
        public bool Resend { get; set; }

        /// <summary>Made again from nothing (a recomputation, a profile made): its state is written whatever it holds.</summary>
        public bool MadeAnew { get; private init; }

        /// <summary>States made again from nothing (a recomputation, a profile made): all of it is evaluated, against the values before.</summary>
        public static Working Remade(ProfileState withValuesBefore) => new(withValuesBefore, [], scope: null) { Dirty = true, MadeAnew = true };

        /// <summary>To be evaluated whole: what moved is not an aggregate or a trait alone.</summary>
        public void Everything()
        {
            Dirty = true;
            Scope = null;
        }

        public void Set(string key, TraitValue trait)
        {
            if (!Traits.TryGetValue(key, out var held) || trait.Beats(held))
            {
                Traits[key] = trait;
            }
        }
    }
}
