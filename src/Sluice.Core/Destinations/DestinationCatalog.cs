using System.Collections.Frozen;
using System.Reflection;
using Sluice.Actions.Kit;

namespace Sluice.Destinations;

/// <summary>
/// Every destination Sluice can deliver to. A destination is a folder under <c>Destinations/</c>
/// whose class exposes <c>public static DestinationDefinition Definition</c>; the catalog finds it,
/// so adding a destination touches nothing else.
/// </summary>
public static class DestinationCatalog
{
    private static readonly FrozenDictionary<string, DestinationDefinition> BySlug = Discover().ToFrozenDictionary(d => d.Slug, StringComparer.Ordinal);

    public static IEnumerable<DestinationDefinition> All => BySlug.Values;

    public static DestinationDefinition? Find(string slug) => BySlug.GetValueOrDefault(slug);

    private static IEnumerable<DestinationDefinition> Discover() =>
        typeof(DestinationCatalog).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith(typeof(DestinationCatalog).Namespace + ".", StringComparison.Ordinal) == true)
            .Select(t => t.GetProperty("Definition", BindingFlags.Public | BindingFlags.Static))
            .Where(p => p?.PropertyType == typeof(DestinationDefinition))
            .Select(p => (DestinationDefinition)p!.GetValue(null)!);
}
