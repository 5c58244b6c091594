using System.Collections.Frozen;
using System.Reflection;

namespace Sluice.Hosting;

/// <summary>Files built into the executable (the web app, analytics.js, the OpenAPI document), read once, by their logical names.</summary>
internal static class EmbeddedFiles
{
    /// <summary>Every resource whose logical name starts with <paramref name="prefix"/>, keyed by the rest of its name.</summary>
    public static FrozenDictionary<string, byte[]> Load(string prefix)
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name[prefix.Length..].Replace('\\', '/')] = copy.ToArray();
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
