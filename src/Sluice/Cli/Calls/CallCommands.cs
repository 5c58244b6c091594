using System.CommandLine;
using Sluice.Client;

namespace Sluice.Cli.Calls;

/// <summary>
/// <c>sluice identify|track|page|screen|group|alias</c>: one call through <see cref="SluiceClient"/>,
/// sent at once; prints its messageId, or the server's answer and a non-zero exit status.
/// </summary>
internal static class CallCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Call("identify", "Say who a user is and what is known about them.", (c, o) =>
        {
            var traits = Json(c, o, "--traits");
            return traits.Ok ? c.Client.Identify(c.UserId, traits.Value, c.Options) : null;
        }, Object("--traits", "Traits as a JSON object"));
        yield return Call("track", "Record something a user did.", (c, o) =>
        {
            var properties = Json(c, o, "--properties");
            return properties.Ok ? c.Client.Track(c.UserId, Text(c, o, "--event")!, properties.Value, c.Options) : null;
        }, new Option<string?>("--event") { Description = "The event's name", Required = true }, Object("--properties", "Properties as a JSON object"));
        yield return Call("page", "Record a page view.", (c, o) =>
        {
            var properties = Json(c, o, "--properties");
            return properties.Ok ? c.Client.Page(c.UserId, Text(c, o, "--name"), properties.Value, Text(c, o, "--category"), c.Options) : null;
        }, new Option<string?>("--name") { Description = "The page's name" }, new Option<string?>("--category") { Description = "The page's category" }, Object("--properties", "Properties as a JSON object"));
        yield return Call("screen", "Record a screen view.", (c, o) =>
        {
            var properties = Json(c, o, "--properties");
            return properties.Ok ? c.Client.Screen(c.UserId, Text(c, o, "--name"), properties.Value, c.Options) : null;
        }, new Option<string?>("--name") { Description = "The screen's name" }, Object("--properties", "Properties as a JSON object"));
        yield return Call("group", "Put a user in a group (company, team, account).", (c, o) =>
        {
            var traits = Json(c, o, "--traits");
            return traits.Ok ? c.Client.Group(c.UserId, Text(c, o, "--group-id")!, traits.Value, c.Options) : null;
        }, new Option<string?>("--group-id") { Description = "The group's id", Required = true }, Object("--traits", "The group's traits as a JSON object"));
        yield return Call("alias", "Say that a previous id (an anonymous id, say) is now this user id.", (c, o) =>
        {
            if (string.IsNullOrEmpty(c.UserId))
            {
                Console.Error.WriteLine("sluice: alias needs --user-id.");
                return null;
            }

            return c.Client.Alias(c.UserId, Text(c, o, "--previous-id")!, c.Options);
        }, new Option<string?>("--previous-id") { Description = "The id the user had before", Required = true });
    }

    private static Option<string?> Object(string name, string description) => new(name) { Description = description };

    private static string? Text(CallContext context, IReadOnlyList<Option<string?>> options, string name) =>
        context.Parse.GetValue(options.Single(o => o.Name == name));

    private static (bool Ok, Dictionary<string, object?>? Value) Json(CallContext context, IReadOnlyList<Option<string?>> options, string name) =>
        TrackingTarget.TryReadObject(context.Parse, options.Single(o => o.Name == name), out var value) ? (true, value) : (false, null);

    /// <param name="send">Makes the call; returns its messageId, or null after saying on stderr what is wrong with the input.</param>
    private static Command Call(string verb, string description, Func<CallContext, IReadOnlyList<Option<string?>>, string?> send, params Option<string?>[] own)
    {
        var userId = new Option<string?>("--user-id") { Description = "The user's id" };
        var anonymousId = new Option<string?>("--anonymous-id") { Description = "The anonymous id (a call needs this or --user-id)" };
        var timestamp = new Option<string?>("--timestamp") { Description = "When it happened (ISO-8601); now by default" };
        var context = new Option<string?>("--context") { Description = "Context fields as a JSON object" };
        var integrations = new Option<string?>("--integrations") { Description = "The Integrations object as JSON, like '{\"All\":false,\"Stories\":true}'" };
        var host = TrackingTarget.HostOption();
        var writeKey = TrackingTarget.WriteKeyOption();
        var command = new Command(verb, description);
        foreach (var option in new[] { userId, anonymousId }.Concat(own).Concat([timestamp, context, integrations, host, writeKey]))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellation) =>
        {
            if (TrackingTarget.Resolve(parse, host, writeKey) is not { } target
                || !TrackingTarget.TryReadObject(parse, context, out var contextFields)
                || !TrackingTarget.TryReadObject(parse, integrations, out var integrationFields))
            {
                return 2;
            }

            DateTimeOffset? when = null;
            if (parse.GetValue(timestamp) is { } text)
            {
                if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    Console.Error.WriteLine($"sluice: --timestamp must be an ISO-8601 time (got '{text}').");
                    return 2;
                }

                when = parsed;
            }

            if (string.IsNullOrEmpty(parse.GetValue(userId)) && string.IsNullOrEmpty(parse.GetValue(anonymousId)))
            {
                Console.Error.WriteLine($"sluice: {verb} needs --user-id or --anonymous-id.");
                return 2;
            }

            SluiceClientFailure? failure = null;
            await using var client = new SluiceClient(new SluiceClientOptions { WriteKey = target.WriteKey, Host = target.Host, FlushAt = 1, MaxRetries = 3, Gzip = false });
            client.Failed += f => failure ??= f;
            var options = new MessageOptions { AnonymousId = parse.GetValue(anonymousId), Timestamp = when, Context = contextFields, Integrations = integrationFields };
            string? messageId;
            try
            {
                messageId = send(new CallContext(parse, client, parse.GetValue(userId), options), own);
            }
            catch (ArgumentException exception)
            {
                Console.Error.WriteLine($"sluice: {exception.Message}");
                return 2;
            }

            if (messageId is null)
            {
                return 2;
            }

            await client.FlushAsync(cancellation);
            if (failure is not null)
            {
                Console.Error.WriteLine($"sluice: {failure.Reason}");
                if (failure.Response is { Length: > 0 } response)
                {
                    Console.Error.WriteLine(response);
                }

                return 1;
            }

            Console.WriteLine(messageId);
            return 0;
        });
        return command;
    }

    private sealed record CallContext(ParseResult Parse, SluiceClient Client, string? UserId, MessageOptions Options);
}
