using System.Globalization;

namespace Sluice.Workspace;

/// <summary>Durations as people write them in the workspace file and on the command line: <c>90s</c>, <c>30m</c>, <c>4h</c>, <c>7d</c>.</summary>
internal static class DurationText
{
    public const string Expected = "a duration such as 90s, 30m, 4h or 7d, at most 3650d";

    /// <summary>Ten years: longer than anything Sluice keeps or waits for, and far from TimeSpan's overflow.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(3650);

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length < 2 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        double? seconds = text[^1] switch
        {
            's' => amount,
            'm' => amount * 60,
            'h' => amount * 3_600,
            'd' => amount * 86_400,
            _ => null,
        };
        // Written so that NaN fails too.
        if (seconds is not { } s || !(s > 0 && s <= Longest.TotalSeconds))
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(s);
        return true;
    }

    /// <summary>The duration in the largest unit that writes it whole (<c>7d</c>, <c>36h</c>, <c>90s</c>): what <see cref="TryParse"/> reads back.</summary>
    public static string Format(TimeSpan duration)
    {
        var seconds = (long)duration.TotalSeconds;
        return seconds % 86_400 == 0 ? $"{seconds / 86_400}d"
            : seconds % 3_600 == 0 ? $"{seconds / 3_600}h"
            : seconds % 60 == 0 ? $"{seconds / 60}m"
            : $"{seconds}s";
    }
}
