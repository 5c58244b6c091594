using System.Net.Http.Json;
using Sluice.Infrastructure;

namespace Sluice.Admin;

/// <summary>Secret settings never appear in an Admin API answer or in a log line of a running <c>sluice serve</c>, whatever happens to their deliveries.</summary>
public sealed class SecretsStayHiddenTests
{
    private const string FileKey = "file-secret-key-AAAA";
    private const string ApiKey = "api-secret-key-BBBB";
    private const string StitchToken = "stitch-path-token-CCCC";

    [Fact]
    public async Task No_answer_and_no_log_line_shows_a_secret_setting()
    {
        await using var service = await RecordingServer.StartAsync();
        var workspace = await TestWorkspace.CreateAsync($$"""
            sources:
              - {id: web, writeKey: wk_secrets}
            destinations:
              - id: fs-file
                type: actions-fullstory-cloud
                sources: [web]
                settings: {apiKey: {{FileKey}}, baseUrl: '{{service.BaseUrl}}/file'}
            """);
        // Debug logging too: nothing at any level may carry a secret.
        await using var server = await SluiceProcess.StartAsync(workspace.DataDirectory, workspace.ConfigFile, new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Debug" });

        service.AnswerNext(new ScriptedAnswer(200), new ScriptedAnswer(401, """{"code":"unauthorized"}"""), new ScriptedAnswer(401, """{"code":"unauthorized"}"""));
        (await server.Admin.PostAsJsonAsync("/api/v1/destinations", new { id = "fs-api", type = "actions-fullstory-cloud", sources = new[] { "web" }, settings = new { apiKey = ApiKey, baseUrl = service.BaseUrl + "/api" } })).EnsureSuccessStatusCode();
        (await server.Admin.PostAsJsonAsync("/api/v1/destinations", new { id = "stitch", type = "stitch-data", sources = new[] { "web" }, settings = new { endpoint = $"{service.BaseUrl}/stitch/{StitchToken}", apiKey = ApiKey } })).EnsureSuccessStatusCode();
        using var tracking = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        tracking.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("wk_secrets:"u8.ToArray()));
        (await tracking.PostAsJsonAsync("/v1/track", new { userId = "u", @event = "E", messageId = "s-1" })).EnsureSuccessStatusCode();
        (await tracking.PostAsJsonAsync("/v1/identify", new { userId = "u", messageId = "s-2" })).EnsureSuccessStatusCode();
        foreach (var destination in new[] { "fs-file", "fs-api", "stitch" })
        {
            await DeliveryLog.WaitForAsync(server.Admin, destination, "s-1", d => (int?)d["attempts"] >= 1);
        }

        var test = await (await server.Admin.PostAsJsonAsync("/api/v1/mappings/test", new { destination = "stitch", action = "send", send = true, @event = new { type = "track", userId = "u", @event = "E" } })).Content.ReadAsStringAsync();
        var answers = string.Concat(await Task.WhenAll(new[]
        {
            "/api/v1/destinations", "/api/v1/destinations/fs-file", "/api/v1/destinations/fs-api", "/api/v1/destinations/stitch",
            "/api/v1/destinations/fs-api/deliveries", "/api/v1/destinations/stitch/deliveries", "/api/v1/destinations/fs-file/deliveries",
            "/api/v1/destinations/fs-api/authentication", "/api/v1/destinations/fs-file/authentication",
        }.Select(server.Admin.GetStringAsync))) + test;

        Assert.NotEmpty(service.Received);
        // The log was read: the credential checks of both FullStory destinations are in it.
        Assert.Contains("Destination fs-file", server.Output, StringComparison.Ordinal);
        Assert.Contains("Destination fs-api", server.Output, StringComparison.Ordinal);
        foreach (var secret in new[] { FileKey, ApiKey, StitchToken, Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ApiKey + ":")) })
        {
            Assert.DoesNotContain(secret, answers, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, server.Output, StringComparison.Ordinal);
        }
    }
}
