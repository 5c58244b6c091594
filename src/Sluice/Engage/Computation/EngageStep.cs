using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Definitions;
using Sluice.Engage.Store;
using Sluice.Profiles;
using Sluice.Workspace;

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
/// the cursors: a crash loses both or neither.
/// </summary>
internal sealed class EngageStep(ProfileEvaluator evaluator, IProfileGraphReader reader, long now, IReadOnlyList<ProfileChange> registrations) : IProfileStepObserver
{
    private static readonly JsonWriterOptions StoredJson = new() { Encoder = Actions.Mapping.StringifyEncoder.Instance };

    private readonly Dictionary<string, Working> _profiles = new(StringComparer.Ordinal);
    private readonly StateNames _names = StateNames.For(evaluator.Definitions);
    private readonly List<string> _removed = [];
    private readonly Evaluation _evaluation = new(evaluator);
    private readonly Dictionary<string, string> _saved = new(StringComparer.Ordinal);
    private readonly StateWriter _stateWriter = new();

    /// <summary>The profile being evaluated, whose traits <see cref="TraitOfCurrent"/> reads.</summary>
    private Working? _current;
    private bool NeedsTraits => evaluator.ProfileTraitKeys.Count > 0;

    private Func<string, JsonNode?> TraitOfCurrent => field ??= key => _current!.Traits.TryGetValue(key, out var t) && t.Json is { } json ? JsonNode.Parse(json) : null;

    /// <summary>Reads the stored state of these profiles (and their traits, if an audience looks at traits) in a few statements.</summary>
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
            _profiles[id] = Working.Read(state, traits?.GetValueOrDefault(id), _names, dueAt);
        }
    }

    /// <summary>Takes the changes from <paramref name="from"/> on, the ones <paramref name="message"/> made (default: a change with no message).</summary>
    public void Observe(IReadOnlyList<ProfileChange> changes, int from, JsonElement message)
    {
        for (var i = from; i < changes.Count; i++)
        {
            switch (changes[i])
            {
                case ProfilesRecomputed recomputed:
                    foreach (var id in recomputed.Survivors.Concat(recomputed.Members))
                    {
                        // Its values stay as they were before, to tell what the recomputation changes.
                        var values = Get(id).Values;
                        _profiles[id] = Working.Remade(values);
                        _removed.Add(id);
                    }

                    break;
                case ProfileCreated created:
                    // A recomputation makes its profiles again, often under the same ids: their values before it stay to compare with.
                    var before = _profiles.GetValueOrDefault(created.ProfileId)?.Values ?? new(StringComparer.Ordinal);
                    _profiles[created.ProfileId] = Working.Remade(before);
                    break;
                case ProfilesMerged merged:
                    var into = Get(merged.Into);
                    var gone = Get(merged.Merged);
                    foreach (var aggregate in evaluator.Definitions.Aggregates)
                    {
                        if (gone.States.TryGetValue(aggregate.Key, out var state))
                        {
                            if (into.States.TryGetValue(aggregate.Key, out var held))
                            {
                                held.Merge(aggregate.Aggregate, state);
                            }
                            else
                            {
                                into.States[aggregate.Key] = state;
                            }
                        }
                    }

                    foreach (var (key, trait) in gone.Traits)
                    {
                        into.Set(key, trait);
                    }

                    gone.Dirty = false;
                    _removed.Add(merged.Merged);
                    into.Everything();
                    break;
                case EventAttached attached when message.ValueKind == JsonValueKind.Object:
                    var profile = Get(attached.ProfileId);
                    profile.Dirty |= evaluator.Take(profile.States, message, Fact.OrderOf(attached.Event.Position, attached.Event.Index), attached.Event.ReceivedAt, taken: profile.Scope?.Aggregates);

                    break;
                case IdentifierAdded added:
                    Get(added.ProfileId).Everything();
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
                        holder.Scope?.Traits.Add(key);
                    }

                    holder.Dirty = true;
                    break;
            }
        }
    }

    /// <summary>
    /// The backfill's part: a stored event of a profile, computed into the aggregates <paramref name="aggregates"/>
    /// alone (the others have it already).
    /// </summary>
    public void Backfill(string profileId, JsonElement message, long order, long receivedAt, IReadOnlySet<string> aggregates)
    {
        var profile = Get(profileId);
        profile.Dirty |= evaluator.Take(profile.States, message, order, receivedAt, aggregates, profile.Scope?.Aggregates);
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
        foreach (var registration in registrations)
        {
            yield return registration;
        }

        var removed = _removed.ToHashSet(StringComparer.Ordinal);
        foreach (var id in removed)
        {
            yield return new EngageProfileRemoved(id);
        }

        foreach (var (id, profile) in _profiles)
        {
            if (!profile.Dirty || identifierTypesOf(id) is not { } types)
            {
                continue;
            }

            foreach (var aggregate in evaluator.Definitions.Aggregates)
            {
                if (profile.States.TryGetValue(aggregate.Key, out var state))
                {
                    state.Prune(aggregate.Aggregate, now);
                }
            }

            // A profile due by now may have moved anywhere with time alone: all of it is evaluated then.
            var scope = profile.DueAt <= now ? null : profile.Scope;
            _current = profile;
            var evaluation = evaluator.Evaluate(_evaluation, profile.States, TraitOfCurrent, types, now, scope, profile.Values);
            var next = evaluation.Next;
            if (scope is not null && profile.DueAt is { } due && (next is null || due < next))
            {
                // The instants at which definitions not evaluated could change are still ahead.
                next = due;
            }

            var saved = _saved;
            saved.Clear();
            for (var slot = 0; slot < evaluator.Slots; slot++)
            {
                var key = evaluator.KeyOf(slot);
                var previous = profile.Values.GetValueOrDefault(key);
                if (!evaluation.Evaluated(slot))
                {
                    // Not evaluated (out of the scope): as stored.
                    if (previous is not null)
                    {
                        saved[key] = previous;
                    }

                    continue;
                }

                var json = evaluation.Json(slot);
                // A value a profile never had is not a change: a non-member, a trait that never had a value.
                if (previous is null && json is "null" or "false")
                {
                    continue;
                }

                saved[key] = json;
                if (previous != json)
                {
                    yield return new EngageValueChanged(key, id, json, previous, now);
                }
                else if (removed.Contains(id))
                {
                    yield return new EngageValueKept(key, id, json, now);
                }
            }

            var written = _stateWriter.Write(evaluator.Definitions, profile.States, saved);
            yield return new EngageStateSaved(id, written, next);
        }
    }

    /// <summary>A stored state's aggregates (those <paramref name="names"/> were made for) and values (null or empty: none).</summary>
    public static (IReadOnlyDictionary<string, AggregateState> States, IReadOnlyDictionary<string, string> Values) Read(string? json, StateNames names)
    {
        var working = Working.Read(json, null, names);
        return (working.States, working.Values);
    }

    private Working Get(string profileId)
    {
        if (!_profiles.TryGetValue(profileId, out var profile))
        {
            Prefetch([profileId]);
            profile = _profiles[profileId];
        }

        return profile;
    }

    /// <summary>A profile's state as stored: the aggregates <paramref name="definitions"/> use, under their stored names, and the values.</summary>
    public static string Write(EngageDefinitions definitions, IReadOnlyDictionary<string, AggregateState> states, IReadOnlyDictionary<string, string> values) =>
        new StateWriter().Write(definitions, states, values);

    /// <summary>Writes states with one buffer, reused from one profile to the next.</summary>
    private sealed class StateWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(1024);
        private readonly Utf8JsonWriter _writer;

        public StateWriter() => _writer = new Utf8JsonWriter(_buffer, StoredJson);

        public string Write(EngageDefinitions definitions, IReadOnlyDictionary<string, AggregateState> states, IReadOnlyDictionary<string, string> values)
        {
            var names = StateNames.For(definitions);
            _buffer.ResetWrittenCount();
            _writer.Reset();
            _writer.WriteStartObject();
            _writer.WriteStartObject("a");
            foreach (var aggregate in definitions.Aggregates)
            {
                if (states.TryGetValue(aggregate.Key, out var state))
                {
                    _writer.WritePropertyName(names.Name(aggregate.Key));
                    state.Write(_writer);
                }
            }

            _writer.WriteEndObject();
            _writer.WriteStartObject("v");
            foreach (var (key, json) in values)
            {
                _writer.WritePropertyName(key);
                _writer.WriteRawValue(json, skipInputValidation: true);
            }

            _writer.WriteEndObject();
            _writer.WriteEndObject();
            _writer.Flush();
            return Encoding.UTF8.GetString(_buffer.WrittenSpan);
        }
    }

    /// <summary>
    /// A profile as the step holds it: its aggregates' states, its values as stored, its traits (when audiences
    /// read them); whether it is to be evaluated and saved, what moved (null: anything) and when it was due.
    /// </summary>
    private sealed class Working(Dictionary<string, AggregateState> states, Dictionary<string, string> values, Dictionary<string, TraitValue> traits, EvaluationScope? scope)
    {
        public Dictionary<string, AggregateState> States { get; } = states;

        public Dictionary<string, string> Values { get; } = values;

        public Dictionary<string, TraitValue> Traits { get; } = traits;

        public bool Dirty { get; set; }

        public EvaluationScope? Scope { get; private set; } = scope;

        public long? DueAt { get; init; }

        /// <summary>States made again from nothing (a recomputation, a profile made): all of it is evaluated, against the values before.</summary>
        public static Working Remade(Dictionary<string, string> valuesBefore) => new(new(StringComparer.Ordinal), valuesBefore, [], scope: null) { Dirty = true };

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

        public static Working Read(string? json, IReadOnlyDictionary<string, TraitValue>? traits, StateNames names, long? dueAt = null)
        {
            var states = new Dictionary<string, AggregateState>(StringComparer.Ordinal);
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (json is not null)
            {
                using var document = JsonDocument.Parse(json);
                foreach (var state in document.RootElement.GetProperty("a").EnumerateObject())
                {
                    // An aggregate no definition uses any more is left out (and not written again).
                    if (names.TryGetKey(state.Name, out var key))
                    {
                        states[key] = AggregateState.Read(state.Value);
                    }
                }

                foreach (var value in document.RootElement.GetProperty("v").EnumerateObject())
                {
                    values[value.Name] = value.Value.GetRawText();
                }
            }

            return new Working(states, values, traits is null ? [] : new Dictionary<string, TraitValue>(traits, StringComparer.Ordinal), new EvaluationScope()) { DueAt = dueAt };
        }
    }
}
