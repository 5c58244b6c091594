using System.Net;

namespace Sluice.Tracking;

/// <summary>
/// The address that goes into <c>context.ip</c>: the TCP peer, unless the peer is a configured
/// trusted proxy, in which case the nearest untrusted hop of <c>X-Forwarded-For</c>. Trusting the
/// header from anyone would let any client choose its own address.
/// </summary>
internal sealed class ClientAddressResolver(IReadOnlyCollection<IPAddress> trustedProxies)
{
    private readonly HashSet<IPAddress> _trusted = [.. trustedProxies.Select(Normalize)];

    public string Resolve(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress is { } remote ? Normalize(remote) : IPAddress.Loopback;
        if (_trusted.Count == 0 || !_trusted.Contains(peer))
        {
            return peer.ToString();
        }

        var hops = context.Request.Headers["X-Forwarded-For"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (var i = hops.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out var hop))
            {
                break;
            }

            hop = Normalize(hop);
            if (!_trusted.Contains(hop))
            {
                return hop.ToString();
            }

            peer = hop;
        }

        return peer.ToString();
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
