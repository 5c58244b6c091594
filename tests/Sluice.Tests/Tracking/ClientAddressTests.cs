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
