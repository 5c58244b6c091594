using System.Text.Json.Nodes;
using Sluice.Actions.Kit;

namespace Sluice.Destinations.StitchData;

/// <summary>Send: the stored Segment message (never a write key), one request per call.</summary>
public static class SendMessage
{
    public static ActionDefinition Definition { get; } = new()
    {
        Slug = "send",
        Title = "Send",
        Description = "Send the call, as Segment's JSON message, to Stitch.",
        DefaultSubscription = "type = \"track\" or type = \"page\" or type = \"identify\" or type = \"group\" or type = \"alias\"",
        Fields = new Dictionary<string, InputField>
        {
            ["message"] = new()
            {
                Label = "Message",
                Description = "The message Stitch receives; by default the whole call as stored.",
                Type = FieldType.Object,
                Required = true,
                AdditionalProperties = true,
                Default = Directives.Path("$."),
            },
        },
        Perform = input =>
        {
            var message = input.Payload["message"]!.DeepClone().AsObject();
            message.Remove("writeKey");
            return [StitchDataDestination.Request(input.Settings, message, [input.MessageId])];
        },
    };
}
