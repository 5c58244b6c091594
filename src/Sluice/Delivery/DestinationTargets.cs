using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sluice.Actions.Kit;

namespace Sluice.Delivery;

/// <summary>Which hosts destinations may be aimed at: <c>any</c> (the default) or <c>public</c> (<c>--destination-hosts</c>).</summary>
internal enum DestinationHosts
{
    /// <summary>Loopback, link-local and private addresses are allowed from the workspace file and for owners; members are refused.</summary>
    Any,

    /// <summary>Only public addresses, for everyone: checked when a destination is saved and again on every connection.</summary>
    Public,
}

/// <summary>A URL of a destination that points at an address the asker may not use.</summary>
internal sealed record PrivateTarget(string Field, string Host, IPAddress Address)
{
    public string Kind => DestinationTargets.Describe(Address);
}

/// <summary>
/// Where a destination sends its requests, and whether that is an internal address (loopback,
/// link-local, private ranges, cloud metadata). Delivering to internal services is a legitimate
/// use, so it is allowed by default, but only for those trusted with it: the workspace file and
/// owners. A member could otherwise aim a destination, a mapping or a mapping test at the
/// server's own metrics or an internal service (server-side request forgery).
/// </summary>
internal static partial class DestinationTargets
{
    /// <summary>The URLs a destination body sets: settings of format <c>uri</c>, and each mapping's <c>url</c> when it is text or a template.</summary>
    public static IEnumerable<(string Field, string Url)> InBody(JsonObject? settings, IEnumerable<(string Path, JsonNode? Mapping)> mappings, DestinationDefinition? type)
    {
        foreach (var (name, value) in settings ?? [])
        {
            if (type?.Settings.GetValueOrDefault(name) is { Format: "uri" } && value is JsonValue v && v.TryGetValue<string>(out var url))
            {
                yield return ($"settings.{name}", url);
            }
        }

        foreach (var (path, mapping) in mappings)
        {
            switch (mapping?["url"])
            {
                case JsonValue v when v.TryGetValue<string>(out var url):
                    yield return ($"{path}.url", url);
                    break;
                case JsonObject directive when directive["@template"] is JsonValue t && t.TryGetValue<string>(out var template):
                    // The host is in the template's text when it is written out; variables stand for one label.
                    yield return ($"{path}.url", Variables().Replace(template, "x"));
                    break;
            }
        }
    }

    /// <summary>The first URL whose host is, or resolves to, an internal address; null when all are public (or cannot be resolved now).</summary>
    public static async Task<PrivateTarget?> FindPrivateAsync(IEnumerable<(string Field, string Url)> urls, CancellationToken cancellation)
    {
        foreach (var (field, text) in urls)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Host.Length == 0)
            {
                continue;
            }

            foreach (var address in await ResolveAsync(url.IdnHost, cancellation))
            {
                if (IsInternal(address))
                {
                    return new PrivateTarget(field, url.Host, address);
                }
            }
        }

        return null;
    }

    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal;
        }

        var b = address.GetAddressBytes();
        return b[0] is 0 or 10 or 127
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 100 && b[1] is >= 64 and <= 127);
    }

    public static string Describe(IPAddress address) => address.IsIPv4MappedToIPv6 ? Describe(address.MapToIPv4())
        : IPAddress.IsLoopback(address) ? "a loopback address"
        : address.IsIPv6LinkLocal || address.ToString().StartsWith("169.254.", StringComparison.Ordinal) ? "a link-local address"
        : "a private address";

    /// <summary>
    /// Connects only to public addresses: the check at connection time also covers templated URLs and
    /// names that resolve differently later (DNS rebinding). Used with <c>--destination-hosts public</c>.
    /// </summary>
    public static async ValueTask<Stream> ConnectPublicOnlyAsync(SocketsHttpConnectionContext context, CancellationToken cancellation)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, cancellation);
        if (addresses.FirstOrDefault(IsInternal) is { } refused)
        {
            throw new InternalHostRefusedException($"{context.DnsEndPoint.Host} is {Describe(refused)} ({refused}), and this server delivers to public addresses only (--destination-hosts public)");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellation);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellation)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return [literal];
        }

        try
        {
            return await Dns.GetHostAddressesAsync(host, cancellation);
        }
        catch (SocketException)
        {
            // A name that does not resolve now cannot be judged; connecting to it will fail or be checked then.
            return [];
        }
    }

    [GeneratedRegex(@"\{\{.*?\}\}")]
    private static partial Regex Variables();
}

/// <summary>A connection refused because its address is internal; retrying cannot help.</summary>
internal sealed class InternalHostRefusedException(string message) : IOException(message);
