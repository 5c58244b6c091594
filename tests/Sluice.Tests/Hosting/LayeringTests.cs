using System.Text.RegularExpressions;
using Sluice.Infrastructure;

namespace Sluice.Hosting;

/// <summary>
/// The tree shows the architecture: the workspace and the store contracts know no stage, each stage
/// knows only what is below it, and the Admin API, the web app and the host sit on top. A file that
/// imports a feature above its own fails here, naming the file.
/// </summary>
public sealed partial class LayeringTests
{
    /// <summary>What each feature folder of src/Sluice may use besides itself and Sluice.Core (Actions, Destinations, Spec).</summary>
    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        ["Observability"] = [],
        ["EventLog"] = ["Observability"],
        ["Storage"] = ["EventLog", "Observability"],
        ["Workspace"] = ["Storage", "EventLog", "Observability"],
        ["Ingest"] = ["EventLog", "Storage", "Observability"],
        ["Tracking"] = ["Ingest", "Workspace", "EventLog", "Storage", "Observability"],
        ["Browser"] = ["Tracking", "Workspace", "Observability"],
        ["Routing"] = ["Workspace", "EventLog", "Storage", "Observability"],
        ["Delivery"] = ["Routing", "Workspace", "Storage", "EventLog", "Observability"],
        ["Debugger"] = ["EventLog", "Workspace", "Storage", "Observability"],
        ["Profiles"] = ["EventLog", "Workspace", "Storage", "Observability"],
        ["Engage"] = ["Profiles", "Routing", "Ingest", "EventLog", "Workspace", "Storage", "Observability"],
        ["Privacy"] = ["Engage", "Profiles", "Delivery", "Routing", "EventLog", "Workspace", "Storage", "Observability"],
    };

    [Fact]
    public void No_feature_uses_one_above_it()
    {
        var source = Path.Combine(TestPaths.RepositoryRoot, "src", "Sluice");
        var violations = new List<string>();
        foreach (var (feature, allowed) in MayUse)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(source, feature), "*.cs", SearchOption.AllDirectories))
            {
                // Code only: a comment may name any feature. Inside namespace Sluice a feature is also named without the prefix.
                var text = string.Join('\n', File.ReadAllLines(file).Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
                var named = FeatureReference().Matches(text).Select(m => m.Groups[1].Value)
                    .Concat(BareFeatureReference().Matches(text).Select(m => m.Groups[1].Value).Where(MayUse.ContainsKey));
                foreach (var used in named.Distinct())
                {
                    if (used != feature && Directory.Exists(Path.Combine(source, used)) && !allowed.Contains(used))
                    {
                        violations.Add($"{Path.GetRelativePath(source, file)} uses {used}");
                    }
                }
            }
        }

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [GeneratedRegex(@"\bSluice\.([A-Z][A-Za-z]+)\b")]
    private static partial Regex FeatureReference();

    // A feature's name followed by a type or namespace, not after a dot (Foo.Profiles is not the feature).
    [GeneratedRegex(@"(?<![.\w])([A-Z][A-Za-z]+)\.[A-Z]\w*")]
    private static partial Regex BareFeatureReference();
}
