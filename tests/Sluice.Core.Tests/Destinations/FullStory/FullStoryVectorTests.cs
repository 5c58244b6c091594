using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Fql;
using Sluice.Actions.Kit;
using Sluice.Actions.Mapping;

namespace Sluice.Destinations.FullStory;

/// <summary>
/// Every event of Segment's FullStory reference vectors (action-destinations 3.497.0) leaves Sluice
/// as the reference's request — method, URL, the three headers, JSON body — or with its error.
/// </summary>
public sealed class FullStoryVectorTests
{
    private static readonly string[] Headers = ["content-type", "authorization", "integration-source"];

    public static TheoryData<string, int> Rows()
    {
        var rows = new TheoryData<string, int>();
        foreach (var file in new[] { "presets.jsonl", "v1.jsonl" })
        {
            var count = File.ReadLines(VectorPath(file)).Count();
            for (var line = 0; line < count; line++)
            {
                rows.Add(file, line);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_event_leaves_as_the_reference_request(string file, int line)
    {
        var expected = JsonNode.Parse(File.ReadLines(VectorPath(file)).ElementAt(line))!;
        var message = JsonNode.Parse(File.ReadLines(VectorPath("events.jsonl")).ElementAt(line))!.AsObject();
        Assert.Equal((string?)expected["messageId"], (string?)message["messageId"]);

        var subscriptions = file == "presets.jsonl"
            ? FullStoryDestination.Definition.Presets.Select(p => (p.Subscribe, Action: FullStoryDestination.Definition.Actions[p.ActionSlug], p.Mapping))
            : new[] { IdentifyUser.Definition, TrackEvent.Definition }.Select(a => (Subscribe: a.DefaultSubscription!, Action: a, Mapping: a.DefaultMapping()));
        using var document = JsonDocument.Parse(message.ToJsonString());
        var matched = subscriptions.FirstOrDefault(s => FqlExpression.Compile(s.Subscribe).Matches(document.RootElement));

        Assert.Equal((bool)expected["matched"]!, matched.Action is not null);
        if (matched.Action is null)
        {
            return;
        }

        Assert.Equal((string?)expected["action"], matched.Action.Slug);
        IReadOnlyList<OutgoingRequest> requests;
        try
        {
            // As the router does: the mapping reads the event's parsed document.
            var payload = matched.Action.PreparePayload(CompiledMapping.Compile(matched.Mapping), document.RootElement);
            requests = matched.Action.Perform(new ActionInput(payload, new JsonObject { ["apiKey"] = "test-key" }, (string)message["messageId"]!));
        }
        catch (DeliverySkippedException exception)
        {
            Assert.Equal((string?)expected["error"]?["message"], exception.Message);
            return;
        }

        Assert.Null(expected["error"]);
        var want = expected["requests"]!.AsArray();
        Assert.Equal(want.Count, requests.Count);
        foreach (var (request, reference) in requests.Zip(want))
        {
            Assert.Equal(((string)reference!["method"]!).ToUpperInvariant(), request.Method);
            Assert.Equal((string)reference["url"]!, request.Url.AbsoluteUri);
            foreach (var header in Headers)
            {
                Assert.Equal((string?)reference["headers"]![header], request.Headers.Single(h => h.Key.Equals(header, StringComparison.OrdinalIgnoreCase)).Value);
            }

            var body = request.Body is null ? null : JsonNode.Parse(Encoding.UTF8.GetString(request.Body));
            Assert.True(JsonNode.DeepEquals(reference["body"], body), $"expected {reference["body"]?.ToJsonString()}\n     got {body?.ToJsonString()}");
        }
    }

    private static string VectorPath(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "vectors", "fullstory", file);
}
