using Sluice.Destinations.Webhook;

namespace Sluice.Destinations;

public sealed class DestinationCatalogTests
{
    [Fact]
    public void The_catalog_finds_each_destination_folder_by_its_slug()
    {
        Assert.Same(WebhookDestination.Definition, DestinationCatalog.Builtin.Find("webhook"));
        Assert.Null(DestinationCatalog.Builtin.Find("nope"));
    }

    [Fact]
    public void Every_destination_declares_its_actions_under_their_own_slugs_and_presets_name_real_actions()
    {
        foreach (var destination in DestinationCatalog.Builtin.All)
        {
            Assert.All(destination.Actions, a => Assert.Equal(a.Key, a.Value.Slug));
            Assert.All(destination.Presets, p => Assert.Contains(p.ActionSlug, destination.Actions.Keys));
        }
    }
}
