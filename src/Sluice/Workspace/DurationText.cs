using System.Globalization;

namespace Sluice.Workspace;

/// <summary>Durations as people write them in the workspace file and on the command line: <c>90s</c>, <c>30m</c>, <c>4h</c>, <c>7d</c>.</summary>
public static class DurationText
{
    public const string Expected = "a duration such as 90s, 30m, 4h or 7d";

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length < 2 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        TimeSpan? parsed = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => null,
        };
        duration = parsed ?? default;
        return parsed is not null;
    }
}
