using System.Globalization;

namespace Sluice.Admin;

/// <summary>Query parameters read the same way by every Admin API list.</summary>
internal static class AdminQuery
{
    /// <summary>The <c>limit</c> query parameter (<paramref name="defaultLimit"/> without one), or null when it is not a whole number from 1 to <paramref name="maxLimit"/>, written in digits only.</summary>
    public static int? Limit(HttpContext http, int defaultLimit, int maxLimit)
    {
        var text = http.Request.Query["limit"].ToString();
        if (text.Length == 0)
        {
            return defaultLimit;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= 1 && limit <= maxLimit ? limit : null;
    }
}
