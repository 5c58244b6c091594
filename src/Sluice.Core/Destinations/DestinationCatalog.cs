using System.Collections.Frozen;
using System.Reflection;
using Sluice.Actions.Kit;

namespace Sluice.Destinations;

/// <summary>
/// Every destination this server can deliver to: the only list of them. The built-in ones are found
/// in <c>Destinations/</c> (a folder whose class exposes <c>public static DestinationDefinition
/// Definition</c>), so adding a destination touches nothing else; a host can add its own
/// (<see cref="With"/>), and the workspace file, the Admin API, the router and the web app all read
/// the same instance.
/// </summary>
public sealed class DestinationCatalog
{
    private readonly FrozenDictionary<string, DestinationDefinition> _bySlug;

    public DestinationCatalog(IEnumerable<DestinationDefinition> definitions)
    {
        _bySlug = definitions.ToFrozenDictionary(d => d.Slug, StringComparer.Ordinal);
    }

    /// <summary>The destinations built into Sluice.</summary>
    public static DestinationCatalog Builtin { get; } = new(Discover());

    public IEnumerable<DestinationDefinition> All => _bySlug.Values;

    public DestinationDefinition? Find(string slug) => _bySlug.GetValueOrDefault(slug);

    /// <summary>This catalog and <paramref name="more"/> (a slug already present is replaced).</summary>
    public DestinationCatalog With(params DestinationDefinition[] more) =>
        new(_bySlug.Values.Where(d => more.All(m => m.Slug != d.Slug)).Concat(more));

    private static IEnumerable<DestinationDefinition> Discover() =>
        typeof(DestinationCatalog).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith(typeof(DestinationCatalog).Namespace + ".", StringComparison.Ordinal) == true)
            .Select(t => t.GetProperty("Definition", BindingFlags.Public | BindingFlags.Static))
            .Where(p => p?.PropertyType == typeof(DestinationDefinition))
            .Select(p => (DestinationDefinition)p!.GetValue(null)!);
}
