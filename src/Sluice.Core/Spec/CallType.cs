namespace Sluice.Spec;

/// <summary>The six Segment call types.</summary>
public enum CallType
{
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

public static class CallTypes
{
    public static string ToWireName(this CallType type) => type switch
    {
        CallType.Identify => "identify",
        CallType.Track => "track",
        CallType.Page => "page",
        CallType.Screen => "screen",
        CallType.Group => "group",
        CallType.Alias => "alias",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(string? name, out CallType type)
    {
        switch (name)
        {
            case "identify": type = CallType.Identify; return true;
            case "track": type = CallType.Track; return true;
            case "page": type = CallType.Page; return true;
            case "screen": type = CallType.Screen; return true;
            case "group": type = CallType.Group; return true;
            case "alias": type = CallType.Alias; return true;
            default: type = default; return false;
        }
    }
}
