using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Engage.Definitions;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// What a comparison of the query language answers for a value (docs/engage.md, "Comparisons"). A missing
/// value (null) satisfies only <c>absent()</c>: <c>!=</c>, <c>none_of</c> and <c>omits</c> are false on it, as
/// Segment's <c>differs</c> is. Numbers compare as numbers (a numeric text too); a boolean equals
/// <c>true</c>/<c>false</c> and the texts <c>'true'</c>/<c>'false'</c>; dates are ISO 8601 texts.
/// </summary>
internal static class Comparisons
{
    /// <param name="next">Made the soonest of itself and the instants (Unix ms) after <paramref name="now"/> at which the answer could change with time alone.</param>
    public static bool Holds(Comparison comparison, JsonNode? value, long now, ref long? next)
    {
        var arguments = comparison.Values;
        switch (comparison.Operator)
        {
            case "exists":
                return value is not null;
            case "absent":
                return value is null;
        }

        if (value is null)
        {
            return false;
        }

        switch (comparison.Operator)
        {
            case "=":
                return Equal(value, arguments[0]);
            case "!=":
                return !Equal(value, arguments[0]);
            case "one_of":
                return arguments.Any(a => Equal(value, a));
            case "none_of":
                return !arguments.Any(a => Equal(value, a));
            case "<" or "<=" or ">" or ">=":
                if (Number(value) is not { } left || Number(arguments[0]) is not { } right)
                {
                    return false;
                }

                return comparison.Operator switch
                {
                    "<" => left < right,
                    "<=" => left <= right,
                    ">" => left > right,
                    _ => left >= right,
                };
            case "contains":
                return arguments.Any(a => Text(a) is { } part && Text(value)!.Contains(part, StringComparison.Ordinal));
            case "omits":
                return Text(arguments[0]) is { } omitted && !Text(value)!.Contains(omitted, StringComparison.Ordinal);
            case "starts_with":
                return Text(arguments[0]) is { } prefix && Text(value)!.StartsWith(prefix, StringComparison.Ordinal);
            case "ends_with":
                return Text(arguments[0]) is { } suffix && Text(value)!.EndsWith(suffix, StringComparison.Ordinal);
        }

        if (EngageQueryParser.DateOf(value) is not { } date)
        {
            return false;
        }

        var at = date.ToUnixTimeMilliseconds();
        switch (comparison.Operator)
        {
            case "before_date":
                return at < EngageQueryParser.DateOf(arguments[0])!.Value.ToUnixTimeMilliseconds();
            case "after_date":
                return at > EngageQueryParser.DateOf(arguments[0])!.Value.ToUnixTimeMilliseconds();
        }

        var period = (long)comparison.Period!.Value.TotalMilliseconds;
        // Each window is inclusive at both ends: the answer changes at its first instant and just after its last.
        switch (comparison.Operator)
        {
            case "within_last":
                Soonest(ref next, at, now);
                Soonest(ref next, at + period + 1, now);
                return at >= now - period && at <= now;
            case "within_next":
                Soonest(ref next, at - period, now);
                Soonest(ref next, at + 1, now);
                return at >= now && at <= now + period;
            case "before_last":
                Soonest(ref next, at + period, now);
                return at <= now - period;
            case "after_next":
                Soonest(ref next, at - period + 1, now);
                return at >= now + period;
            default:
                return false;
        }
    }

    /// <summary>
    /// What a comparison answers for a count (never missing: a count of no events is 0): as
    /// <see cref="CountComparison"/> decides it for the common comparisons of a count with a number, the others
    /// as <see cref="Holds(Comparison, JsonNode?, long, ref long?)"/> answers them.
    /// </summary>
    public static bool Holds(Comparison comparison, long count, long now, ref long? next) =>
        CountComparison.Of(comparison) is { } plain ? plain.Holds(count) : Holds(comparison, JsonValue.Create(count), now, ref next);

    /// <summary>Makes <paramref name="next"/> the sooner of itself and <paramref name="at"/>, if that is after <paramref name="now"/>.</summary>
    public static void Soonest(ref long? next, long at, long now)
    {
        if (at > now && (next is null || at < next))
        {
            next = at;
        }
    }

    private static bool Equal(JsonNode value, JsonNode? argument)
    {
        if (argument is null)
        {
            return false;
        }

        if (Number(value) is { } left && Number(argument) is { } right && (IsNumber(value) || IsNumber(argument)))
        {
            return left == right;
        }

        return value.GetValueKind() is JsonValueKind.Array or JsonValueKind.Object
            ? JsonNode.DeepEquals(value, argument)
            : Text(value) == Text(argument);
    }

    internal static bool IsNumber(JsonNode node) => node.GetValueKind() == JsonValueKind.Number;

    // A value made from a long reads as a long, not a double; its JSON text always parses (the slow way).
    internal static double? Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<string>(out var text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>A value as text: a string as it is, <c>true</c>/<c>false</c>, a number in invariant form, an array or object as JSON.</summary>
    private static string? Text(JsonNode? node) => node?.GetValueKind() switch
    {
        null => null,
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => Number(node)!.Value.ToString(CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}

/// <summary>
/// A count compared with a number (<c>=</c>, <c>!=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>), decided
/// once when a condition is compiled rather than each time a profile is evaluated: a count is then compared
/// without a node, as the node would be.
/// </summary>
internal sealed record CountComparison(string Operator, double Bound)
{
    /// <summary>The comparison as a count's, or null when it is of another kind (compared as a node).</summary>
    public static CountComparison? Of(Comparison comparison) =>
        comparison.Operator is "=" or "!=" or "<" or "<=" or ">" or ">=" && comparison.Values[0] is JsonValue argument
            && Comparisons.IsNumber(argument) && Comparisons.Number(argument) is { } bound
            ? new CountComparison(comparison.Operator, bound)
            : null;

    public bool Holds(long count) => Operator switch
    {
        "=" => count == Bound,
        "!=" => count != Bound,
        "<" => count < Bound,
        "<=" => count <= Bound,
        ">" => count > Bound,
        _ => count >= Bound,
    };
}
