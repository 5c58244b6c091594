using System.Text;
using System.Text.Json;

namespace Sluice.Engage.Computation;

/// <summary>
/// A profile's Engage state as a step holds it: the stored state's bytes, with where each aggregate's state and
/// each definition's value lie in them, and the aggregates read from them or made since. An aggregate is read
/// into an <see cref="AggregateState"/> only when it is needed (an event it takes, a merge, an evaluation that
/// reads it) and is written back as it was stored otherwise. Most events feed a few of a workspace's
/// aggregates, and a step holds every profile it touches until it ends: held as objects, the states were most
/// of what the garbage collector copied whenever it ran in between (BENCHMARKS.md, Engage's sixth measurement).
/// </summary>
internal sealed class ProfileState
{
    private readonly byte[] _stored;

    /// <summary>Where each aggregate's state (by slot), then each definition's value (by slot), lies in <see cref="_stored"/>: start, then length (0: not stored).</summary>
    private readonly int[] _ranges;

    /// <summary>The aggregates read or made, by slot; made when the first is (most profiles a step touches have a few).</summary>
    private AggregateState?[]? _held;

    private ProfileState(StateLayout layout, byte[] stored, int[] ranges)
    {
        Layout = layout;
        _stored = stored;
        _ranges = ranges;
    }

    public StateLayout Layout { get; }

    /// <summary>Whether what it would write differs from what was stored: an aggregate changed, made, merged in or left out, or its aggregates dropped.</summary>
    public bool Changed
    {
        get
        {
            if (_changed)
            {
                return true;
            }

            foreach (var held in _held ?? [])
            {
                if (held is { Changed: true })
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Set when an aggregate is put in or left out (those read from the stored bytes say themselves whether they changed).</summary>
    private bool _changed;

    /// <summary>A profile with no state stored.</summary>
    public static ProfileState Empty(StateLayout layout) => new(layout, [], new int[2 * (layout.Aggregates + layout.Keys.Count)]);

    /// <summary>A stored state (JSON, null: none), of which only what <paramref name="layout"/>'s definitions use is kept.</summary>
    public static ProfileState Read(StateLayout layout, string? json) => json is null ? Empty(layout) : Read(layout, Encoding.UTF8.GetBytes(json));

    /// <summary>A stored state (UTF-8 JSON, which the state keeps as it is), of which only what <paramref name="layout"/>'s definitions use is kept.</summary>
    public static ProfileState Read(StateLayout layout, byte[] utf8)
    {
        var ranges = new int[2 * (layout.Aggregates + layout.Keys.Count)];
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return new ProfileState(layout, utf8, ranges);
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var aggregates = reader.ValueTextEquals("a"u8);
            var values = reader.ValueTextEquals("v"u8);
            reader.Read();
            if (!(aggregates || values) || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // An aggregate or a value no definition uses any more is left out (and not written again).
                var slot = aggregates ? layout.AggregateSlot(ref reader) : layout.DefinitionSlot(ref reader);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (slot >= 0)
                {
                    var at = 2 * (aggregates ? slot : layout.Aggregates + slot);
                    ranges[at] = start;
                    ranges[at + 1] = (int)reader.BytesConsumed - start;
                }
            }
        }

        return new ProfileState(layout, utf8, ranges);
    }

    /// <summary>The same profile's values, with no aggregate: what a recomputation makes its states again from, compared with the values before.</summary>
    public ProfileState WithoutAggregates()
    {
        var ranges = (int[])_ranges.Clone();
        Array.Clear(ranges, 0, 2 * Layout.Aggregates);
        return new ProfileState(Layout, _stored, ranges) { _changed = true };
    }

    /// <summary>Whether the profile has a state of the aggregate (stored, or made in this step).</summary>
    public bool Has(int slot) => _held?[slot] is not null || _ranges[(2 * slot) + 1] > 0;

    /// <summary>The aggregate's state, read from the stored bytes when first asked for (null: none).</summary>
    public AggregateState? Get(int slot)
    {
        if (_held?[slot] is { } held)
        {
            return held;
        }

        return _ranges[(2 * slot) + 1] > 0 ? Hold(slot, AggregateState.Read(Stored(slot))) : null;
    }

    /// <summary>The aggregate's state if it has been read or made already (what a step has changed), without reading it.</summary>
    public AggregateState? Held(int slot) => _held?[slot];

    public AggregateState GetOrAdd(int slot) => Get(slot) ?? Put(slot, new AggregateState());

    /// <summary>Puts in the aggregate's state (made, or another profile's merged in): the profile's state has changed.</summary>
    public AggregateState Put(int slot, AggregateState state)
    {
        _changed = true;
        return Hold(slot, state);
    }

    private AggregateState Hold(int slot, AggregateState state) => (_held ??= new AggregateState?[Layout.Aggregates])[slot] = state;

    /// <summary>
    /// Lets go of the aggregates read from the stored bytes and not changed since (an evaluation of the whole
    /// profile reads them all): they are written back as stored, and the objects are garbage at once rather
    /// than held, with every profile of the step, until its statements run.
    /// </summary>
    public void LetGoOfUnchanged()
    {
        if (_held is null)
        {
            return;
        }

        for (var slot = 0; slot < _held.Length; slot++)
        {
            if (_held[slot] is { Changed: false } && _ranges[(2 * slot) + 1] > 0)
            {
                _held[slot] = null;
            }
        }
    }

    /// <summary>Leaves the aggregate out, as if the profile had never had a state of it.</summary>
    public void Forget(int slot)
    {
        _changed |= Has(slot);
        _held?[slot] = null;
        _ranges[(2 * slot) + 1] = 0;
    }

    /// <summary>Whether a value of the definition in <paramref name="slot"/> is stored.</summary>
    public bool HasValue(int slot) => _ranges[(2 * (Layout.Aggregates + slot)) + 1] > 0;

    /// <summary>The stored value of the definition in <paramref name="slot"/> (JSON; null: none).</summary>
    public string? Value(int slot) => HasValue(slot) ? Encoding.UTF8.GetString(Stored(Layout.Aggregates + slot)) : null;

    /// <summary>The stored value of the definition <paramref name="key"/> (JSON; null: none, or not one of these definitions).</summary>
    public string? Value(string key) => Layout.DefinitionSlot(key) is var slot and >= 0 ? Value(slot) : null;

    /// <summary>Whether the stored value of the definition in <paramref name="slot"/> is <paramref name="json"/>, compared without making it a string.</summary>
    public bool ValueIs(int slot, string json)
    {
        if (!HasValue(slot))
        {
            return false;
        }

        var stored = Stored(Layout.Aggregates + slot);
        const int Short = 128;
        if (json.Length > Short)
        {
            return Encoding.UTF8.GetString(stored) == json;
        }

        Span<byte> utf8 = stackalloc byte[Short * 3];
        return stored.SequenceEqual(utf8[..Encoding.UTF8.GetBytes(json, utf8)]);
    }

    /// <summary>
    /// Writes the state: each aggregate read or made as it is now, the others as stored; each value of
    /// <paramref name="values"/> (by definition slot; null: as stored).
    /// </summary>
    public void Write(Utf8JsonWriter writer, IReadOnlyList<string?>? values)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("a"u8);
        for (var slot = 0; slot < Layout.Aggregates; slot++)
        {
            if (_held?[slot] is { } held)
            {
                writer.WritePropertyName(Layout.Name(slot));
                held.Write(writer);
            }
            else if (Has(slot))
            {
                writer.WritePropertyName(Layout.Name(slot));
                writer.WriteRawValue(Stored(slot), skipInputValidation: true);
            }
        }

        writer.WriteEndObject();
        writer.WriteStartObject("v"u8);
        for (var slot = 0; slot < Layout.Keys.Count; slot++)
        {
            if (values?[slot] is { } json)
            {
                writer.WritePropertyName(Layout.Keys[slot]);
                writer.WriteRawValue(json, skipInputValidation: true);
            }
            else if (HasValue(slot))
            {
                writer.WritePropertyName(Layout.Keys[slot]);
                writer.WriteRawValue(Stored(Layout.Aggregates + slot), skipInputValidation: true);
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private ReadOnlySpan<byte> Stored(int range) => _stored.AsSpan(_ranges[2 * range], _ranges[(2 * range) + 1]);
}
