using Sluice.Actions.Kit;

namespace Sluice.Destinations.Stories;

/// <summary>Page: a "Page" event on the user's timeline, the page's name (when there is one) as its content.</summary>
public static class PageView
{
    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "page",
        Title = "Page",
        Description = "Record a page view on the user's timeline.",
        DefaultSubscription = "type = \"page\"",
        Fields = new Dictionary<string, InputField>
        {
            ["userId"] = StoriesApi.UserIdField,
            ["name"] = new() { Label = "Name", Description = "The page's name, shown as the timeline entry's content.", Type = FieldType.String, Default = Directives.Path("$.name") },
            ["properties"] = new() { Label = "Properties", Description = "The page's properties.", Type = FieldType.Object, AdditionalProperties = true, Default = Directives.Path("$.properties") },
        },
        SkipReason = StoriesApi.SkipAnonymous,
        Perform = input => [StoriesApi.Event(input, "Page", TrackEvent.Data(input.Payload, "name"))],
    };
}
