using System.Text.Json.Nodes;
using Sluice.Workspace;

namespace Sluice.Profiles;

/// <summary>
/// Where identity resolution's settings come from. The workspace file's <c>identity:</c> section, when it
/// sets anything, manages them: those are the settings, and the Admin API refuses changes. An empty
/// section leaves them to the Admin API and the web app: the settings saved in the profile store, or
/// Segment's defaults until some are. Saved settings move the graph's version, so every node's next step
/// reads them (<see cref="ProfileGraph"/>).
/// </summary>
internal sealed class IdentitySettingsSource(IdentitySettings file, bool managedByFile)
{
    private (string Json, IdentitySettings Settings)? _parsed;

    /// <summary>Whether the workspace file sets the settings (the Admin API then only shows them).</summary>
    public bool ManagedByFile => managedByFile;

    /// <summary>The settings in force when the store holds <paramref name="stored"/> (null: none saved).</summary>
    public IdentitySettings Effective(StoredIdentitySettings? stored)
    {
        if (managedByFile || stored is null)
        {
            return file;
        }

        var parsed = _parsed;
        if (parsed?.Json != stored.Json)
        {
            // Saved settings were checked when saved; a store written by a newer Sluice may hold keys this one refuses.
            var (settings, problems) = IdentitySection.FromJson(JsonNode.Parse(stored.Json)!.AsObject());
            _parsed = parsed = (stored.Json, settings ?? throw new InvalidOperationException($"the identity settings saved in the store cannot be read: {string.Join("; ", problems.Select(p => $"{p.Field}: {p.Message}"))}"));
        }

        return parsed.Value.Settings;
    }
}
