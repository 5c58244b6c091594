using System.Text.Json;

namespace Sluice.Spec;

public sealed class IntegrationsObjectTests
{
    private static readonly string[] WebhookKeys = ["hook-prod", "Webhook", "webhook"];

    [Theory]
    [InlineData("""{}""", true)]
    [InlineData("""{"integrations":{}}""", true)]
    [InlineData("""{"integrations":null}""", true)]
    [InlineData("""{"integrations":{"All":false}}""", false)]
    [InlineData("""{"integrations":{"All":false,"Webhook":true}}""", true)]
    [InlineData("""{"integrations":{"All":true,"Webhook":false}}""", false)]
    [InlineData("""{"integrations":{"Webhook":false}}""", false)]
    [InlineData("""{"integrations":{"All":false,"Webhook":{"option":1}}}""", true)]
    [InlineData("""{"integrations":{"All":false,"webhook":true}}""", true)]
    [InlineData("""{"integrations":{"All":false,"WEBHOOK":true}}""", false)]
    [InlineData("""{"integrations":{"hook-prod":false,"Webhook":true}}""", false)]
    [InlineData("""{"integrations":{"All":false,"Mixpanel":true}}""", false)]
    [InlineData("""{"integrations":{"Mixpanel":false}}""", true)]
    [InlineData("""{"integrations":{"Webhook":null}}""", false)]
    [InlineData("""{"integrations":{"Webhook":0}}""", false)]
    [InlineData("""{"integrations":{"Webhook":"yes"}}""", true)]
    public void The_destinations_own_key_beats_All_and_All_false_needs_an_explicit_yes(string message, bool allowed)
    {
        using var document = JsonDocument.Parse(message);

        Assert.Equal(allowed, IntegrationsObject.Allows(document.RootElement, WebhookKeys));
    }
}
