using System.Text.RegularExpressions;

namespace Sluice.Workspace;

/// <summary>
/// One identifier type's rule: at most <paramref name="Limit"/> values on a profile, counting only values
/// added within <paramref name="Window"/> when there is one (null: ever). <paramref name="Priority"/> ranks
/// the types, 1 first: when an event breaks a rule, its lowest-priority identifier is the one dropped.
/// </summary>
internal sealed record IdentifierRule(int Limit, TimeSpan? Window, int Priority);

/// <summary>
/// Identity resolution's settings, with Segment's defaults: <c>user_id</c> limited to 1 and first in priority,
/// <c>email</c> second, every other type limited to 5 and ranked alphabetically after them; the four blocked
/// values Segment suggests; 100 merges and 1,000 identifiers per profile.
/// </summary>
internal sealed record IdentitySettings
{
    /// <summary>The types Sluice reads from a message without being told (Segment's eleven defaults).</summary>
    public static readonly IReadOnlyList<string> DefaultTypes =
    [
        "user_id", "email", "android.id", "android.idfa", "android.push_token", "anonymous_id",
        "ga_client_id", "group_id", "ios.id", "ios.idfa", "ios.push_token",
    ];

    /// <summary>Limit of a type no rule names: Segment's default for every type but <c>user_id</c>.</summary>
    public const int DefaultLimit = 5;

    public IReadOnlyDictionary<string, IdentifierRule> Rules { get; init; } = DefaultRules();

    /// <summary>Trait or property keys read as identifiers of their own type (<c>app_id</c> reads <c>app_id</c> and <c>appId</c>).</summary>
    public IReadOnlyList<string> CustomKeys { get; init; } = [];

    /// <summary>Values never used as identifiers, whatever their type: exact values and patterns.</summary>
    public IReadOnlyList<string> BlockedValues { get; init; } = ["-1", "null", "anonymous"];

    public IReadOnlyList<Regex> BlockedPatterns { get; init; } = [new("^[0-]*$", RegexOptions.CultureInvariant)];

    /// <summary>Merges a profile may take part in; past it, events still resolve to the profile but merge no more.</summary>
    public int MaxMerges { get; init; } = 100;

    /// <summary>Identifiers a profile may hold; past it, events still resolve but add none.</summary>
    public int MaxIdentifiers { get; init; } = 1_000;

    /// <summary>Whether an alias call merges its two ids (Segment's Unify does not; Mixpanel and PostHog users expect it).</summary>
    public bool AliasMerges { get; init; }

    /// <summary>
    /// The rule of a type. A type no rule names (a custom key, an <c>externalIds</c> type) has the default
    /// limit, no window, and the priority after every named type (so a new type never reorders the named
    /// ones, where Segment re-sorts them); among such types the one listed last in the event goes first.
    /// </summary>
    public IdentifierRule RuleOf(string type)
    {
        if (Rules.TryGetValue(type, out var rule))
        {
            return rule;
        }

        var after = Rules.Count == 0 ? 0 : Rules.Values.Max(r => r.Priority);
        return new IdentifierRule(DefaultLimit, null, after + 1);
    }

    /// <summary>These settings with <paramref name="type"/>'s rule set to <paramref name="rule"/>.</summary>
    public IdentitySettings WithRule(string type, IdentifierRule rule) =>
        this with { Rules = new Dictionary<string, IdentifierRule>(Rules, StringComparer.Ordinal) { [type] = rule } };

    public bool IsBlocked(string value)
    {
        // By index: asked for every identifier of every event, where an enumerator each would be garbage.
        for (var i = 0; i < BlockedValues.Count; i++)
        {
            if (string.Equals(BlockedValues[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        for (var i = 0; i < BlockedPatterns.Count; i++)
        {
            if (BlockedPatterns[i].IsMatch(value))
            {
                return true;
            }
        }

        return false;
    }

    private static Dictionary<string, IdentifierRule> DefaultRules()
    {
        var rules = new Dictionary<string, IdentifierRule>(StringComparer.Ordinal)
        {
            ["user_id"] = new(1, null, 1),
            ["email"] = new(DefaultLimit, null, 2),
        };
        var priority = 3;
        foreach (var type in DefaultTypes.Where(t => !rules.ContainsKey(t)).Order(StringComparer.Ordinal))
        {
            rules[type] = new IdentifierRule(DefaultLimit, null, priority++);
        }

        return rules;
    }
}
