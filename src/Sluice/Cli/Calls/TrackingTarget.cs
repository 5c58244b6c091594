using System.CommandLine;
using System.Text.Json;

namespace Sluice.Cli.Calls;

/// <summary>Where the client verbs send to: <c>--host</c>/<c>SLUICE_HOST</c> and <c>--write-key</c>/<c>SLUICE_WRITE_KEY</c>.</summary>
internal sealed record TrackingTarget(Uri Host, string WriteKey)
{
    public const string DefaultHost = "http://127.0.0.1:8080";

    public static Option<string?> HostOption() => new("--host") { Description = $"The Tracking API (env SLUICE_HOST; default {DefaultHost})" };

    public static Option<string?> WriteKeyOption() => new("--write-key") { Description = "The source's write key (env SLUICE_WRITE_KEY)" };

    /// <summary>The target, or null after saying on stderr what is missing.</summary>
    public static TrackingTarget? Resolve(ParseResult parse, Option<string?> host, Option<string?> writeKey)
    {
        var key = parse.GetValue(writeKey) ?? Environment.GetEnvironmentVariable("SLUICE_WRITE_KEY");
        if (string.IsNullOrEmpty(key))
        {
            Console.Error.WriteLine("sluice: a write key is needed: --write-key or SLUICE_WRITE_KEY.");
            return null;
        }

        var url = parse.GetValue(host) ?? Environment.GetEnvironmentVariable("SLUICE_HOST") ?? DefaultHost;
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            Console.Error.WriteLine($"sluice: --host must be an http or https URL (got '{url}').");
            return null;
        }

        return new TrackingTarget(uri, key);
    }

    /// <summary>A JSON object option's value as a dictionary, or an error naming the option.</summary>
    public static bool TryReadObject(ParseResult parse, Option<string?> option, out Dictionary<string, object?>? value)
    {
        value = null;
        if (parse.GetValue(option) is not { } text)
        {
            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                Console.Error.WriteLine($"sluice: {option.Name} must be a JSON object, like '{{\"plan\":\"pro\"}}'.");
                return false;
            }

            value = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
            return true;
        }
        catch (JsonException exception)
        {
            Console.Error.WriteLine($"sluice: {option.Name} is not valid JSON: {exception.Message}");
            return false;
        }
    }
}
