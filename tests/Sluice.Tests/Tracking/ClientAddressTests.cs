using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Infrastructure;

namespace Sluice.Tracking;

public sealed class ClientAddressTests
{
    [Fact]
    public async Task Behind_a_trusted_proxy_context_ip_is_the_nearest_untrusted_forwarded_address()
    {
        await using var server = await InProcessServer.StartAsync(o => o with { TrustedProxies = [IPAddress.Loopback, IPAddress.Parse("10.0.0.2")] });
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new StringContent("""{"userId":"u","event":"E"}""") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(InProcessServer.WriteKey + ":")));
        request.Headers.Add("X-Forwarded-For", "203.0.113.50, 198.51.100.9, 10.0.0.2");

        await server.Http.SendAsync(request);

        Assert.Equal("198.51.100.9", (string?)Assert.Single(await server.EventsAsync())!["context"]!["ip"]);
    }
}

public sealed class ConfigurableLimitsTests
{
    [Fact]
    public async Task The_message_size_limit_is_configurable_and_named_in_the_answer()
    {
        await using var server = await InProcessServer.StartAsync(o => o with { Ingest = o.Ingest with { MaxMessageBytes = 2048 } });

        var small = await server.PostAsync("/v1/track", """{"userId":"u","event":"E"}""");
        var large = await server.PostAsync("/v1/track", "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"x\":\"" + new string('x', 3000) + "\"}}");

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, large.StatusCode);
        Assert.Contains("2048", await large.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
