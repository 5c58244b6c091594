using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Delivery;

public sealed class LargeAnswerMemoryTests
{
    private const long HundredMegabytes = 100L * 1024 * 1024;

    [Fact]
    public async Task Answers_of_100_MB_to_deliveries_and_mapping_tests_leave_the_servers_memory_flat()
    {
        await using var service = await RecordingServer.StartAsync();
        // 500: a failure keeps the answer in the delivery log, so the test can see what was kept of it.
        service.Always = new ScriptedAnswer(500, BodyBytes: HundredMegabytes);
        var workspace = await TestWorkspace.WithTrackWebhookAsync("wk_big", "big", service.BaseUrl + "/in");
        await using var sluice = await workspace.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(sluice.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("wk_big:")));
        var before = sluice.ResidentBytes;

        var batch = "{\"batch\":[" + string.Join(',', Enumerable.Range(0, 8).Select(i => $$"""{"type":"track","userId":"u","event":"Big","messageId":"big-{{i}}"}""")) + "]}";
        (await client.PostAsync("/v1/batch", new StringContent(batch))).EnsureSuccessStatusCode();
        var tests = Enumerable.Range(0, 4).Select(_ => sluice.Admin.PostAsJsonAsync("/api/v1/mappings/test", new
        {
            type = "webhook",
            action = "send",
            send = true,
            @event = new { type = "track", userId = "u", @event = "Big" },
            mapping = new { url = service.BaseUrl + "/test", method = "POST", data = new { a = 1 } },
        }));
        var answers = await Task.WhenAll(tests);
        // Twelve answers of 100 MB each are written by the stand-in on the same 2 cores as the whole test run: give them time.
        var deliveries = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            DeliveryLog.WaitForAsync(sluice.Admin, "big", $"big-{i}", d => (int?)d["attempts"] >= 1, TimeSpan.FromSeconds(60))));
        var after = sluice.ResidentBytes;

        // Read whole, 12 answers of 100 MB would take gigabytes (three times each body: bytes, then UTF-16).
        Assert.True(after - before < 64 * 1024 * 1024, $"resident memory grew by {(after - before) / 1024 / 1024} MB");
        foreach (var answer in answers)
        {
            var body = (string?)JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["responses"]![0]!["body"];
            Assert.StartsWith("xxxx", body);
            Assert.Equal(1_001, body!.Length);
        }

        Assert.All(deliveries, d => Assert.Equal(1_001, ((string?)d["response"])?.Length));
    }
}
