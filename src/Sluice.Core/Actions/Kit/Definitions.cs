using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Mapping;

namespace Sluice.Actions.Kit;

/// <summary>The type of an action's input field, as in Segment's destination-kit.</summary>
public enum FieldType
{
    String,
    Text,
    Password,
    Number,
    Integer,
    Boolean,
    Datetime,
    Object,
}

/// <summary>One field of an action's payload: its schema, and the mapping a new mapping starts with.</summary>
public sealed record InputField
{
    public required string Label { get; init; }

    public string Description { get; init; } = "";

    public required FieldType Type { get; init; }

    public bool Required { get; init; }

    /// <summary>The field holds a list of values of <see cref="Type"/>.</summary>
    public bool Multiple { get; init; }

    public bool AllowNull { get; init; }

    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>Declared sub-fields of an object field; undeclared keys are dropped unless <see cref="AdditionalProperties"/>.</summary>
    public IReadOnlyDictionary<string, InputField>? Properties { get; init; }

    public bool AdditionalProperties { get; init; }

    /// <summary>A JSON-schema format to check: <c>uri</c>, <c>email</c>, <c>date-time</c>, <c>uuid</c>.</summary>
    public string? Format { get; init; }

    /// <summary>Least string length or number (ignored when 0, as in the reference).</summary>
    public double? Minimum { get; init; }

    public double? Maximum { get; init; }

    /// <summary>A literal or a mapping directive; presets and new mappings start from it. Not applied at run time.</summary>
    public JsonNode? Default { get; init; }

    /// <summary>Kept out of the catalog's editing views (e.g. webhook's <c>batch_keys</c>).</summary>
    public bool Hidden { get; init; }
}

/// <summary>The type of a destination setting.</summary>
public enum SettingType
{
    String,
    Password,
    Boolean,
    Number,
}

/// <summary>A destination-level setting (an API key, a region, a base URL).</summary>
public sealed record SettingField
{
    public required string Label { get; init; }

    public string Description { get; init; } = "";

    public required SettingType Type { get; init; }

    public bool Required { get; init; }

    public JsonNode? Default { get; init; }

    /// <summary><c>uri</c>: the value must be an absolute http or https URL (checked when the workspace is loaded).</summary>
    public string? Format { get; init; }

    /// <summary>Secrets are never shown back by the Admin API or the web app.</summary>
    public bool IsSecret => Type == SettingType.Password;
}

/// <summary>
/// An HTTP request an action wants sent. Actions are pure: they build requests, the dispatcher
/// sends them and classifies the answer, so that every action can be tested without a network.
/// </summary>
public sealed record OutgoingRequest
{
    public required string Method { get; init; }

    public required Uri Url { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public byte[]? Body { get; init; }

    /// <summary>The messageId(s) of the event(s) this request carries, for the delivery log and de-duplication downstream.</summary>
    public IReadOnlyList<string> MessageIds { get; init; } = [];

    /// <summary>
    /// The destination's words for a failed answer (by HTTP status), added to the delivery log's
    /// reason: what a 404 of FullStory's V1 API means is not something the status line says.
    /// </summary>
    public Func<int, string?>? ExplainFailure { get; init; }

    /// <summary>
    /// Reads a failed answer (status, body) when its status alone would be misread; null keeps what
    /// the status means (<see cref="ActionError.KindOf"/>).
    /// </summary>
    public Func<int, string?, ActionErrorKind?>? ClassifyAnswer { get; init; }
}

/// <summary>
/// Thrown by an action (or its precondition) when an event cannot be sent and retrying cannot
/// change that (<see cref="ActionErrorKind.PayloadInvalid"/>): the delivery is <c>skipped</c> with
/// this message as the reason.
/// </summary>
public class DeliverySkippedException(string reason) : ActionError(ActionErrorKind.PayloadInvalid, reason);

/// <summary>
/// What an action's perform receives for one event: the validated payload (everything the mapping
/// chose to send), the destination's settings, and the event's messageId for the delivery log.
/// </summary>
public sealed record ActionInput(JsonObject Payload, JsonObject Settings, string MessageId)
{
    private JsonElement? _payloadElement;

    /// <summary>
    /// The payload as a parsed document, for actions that write their body from it without building nodes:
    /// what the dispatcher parsed from the job's stored bytes, or else the payload's own serialization.
    /// </summary>
    public JsonElement PayloadElement
    {
        get => _payloadElement ??= JsonSerializer.SerializeToElement(Payload);
        init => _payloadElement = value;
    }
}

/// <summary>What an action's performBatch receives: the payloads of events that share a batch.</summary>
public sealed record BatchInput(IReadOnlyList<JsonObject> Payloads, JsonObject Settings, IReadOnlyList<string> MessageIds);

public sealed record ActionDefinition
{
    public required string Slug { get; init; }

    public required string Title { get; init; }

    public string Description { get; init; } = "";

    /// <summary>The trigger a new mapping of this action starts with (FQL).</summary>
    public string? DefaultSubscription { get; init; }

    public required IReadOnlyDictionary<string, InputField> Fields { get; init; }

    public required Func<ActionInput, IReadOnlyList<OutgoingRequest>> Perform { get; init; }

    public Func<BatchInput, IReadOnlyList<OutgoingRequest>>? PerformBatch { get; init; }

    /// <summary>
    /// What <see cref="Perform"/> does, for an action that writes its requests from the payload's fields
    /// alone (the settings and messageId aside): routing then builds them from the event's document.
    /// Null leaves them to the dispatcher (a mapping that batches its events, say).
    /// </summary>
    public Func<PayloadFields, JsonObject, string, IReadOnlyList<OutgoingRequest>?>? PerformOnFields { get; init; }

    /// <summary>
    /// Why a validated payload cannot be sent (an anonymous user where the service needs a user id),
    /// or null. Checked when the event is routed, so such events are skipped without a job.
    /// </summary>
    public Func<JsonObject, string?>? SkipReason { get; init; }

    /// <summary>
    /// What perform receives for an event: the mapping's result, validated and coerced against the
    /// fields. Throws <see cref="DeliverySkippedException"/> (the payload does not fit, or
    /// <see cref="SkipReason"/> says no) and <see cref="MappingTransformException"/>.
    /// </summary>
    public JsonObject PreparePayload(CompiledMapping mapping, JsonObject message) => Checked(mapping.Transform(message));

    /// <summary>As <see cref="PreparePayload(CompiledMapping, JsonObject)"/>, reading the event from its parsed document (which must outlive the payload's use).</summary>
    public JsonObject PreparePayload(CompiledMapping mapping, JsonElement message) => Checked(mapping.Transform(message));

    /// <summary>
    /// The bytes of what <see cref="PreparePayload(CompiledMapping, JsonElement)"/> returns (as
    /// <see cref="JsValues.ToUtf8Json"/> writes it), written from the event's parsed document without building a
    /// node, when the mapping's plan covers this event and its payload needs no coercion; null sends the caller to
    /// <see cref="PreparePayload(CompiledMapping, JsonElement)"/>, which gives the answer and its errors.
    /// </summary>
    public byte[]? TryWritePayload(CompiledMapping mapping, JsonElement message) => TryWritePayload(mapping, message, null, out _);

    /// <summary>
    /// <see cref="TryWritePayload(CompiledMapping, JsonElement)"/>, and the requests <see cref="Perform"/>
    /// would build from that payload, built now from the event's document when the action writes them
    /// from <see cref="PayloadFields"/> and the payload holds each field as the event has it: a delivery
    /// sent as it is routed then needs no parse of its payload. Null requests leave them to perform
    /// (a field written anew, an action without <see cref="PerformOnFields"/>, anything perform refuses).
    /// </summary>
    public byte[]? TryWritePayload(CompiledMapping mapping, JsonElement message, JsonObject settings, string messageId, out IReadOnlyList<OutgoingRequest>? requests)
    {
        requests = null;
        var fields = PerformOnFields is null ? null : new List<KeyValuePair<string, JsonElement>>(Fields.Count);
        var bytes = TryWritePayload(mapping, message, fields, out var asTheEventHasThem);
        if (bytes is null || !asTheEventHasThem)
        {
            return bytes;
        }

        try
        {
            requests = PerformOnFields!(PayloadFields.Of(fields!), settings, messageId);
        }
        catch (Exception)
        {
            // Perform, when the delivery is sent, answers the same way and says why.
            requests = null;
        }

        return bytes;
    }

    private byte[]? TryWritePayload(CompiledMapping mapping, JsonElement message, List<KeyValuePair<string, JsonElement>>? fields, out bool asTheEventHasThem)
    {
        asTheEventHasThem = false;

        // A skip reason reads the built payload: such actions take the resolver's way.
        if (SkipReason is not null || mapping.Plan is not { } plan || !plan.TryResolve(message, out var payload))
        {
            return null;
        }

        using var rented = RentedJsonWriter.Rent();
        return PayloadSchema.TryWrite(payload.Members!, Fields, rented.Writer, fields, out asTheEventHasThem) ? rented.ToArray() : null;
    }

    private JsonObject Checked(Resolved resolved)
    {
        var payload = PayloadSchema.Validate(resolved.Value as JsonObject ?? [], Fields);
        return SkipReason?.Invoke(payload) is { } reason ? throw new DeliverySkippedException(reason) : payload;
    }

    /// <summary>The mapping of the fields' defaults: a preset's mapping, and where a new mapping starts.</summary>
    public JsonObject DefaultMapping()
    {
        var mapping = new JsonObject();
        foreach (var (key, field) in Fields)
        {
            if (field.Default is not null)
            {
                mapping[key] = field.Default.DeepClone();
            }
        }

        return mapping;
    }
}

/// <summary>A mapping a destination starts with when its presets are on.</summary>
public sealed record Preset(string Name, string Subscribe, string ActionSlug, JsonObject Mapping);

/// <summary>A destination of the catalog: its settings, actions and presets.</summary>
public sealed record DestinationDefinition
{
    /// <summary>The catalog name; also its key in the Integrations object.</summary>
    public required string Name { get; init; }

    /// <summary>The slug used in the workspace file (<c>type:</c>).</summary>
    public required string Slug { get; init; }

    public string Description { get; init; } = "";

    public required IReadOnlyDictionary<string, SettingField> Settings { get; init; }

    public required IReadOnlyDictionary<string, ActionDefinition> Actions { get; init; }

    public IReadOnlyList<Preset> Presets { get; init; } = [];

    /// <summary>Other names that stand for this destination in an event's Integrations object (spellings that circulate).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The call types the destination takes (<c>track</c>, <c>identify</c>…); null takes every type a mapping selects.</summary>
    public IReadOnlyList<string>? SupportedTypes { get; init; }

    /// <summary>Most requests per second a destination instance sends unless its workspace entry says otherwise (a service's published limit).</summary>
    public double? DefaultRateLimit { get; init; }

    /// <summary>A request that succeeds (2xx) only with valid credentials; run when a destination is created or its settings change.</summary>
    public Func<JsonObject, OutgoingRequest>? TestAuthentication { get; init; }

    /// <summary>What a successful authentication answer (its body) says worth knowing, such as the key's role.</summary>
    public Func<string, string?>? DescribeAuthentication { get; init; }

    /// <summary>
    /// The request that deletes a user's data at the service (a deletion regulation), given the
    /// settings and the user id; throws <see cref="DeliverySkippedException"/> when it cannot be built.
    /// </summary>
    public Func<JsonObject, string?, OutgoingRequest>? OnDelete { get; init; }
}
