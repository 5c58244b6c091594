namespace Sluice.Workspace;

/// <summary>Web origins as browsers send them in <c>Origin</c>: scheme://host[:port], no path.</summary>
internal static class WebOrigins
{
    private const string Expected = "an origin such as https://shop.example: scheme, host and port, no path";

    /// <summary>The refusal of an entry that is not an origin, the same from the workspace file and the Admin API.</summary>
    public static string NotAnOrigin(string? text) => $"'{text}' is not an origin: write {Expected}";

    public static bool TryNormalize(string? text, out string origin)
    {
        origin = "";
        if (text is null || text.EndsWith('/') || !Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/" || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            return false;
        }

        origin = uri.GetLeftPart(UriPartial.Authority);
        return true;
    }
}
