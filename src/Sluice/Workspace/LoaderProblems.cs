using System.Text.RegularExpressions;

namespace Sluice.Workspace;

/// <summary>A problem the workspace file's loader found, as the Admin API answers it: the field's path and the message, without the position in the file.</summary>
internal static partial class LoaderProblems
{
    /// <summary>Splits <c>file:line:column: path: message</c>; the path loses <paramref name="prefix"/> (the part of the document the API wrapped its body in).</summary>
    public static (string Field, string Message) Split(string problem, string prefix)
    {
        var match = ProblemPattern().Match(problem);
        if (!match.Success)
        {
            return ("", problem);
        }

        var path = match.Groups["path"].Value;
        path = path.StartsWith(prefix + ".", StringComparison.Ordinal) ? path[(prefix.Length + 1)..] : path == prefix ? "" : path;
        return (path, match.Groups["message"].Value);
    }

    [GeneratedRegex(@"^[^:]*:\d+:\d+: (?<path>[^:]*): (?<message>.*)$", RegexOptions.Singleline)]
    private static partial Regex ProblemPattern();
}
