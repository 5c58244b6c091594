using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Workspace;

/// <summary>What an aggregate of events reduces them to (Segment's query language reducers).</summary>
internal enum Reducer
{
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Mode,
    First,
    Last,
    Unique,
    UniqueCount,
}

/// <summary>
/// The events an aggregate takes by their <c>timestamp</c>: those from <see cref="Far"/> ago up to
/// <see cref="Near"/> ago (<c>within(30 days)</c>: 30 days to now; <c>between(30 days, 90 days)</c>).
/// </summary>
internal sealed record EventWindow(TimeSpan Near, TimeSpan Far)
{
    public override string ToString() => Near == TimeSpan.Zero
        ? $"within({Duration(Far)})"
        : $"between({Duration(Near)}, {Duration(Far)})";

    private static string Duration(TimeSpan span) => span.TotalDays == Math.Floor(span.TotalDays)
        ? $"{span.TotalDays.ToString(CultureInfo.InvariantCulture)} days"
        : $"{span.TotalHours.ToString(CultureInfo.InvariantCulture)} hours";
}

/// <summary>
/// The events an aggregate takes by the dates of their <c>timestamp</c>, fixed: <c>between(2026-11-27, 2026-11-30)</c>
/// takes those from the first instant of the first date to the last of the second (UTC); a timestamp
/// (<c>2026-11-27T18:00:00Z</c>) is that instant, taken. Nothing ever leaves such a range, so it filters the
/// events an aggregate takes rather than being a window that moves with time.
/// </summary>
/// <param name="From">The first instant taken (Unix ms).</param>
/// <param name="To">The last instant taken (Unix ms).</param>
/// <param name="Text">The range as written, quoted: what the aggregate's canonical text holds.</param>
internal sealed record EventDates(long From, long To, string Text)
{
    public bool Takes(long at) => at >= From && at <= To;

    /// <summary>The range of two dates or timestamps as written (ISO 8601); null, with why, when they are not one.</summary>
    public static EventDates? Of(string from, string to, out string? why)
    {
        why = null;
        if (Instant(from, end: false) is not { } first || Instant(to, end: true) is not { } last)
        {
            why = "between() takes two periods (between(30 days, 90 days)) or two dates (between(2026-11-27, 2026-11-30), ISO 8601, UTC unless an offset is given)";
            return null;
        }

        if (last < first)
        {
            why = "between(A, B) with dates takes the events from A to B: B must not be before A";
            return null;
        }

        return new EventDates(first, last, $"{EventAggregate.Quote(from)}, {EventAggregate.Quote(to)}");
    }

    /// <summary>A date's first instant (or, for the end of a range, its last); a timestamp's own.</summary>
    private static long? Instant(string text, bool end)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
            return end ? start + (long)TimeSpan.FromDays(1).TotalMilliseconds - 1 : start;
        }

        return text.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
            ? instant.ToUnixTimeMilliseconds()
            : null;
    }
}

/// <summary>
/// <c>event('E').where(…).within(…).reducer(…)</c>: the events named <see cref="Event"/> (a page call is
/// "Page Viewed", a screen call "Screen Viewed") that match <see cref="Where"/> (FQL, the triggers' engine)
/// in <see cref="Window"/>, reduced. <see cref="Key"/> is its canonical text: definitions that share an
/// aggregate share its state.
/// </summary>
/// <param name="AsText">min or max of the values as text (<c>min(property('x') as string)</c>), not as numbers.</param>
/// <param name="Dates">The dates its events' timestamps fall in (<c>between(2026-11-27, 2026-11-30)</c>); null: any.</param>
internal sealed record EventAggregate(string Event, string? Where, EventWindow? Window, Reducer Reducer, string? Property, int MinFrequency, bool AsText = false, EventDates? Dates = null)
{
    // Made once per instance (a key is looked up for every event and evaluation), outside the record's
    // fields, so that equality and `with` copies are the positional members' alone.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<EventAggregate, string> Keys = [];

    public string Key => Keys.GetValue(this, static aggregate => aggregate.Canonical());

    private string Canonical()
    {
        {
            var text = new StringBuilder("event(").Append(Quote(Event)).Append(')');
            if (Where is not null)
            {
                text.Append(".where(").Append(Where).Append(')');
            }

            if (Dates is not null)
            {
                text.Append(".between(").Append(Dates.Text).Append(')');
            }

            if (Window is not null)
            {
                text.Append('.').Append(Window);
            }

            var reducer = Reducer == Reducer.UniqueCount ? "unique" : Reducer.ToString().ToLowerInvariant();
            text.Append('.').Append(reducer).Append('(');
            if (Property is not null)
            {
                text.Append("property(").Append(Quote(Property)).Append(AsText ? ") as string" : ")");
                if (Reducer == Reducer.Mode)
                {
                    text.Append(", ").Append(MinFrequency.ToString(CultureInfo.InvariantCulture));
                }
            }

            text.Append(')');
            return Reducer == Reducer.UniqueCount ? text.Append(".count()").ToString() : text.ToString();
        }
    }

    /// <summary>Whether the reducer answers a number that is 0 for no events (a count), rather than null.</summary>
    public bool Counts => Reducer is Reducer.Count or Reducer.UniqueCount;

    public static string Quote(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}

/// <summary>An audience's condition: true or false for a profile at an instant.</summary>
internal abstract record EngageCondition;

internal sealed record AllOf(EngageCondition Left, EngageCondition Right) : EngageCondition;

internal sealed record AnyOf(EngageCondition Left, EngageCondition Right) : EngageCondition;

internal sealed record NoneOf(EngageCondition Inner) : EngageCondition;

/// <summary><c>event('E')….count() &gt;= 3</c>: an aggregate's value compared.</summary>
internal sealed record EventCondition(EventAggregate Aggregate, Comparison Comparison) : EngageCondition;

/// <summary>
/// <c>trait('k') = 'pro'</c>: a trait of the profile compared, where the key may name a computed trait or
/// another audience (its membership, true or false).
/// </summary>
internal sealed record TraitCondition(string Key, Comparison Comparison) : EngageCondition;

/// <summary>
/// A comparison: <see cref="Operator"/> is <c>=</c>, <c>!=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c> or the
/// name of a comparator method (<see cref="Methods"/>), with its values, or its <see cref="Period"/> for the
/// comparators of dates relative to now (<c>within_last(7 days)</c>).
/// </summary>
internal sealed record Comparison(string Operator, IReadOnlyList<JsonNode?> Values, TimeSpan? Period = null)
{
    /// <summary>Comparator methods and, for those with an operator, the operator they are written as.</summary>
    public static readonly IReadOnlyDictionary<string, string> Methods = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["equals"] = "=",
        ["differs"] = "!=",
        ["greater_than"] = ">",
        ["at_least"] = ">=",
        ["less_than"] = "<",
        ["at_most"] = "<=",
        ["one_of"] = "one_of",
        ["none_of"] = "none_of",
        ["contains"] = "contains",
        ["omits"] = "omits",
        ["starts_with"] = "starts_with",
        ["ends_with"] = "ends_with",
        ["exists"] = "exists",
        ["absent"] = "absent",
        ["before_date"] = "before_date",
        ["after_date"] = "after_date",
        ["within_last"] = "within_last",
        ["within_next"] = "within_next",
        ["before_last"] = "before_last",
        ["after_next"] = "after_next",
    };
}

/// <summary>A parsed definition: a computed trait's aggregate, or an audience's condition.</summary>
internal sealed record EngageQuery(EventAggregate? Aggregate, EngageCondition? Condition);
