using System.CommandLine;
using System.Net.Http.Headers;

namespace Sluice.Cli;

/// <summary>How the verbs that talk to a running server's Admin API find it and sign in: <c>--host</c> and <c>--token</c>, or their variables.</summary>
internal sealed class AdminConnection(string hostDescription, string tokenDescription)
{
    public Option<string?> Host { get; } = new("--host") { Description = $"{hostDescription} (env SLUICE_HOST; default http://127.0.0.1:8080)" };

    public Option<string?> Token { get; } = new("--token") { Description = $"{tokenDescription} (env SLUICE_ADMIN_TOKEN)" };

    /// <summary>A client for the server with the token, or null (having said why on stderr) when no token was given.</summary>
    public async Task<(HttpClient? Client, string BaseUrl)> ConnectAsync(ParseResult parse)
    {
        var baseUrl = parse.GetValue(Host) ?? Environment.GetEnvironmentVariable("SLUICE_HOST") ?? "http://127.0.0.1:8080";
        var bearer = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("SLUICE_ADMIN_TOKEN");
        if (string.IsNullOrEmpty(bearer))
        {
            await Console.Error.WriteLineAsync("sluice: an admin token is needed: --token or SLUICE_ADMIN_TOKEN.");
            return (null, baseUrl);
        }

        var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return (client, baseUrl);
    }

    /// <summary>The answer's body, or null (having said why on stderr) when the server can't be reached or refuses the request.</summary>
    public static async Task<string?> ReadAnswerAsync(string baseUrl, Func<Task<HttpResponseMessage>> send, CancellationToken cancellation)
    {
        HttpResponseMessage response;
        try
        {
            response = await send();
        }
        catch (HttpRequestException exception)
        {
            await Console.Error.WriteLineAsync($"sluice: cannot reach {baseUrl}: {exception.Message}");
            return null;
        }

        using (response)
        {
            var answer = await response.Content.ReadAsStringAsync(cancellation);
            if (response.IsSuccessStatusCode)
            {
                return answer;
            }

            await Console.Error.WriteLineAsync($"sluice: {(int)response.StatusCode} {answer}");
            return null;
        }
    }
}
