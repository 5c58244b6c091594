using System.Net;
using System.Net.Sockets;

namespace Sluice.Hosting;

/// <summary>
/// Checks, before anything is created, that the server can listen where it is asked to: a first
/// start that fails on a busy port must not leave a data folder with a write key and an owner
/// token that were never shown.
/// </summary>
internal static class ListenAddresses
{
    /// <summary>The first address that is taken, with why; null when all are free (or cannot be checked ahead, such as port 0).</summary>
    public static string? FindBusy(string urls)
    {
        foreach (var text in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel's wildcard hosts (*, +) are not URI hosts.
            if (!Uri.TryCreate(text.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var url) || url.Port <= 0)
            {
                continue;
            }

            var address = url.Host == "localhost" ? IPAddress.Loopback
                : IPAddress.TryParse(url.Host.Trim('[', ']'), out var parsed) ? parsed
                : null;
            if (address is null)
            {
                continue;
            }

            var probe = new TcpListener(address, url.Port);
            try
            {
                probe.Start();
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied or SocketError.AddressNotAvailable)
            {
                return exception.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => $"{text}: port {url.Port} is in use (another Sluice, or another program, listens there)",
                    SocketError.AccessDenied => $"{text}: not allowed to listen on port {url.Port}",
                    _ => $"{text}: {url.Host} is not an address of this machine",
                };
            }
            finally
            {
                probe.Stop();
            }
        }

        return null;
    }
}
