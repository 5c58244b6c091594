using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;

namespace Sluice.Cli.Calls;

/// <summary>
/// <c>sluice api METHOD PATH [--body JSON|@file] [--header K:V]</c>: any Tracking API request with the
/// write key's authentication added; prints the status line and the body as they came.
/// </summary>
internal static class ApiCommand
{
    public static Command Create()
    {
        var method = new Argument<string>("METHOD") { Description = "GET, POST, …" };
        var path = new Argument<string>("PATH") { Description = "The request's path, like /v1/track" };
        var body = new Option<string?>("--body") { Description = "The request body: JSON, or @FILE to read it from a file" };
        var headers = new Option<string[]>("--header") { Description = "An extra header, as Name:Value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var host = TrackingTarget.HostOption();
        var writeKey = TrackingTarget.WriteKeyOption();
        var command = new Command("api", "Make any Tracking API request (the write key's auth added) and print the answer.") { method, path, body, headers, host, writeKey };
        command.SetAction(async (parse, cancellation) =>
        {
            if (TrackingTarget.Resolve(parse, host, writeKey) is not { } target)
            {
                return 2;
            }

            using var request = new HttpRequestMessage(new HttpMethod(parse.GetValue(method)!.ToUpperInvariant()), new Uri(target.Host, parse.GetValue(path)!.TrimStart('/')));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(target.WriteKey + ":")));
            if (parse.GetValue(body) is { } text)
            {
                if (text.StartsWith('@'))
                {
                    try
                    {
                        text = await File.ReadAllTextAsync(text[1..], cancellation);
                    }
                    catch (IOException exception)
                    {
                        Console.Error.WriteLine($"sluice: cannot read the body from {text[1..]}: {exception.Message}");
                        return 2;
                    }
                }

                request.Content = new StringContent(text, Encoding.UTF8, "application/json");
            }

            foreach (var header in parse.GetValue(headers) ?? [])
            {
                var colon = header.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    Console.Error.WriteLine($"sluice: --header must be Name:Value (got '{header}').");
                    return 2;
                }

                var (name, value) = (header[..colon].Trim(), header[(colon + 1)..].Trim());
                if (!request.Headers.TryAddWithoutValidation(name, value))
                {
                    request.Content ??= new ByteArrayContent([]);
                    request.Content.Headers.Remove(name);
                    request.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }

            using var http = new HttpClient();
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellation);
            }
            catch (HttpRequestException exception)
            {
                Console.Error.WriteLine($"sluice: cannot reach {target.Host}: {exception.Message}");
                return 1;
            }

            using (response)
            {
                Console.WriteLine($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd());
                Console.WriteLine(await response.Content.ReadAsStringAsync(cancellation));
                return response.IsSuccessStatusCode ? 0 : 1;
            }
        });
        return command;
    }
}
