using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Definitions;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// One qualifying event as an aggregate keeps it: its <c>timestamp</c> (Unix ms), its place in the log (ties
/// between equal timestamps go by it) and the property's JSON text (null for a count).
/// </summary>
internal readonly record struct Fact(long At, long Order, string? Value)
{
    public static long OrderOf(long position, int index) => (position << 20) | (uint)index;

    public bool Before(Fact other) => At < other.At || (At == other.At && Order < other.Order);
}

/// <summary>
/// What an aggregate keeps of a profile's events. Without a window, a summary that each event updates (a
/// count, a sum, the first value…); with one, every qualifying event not yet past the window, so that the
/// value can be taken at any instant and the instant it next changes is known. Two profiles' states
/// merge into one when the profiles do.
/// </summary>
internal sealed class AggregateState
{
    /// <summary>Distinct values kept at most for mode and unique (Segment's limit): new ones past it are dropped.</summary>
    public const int MaxDistinctValues = 10_000;

    // Made when first needed: a windowed aggregate keeps facts, any other a summary; most profiles' states hold neither.
    private List<Fact>? _facts;
    private Summary? _summary;

    /// <summary>Whether any event ever qualified: a count is then 0 rather than absent once its window empties.</summary>
    public bool Qualified { get; private set; }

    /// <summary>Whether an event, a merge or a prune changed it since it was read or made: one that did not is written as it was stored.</summary>
    public bool Changed { get; private set; }

    public void Add(EventAggregate aggregate, Fact fact)
    {
        Qualified = true;
        Changed = true;
        if (aggregate.Window is null)
        {
            (_summary ??= new()).Add(aggregate, fact);
            return;
        }

        _facts ??= [];
        var at = _facts.Count;
        while (at > 0 && fact.Before(_facts[at - 1]))
        {
            at--;
        }

        _facts.Insert(at, fact);
    }

    public void Merge(EventAggregate aggregate, AggregateState other)
    {
        Qualified |= other.Qualified;
        Changed = true;
        if (aggregate.Window is null)
        {
            if (other._summary is not null)
            {
                (_summary ??= new()).Merge(aggregate, other._summary);
            }

            return;
        }

        if (other._facts is null)
        {
            return;
        }

        _facts ??= [];
        _facts.AddRange(other._facts);
        _facts.Sort((a, b) => a.Before(b) ? -1 : b.Before(a) ? 1 : 0);
    }

    /// <summary>Drops the events that have left the window for good at <paramref name="now"/> (Unix ms).</summary>
    public void Prune(EventAggregate aggregate, long now)
    {
        if (aggregate.Window is { } window && _facts is not null)
        {
            var gone = 0;
            while (gone < _facts.Count && Left(window, _facts[gone], now))
            {
                gone++;
            }

            _facts.RemoveRange(0, gone);
            Changed |= gone > 0;
        }
    }

    /// <summary>The aggregate's value at <paramref name="now"/>: null when no event qualifies (a count: 0 once one has).</summary>
    public JsonNode? Value(EventAggregate aggregate, long now)
    {
        if (aggregate.Reducer == Reducer.Count)
        {
            return Count(aggregate, now) is { } count ? JsonValue.Create(count) : null;
        }

        if (aggregate.Window is not { } window)
        {
            return (_summary ?? Summary.None).Value(aggregate, Qualified);
        }

        var summary = new Summary();
        foreach (var fact in _facts ?? [])
        {
            if (In(window, fact, now))
            {
                summary.Add(aggregate, fact);
            }
        }

        return summary.Value(aggregate, Qualified);
    }

    /// <summary>A count's value at <paramref name="now"/> (<see cref="Reducer.Count"/> alone), without a node: null when no event ever qualified.</summary>
    public long? Count(EventAggregate aggregate, long now)
    {
        if (!Qualified)
        {
            return null;
        }

        if (aggregate.Window is not { } window)
        {
            return (_summary ?? Summary.None).Counted;
        }

        var count = 0L;
        foreach (var fact in _facts ?? [])
        {
            count += In(window, fact, now) ? 1 : 0;
        }

        return count;
    }

    /// <summary>The next instant after <paramref name="now"/> at which an event enters or leaves the window (null: none).</summary>
    public long? NextChange(EventAggregate aggregate, long now)
    {
        if (aggregate.Window is not { } window || _facts is null)
        {
            return null;
        }

        long? next = null;
        foreach (var fact in _facts)
        {
            foreach (var edge in (ReadOnlySpan<long>)[fact.At + (long)window.Near.TotalMilliseconds, fact.At + (long)window.Far.TotalMilliseconds])
            {
                if (edge > now && (next is null || edge < next))
                {
                    next = edge;
                }
            }
        }

        return next;
    }

    /// <summary>
    /// Whether the event counts at <paramref name="now"/>: <c>within(D)</c> takes a timestamp later than now − D
    /// (one exactly D old has left); <c>between(A, B)</c> one later than now − B and at most now − A.
    /// </summary>
    public static bool In(EventWindow window, Fact fact, long now) =>
        fact.At > now - (long)window.Far.TotalMilliseconds && (window.Near == TimeSpan.Zero || fact.At <= now - (long)window.Near.TotalMilliseconds);

    private static bool Left(EventWindow window, Fact fact, long now) => fact.At <= now - (long)window.Far.TotalMilliseconds;

    public void Write(Utf8JsonWriter writer)
    {
        // Most windowed states have seen events that have all left the window: one byte-cheap token for them.
        if (Qualified && _facts is not { Count: > 0 } && _summary is not { Empty: false })
        {
            writer.WriteBooleanValue(true);
            return;
        }

        writer.WriteStartObject();
        if (Qualified)
        {
            writer.WriteBoolean("q", true);
        }

        if (_facts is { Count: > 0 })
        {
            writer.WriteStartArray("f");
            foreach (var fact in _facts)
            {
                WriteFact(writer, fact);
            }

            writer.WriteEndArray();
        }

        _summary?.Write(writer);
        writer.WriteEndObject();
    }

    /// <summary>A state as <see cref="Write"/> wrote it (UTF-8 JSON).</summary>
    public static AggregateState Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        if (reader.TokenType == JsonTokenType.True)
        {
            return new AggregateState { Qualified = true };
        }

        var state = new AggregateState();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("q"u8))
            {
                reader.Read();
                state.Qualified = reader.GetBoolean();
            }
            else if (reader.ValueTextEquals("f"u8))
            {
                reader.Read();
                state._facts = [];
                while (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
                {
                    state._facts.Add(ReadFact(ref reader, json));
                }
            }
            else
            {
                (state._summary ??= new()).Read(ref reader, json);
            }
        }

        return state;
    }

    private static void WriteFact(Utf8JsonWriter writer, Fact fact)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(fact.At);
        writer.WriteNumberValue(fact.Order);
        if (fact.Value is not null)
        {
            writer.WriteRawValue(fact.Value, skipInputValidation: true);
        }

        writer.WriteEndArray();
    }

    /// <summary>A fact's array (<c>[at, order]</c> or <c>[at, order, value]</c>), the reader on its start; left on its end.</summary>
    private static Fact ReadFact(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        reader.Read();
        var at = reader.GetInt64();
        reader.Read();
        var order = reader.GetInt64();
        var value = reader.Read() && reader.TokenType != JsonTokenType.EndArray ? RawText(ref reader, json) : null;
        if (value is not null)
        {
            reader.Read();
        }

        return new Fact(at, order, value);
    }

    /// <summary>The JSON text of the value the reader is on, as stored; the reader is left on its last token.</summary>
    private static string RawText(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
    }

    /// <summary>The reduction of a run of facts, kept up as they come.</summary>
    private sealed class Summary
    {
        /// <summary>The summary of no events, read and never changed.</summary>
        public static readonly Summary None = new();

        private long _count;
        private double _sum;
        private long _numbers;
        private Fact? _first;
        private Fact? _last;
        private string? _min;
        private string? _max;
        private Dictionary<string, long>? _values;

        public long Counted => _count;

        public bool Empty => _count == 0 && _numbers == 0 && _first is null && _last is null && _min is null && _max is null && _values is not { Count: > 0 };

        public void Add(EventAggregate aggregate, Fact fact)
        {
            _count++;
            switch (aggregate.Reducer)
            {
                case Reducer.Sum or Reducer.Avg when Number(fact.Value) is { } number:
                    _sum += number;
                    _numbers++;
                    break;
                case Reducer.Min or Reducer.Max when Comparable(aggregate, fact.Value):
                    TakeExtreme(aggregate, fact.Value!);
                    break;
                case Reducer.First or Reducer.Last:
                    TakeFirstOrLast(fact);
                    break;
                case Reducer.Mode or Reducer.Unique or Reducer.UniqueCount:
                    Count(fact.Value!, 1);
                    break;
            }
        }

        public void Merge(EventAggregate aggregate, Summary other)
        {
            _count += other._count;
            _sum += other._sum;
            _numbers += other._numbers;
            foreach (var fact in (ReadOnlySpan<Fact?>)[other._first, other._last])
            {
                if (fact is { } f)
                {
                    TakeFirstOrLast(f);
                }
            }

            foreach (var value in (ReadOnlySpan<string?>)[other._min, other._max])
            {
                if (value is not null && Comparable(aggregate, value))
                {
                    TakeExtreme(aggregate, value);
                }
            }

            foreach (var (value, count) in other._values ?? [])
            {
                Count(value, count);
            }
        }

        private void TakeExtreme(EventAggregate aggregate, string value)
        {
            if (_min is null || Compare(aggregate, value, _min) < 0)
            {
                _min = value;
            }

            if (_max is null || Compare(aggregate, value, _max) > 0)
            {
                _max = value;
            }
        }

        private void TakeFirstOrLast(Fact fact)
        {
            if (_first is not { } first || fact.Before(first))
            {
                _first = fact;
            }

            if (_last is not { } last || last.Before(fact))
            {
                _last = fact;
            }
        }

        /// <summary>Counts a value <paramref name="times"/> more; a new value past <see cref="MaxDistinctValues"/> is dropped.</summary>
        private void Count(string value, long times)
        {
            _values ??= new Dictionary<string, long>(StringComparer.Ordinal);
            if (_values.ContainsKey(value) || _values.Count < MaxDistinctValues)
            {
                _values[value] = _values.GetValueOrDefault(value) + times;
            }
        }

        public JsonNode? Value(EventAggregate aggregate, bool qualified) => aggregate.Reducer switch
        {
            Reducer.Count => qualified ? JsonValue.Create(_count) : null,
            Reducer.UniqueCount => qualified ? JsonValue.Create(_values?.Count ?? 0) : null,
            Reducer.Sum => _numbers > 0 ? JsonValue.Create(_sum) : null,
            Reducer.Avg => _numbers > 0 ? JsonValue.Create(_sum / _numbers) : null,
            Reducer.Min => Parse(_min),
            Reducer.Max => Parse(_max),
            Reducer.First => Parse(_first?.Value),
            Reducer.Last => Parse(_last?.Value),
            // Ties go to the alphabetically first value (Segment's rule), as JSON text.
            Reducer.Mode => _values?.Where(v => v.Value >= aggregate.MinFrequency)
                .OrderByDescending(v => v.Value).ThenBy(v => v.Key, StringComparer.Ordinal)
                .Select(v => Parse(v.Key)).FirstOrDefault(),
            Reducer.Unique => _values is { Count: > 0 } values
                ? new JsonArray([.. values.Keys.Order(StringComparer.Ordinal).Select(Parse)])
                : null,
            _ => null,
        };

        public void Write(Utf8JsonWriter writer)
        {
            if (_count > 0)
            {
                writer.WriteNumber("c", _count);
            }

            if (_numbers > 0)
            {
                writer.WriteNumber("s", _sum);
                writer.WriteNumber("n", _numbers);
            }

            if (_first is { } first)
            {
                writer.WritePropertyName("fi");
                WriteFact(writer, first);
            }

            if (_last is { } last)
            {
                writer.WritePropertyName("la");
                WriteFact(writer, last);
            }

            foreach (var (name, value) in (ReadOnlySpan<(string, string?)>)[("mi", _min), ("ma", _max)])
            {
                if (value is not null)
                {
                    writer.WritePropertyName(name);
                    writer.WriteRawValue(value, skipInputValidation: true);
                }
            }

            if (_values is { Count: > 0 })
            {
                writer.WriteStartObject("v");
                foreach (var (value, count) in _values)
                {
                    writer.WriteNumber(value, count);
                }

                writer.WriteEndObject();
            }
        }

        /// <summary>Reads a property of a stored state into the summary, the reader on its name; left on the value's last token.</summary>
        public void Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
        {
            var name = reader;
            reader.Read();
            if (name.ValueTextEquals("c"u8))
            {
                _count = reader.GetInt64();
            }
            else if (name.ValueTextEquals("s"u8))
            {
                _sum = reader.GetDouble();
            }
            else if (name.ValueTextEquals("n"u8))
            {
                _numbers = reader.GetInt64();
            }
            else if (name.ValueTextEquals("fi"u8))
            {
                _first = ReadFact(ref reader, json);
            }
            else if (name.ValueTextEquals("la"u8))
            {
                _last = ReadFact(ref reader, json);
            }
            else if (name.ValueTextEquals("mi"u8))
            {
                _min = RawText(ref reader, json);
            }
            else if (name.ValueTextEquals("ma"u8))
            {
                _max = RawText(ref reader, json);
            }
            else if (name.ValueTextEquals("v"u8))
            {
                _values = new Dictionary<string, long>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var value = reader.GetString()!;
                    reader.Read();
                    _values[value] = reader.GetInt64();
                }
            }
            else
            {
                reader.Skip();
            }
        }

        private static bool Comparable(EventAggregate aggregate, string? value) =>
            aggregate.AsText ? value is not null && value.StartsWith('"') : Number(value) is not null;

        private static int Compare(EventAggregate aggregate, string a, string b) => aggregate.AsText
            ? string.CompareOrdinal(JsonSerializer.Deserialize<string>(a), JsonSerializer.Deserialize<string>(b))
            : Number(a)!.Value.CompareTo(Number(b)!.Value);
    }

    /// <summary>A number's value from its JSON text (null: not a number).</summary>
    public static double? Number(string? json) =>
        json is not null && json.Length > 0 && (char.IsAsciiDigit(json[0]) || json[0] == '-')
        && double.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    private static JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
}
