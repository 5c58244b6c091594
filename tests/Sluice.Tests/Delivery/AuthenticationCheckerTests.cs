using System.Text.Json.Nodes;
using Sluice.Destinations;
using Sluice.Infrastructure;
using Sluice.Routing;

namespace Sluice.Delivery;

/// <summary>A destination's credentials are tested with its service when it is new or its settings change, and the answer is kept.</summary>
public sealed class AuthenticationCheckerTests
{
    [Fact]
    public async Task FullStory_keys_are_checked_with_GET_me_and_the_role_is_reported()
    {
        await using var harness = await ContractHarness.StartAsync(
            url => $"  - {{id: fs, type: actions-fullstory-cloud, sources: [web], settings: {{apiKey: fs-key, baseUrl: '{url}'}}}}\n",
            [new ScriptedAnswer(200, """{"email":"ops@example.com","orgId":"o-1","role":"MEMBER"}""")],
            forgetCredentialChecks: false);

        var check = await CheckAsync(harness, "fs");
        var request = Assert.Single(harness.Service.Received);

        Assert.Equal(("GET", "/me", "Basic fs-key"), (request.Method, request.Path, request.Headers["Authorization"]));
        Assert.True((bool?)check["valid"]);
        Assert.Equal("Credentials are valid; the key's role is MEMBER: deleting users needs an Admin or Architect key", (string?)check["message"]);
    }

    [Fact]
    public async Task A_refused_Stories_token_is_reported_invalid_in_the_services_terms()
    {
        await using var harness = await ContractHarness.StartAsync(
            url => $"  - {{id: st, type: stories, sources: [web], settings: {{apiKey: st-token-123, baseUrl: '{url}'}}}}\n",
            [new ScriptedAnswer(401, """{"message":"Unauthenticated."}""")],
            forgetCredentialChecks: false);

        var check = await CheckAsync(harness, "st");
        var request = Assert.Single(harness.Service.Received);

        Assert.Equal(("GET", "/v1/users?page=1&per_page=1", "Bearer st-token-123"), (request.Method, request.Path, request.Headers["Authorization"]));
        Assert.False((bool?)check["valid"]);
        Assert.Equal("Credentials are invalid: HTTP 401 Unauthorized", (string?)check["message"]);
    }

    [Fact]
    public async Task Settings_already_checked_are_not_checked_again_but_a_new_key_is()
    {
        await using var harness = await ContractHarness.StartAsync(
            url => $"  - {{id: fs, type: actions-fullstory-cloud, sources: [web], settings: {{apiKey: fs-key, baseUrl: '{url}'}}}}\n",
            forgetCredentialChecks: false);
        await CheckAsync(harness, "fs");
        var checker = (AuthenticationChecker)harness.Sluice.Services.GetService(typeof(AuthenticationChecker))!;
        var destination = ((RoutingTable)harness.Sluice.Services.GetService(typeof(RoutingTable))!).Find("fs")!;

        await checker.CheckAsync(destination, force: false, CancellationToken.None);
        Assert.Single(harness.Service.Received);

        var rotated = destination with { Settings = new JsonObject { ["apiKey"] = "fs-key-2", ["baseUrl"] = harness.Service.BaseUrl } };
        await checker.CheckAsync(rotated, force: false, CancellationToken.None);
        Assert.Equal(["Basic fs-key", "Basic fs-key-2"], harness.Service.Received.Select(r => r.Headers["Authorization"]));
    }

    [Fact]
    public async Task A_destination_without_a_credential_test_says_so()
    {
        await using var harness = await ContractHarness.StartAsync(
            url => $"  - {{id: stitch, type: stitch-data, sources: [web], settings: {{endpoint: '{url}/in'}}}}\n",
            forgetCredentialChecks: false);

        var status = JsonNode.Parse(await harness.Sluice.Admin.GetStringAsync("/api/v1/destinations/stitch/authentication"))!;

        Assert.False((bool?)status["supported"]);
        Assert.Empty(harness.Service.Received);
    }

    private static async Task<JsonNode> CheckAsync(ContractHarness harness, string destinationId)
    {
        for (var i = 0; i < 400; i++)
        {
            var status = JsonNode.Parse(await harness.Sluice.Admin.GetStringAsync($"/api/v1/destinations/{destinationId}/authentication"))!;
            if ((bool?)status["checked"] == true)
            {
                return status;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"the credentials of {destinationId} were not checked");
    }
}
