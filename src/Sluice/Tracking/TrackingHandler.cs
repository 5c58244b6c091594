using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Ingest;
using Sluice.Observability;
using Sluice.Spec;
using Sluice.EventLog;
using Sluice.Workspace;

namespace Sluice.Tracking;

/// <summary>
/// One Tracking API request: authenticate, read and decode the body, validate and normalize each
/// message, queue the valid ones for the group commit, and answer only once they are durable.
/// </summary>
internal sealed partial class TrackingHandler(
    IngestWriter writer,
    WorkspaceChanges workspace,
    SuppressedSubjects suppressed,
    ClientAddressResolver addresses,
    IngestOptions options,
    TimeProvider time,
    SluiceMetrics metrics,
    ILogger<TrackingHandler> logger)
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    // Stored messages keep non-ASCII text as UTF-8 rather than \u escapes: they are JSON data, never embedded in HTML.
    private static readonly JsonWriterOptions StoredJson = new() { Encoder = Actions.Mapping.StringifyEncoder.Instance };

    public async Task HandleAsync(HttpContext http, CallType? endpointType)
    {
        var receivedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        var response = http.Response;
        BrowserCors.Apply(http);
        if (writer.IsSaturated)
        {
            await TrackingResponses.Overloaded(response, metrics);
            return;
        }

        Source? source = null;
        var authorization = http.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (!WriteKeys.TryReadBasic(authorization, out var headerKey) || (source = workspace.SourceByWriteKey(headerKey)) is null)
            {
                await TrackingResponses.Unauthorized(response, metrics, "the write key in the Authorization header is not a write key of any source");
                return;
            }
        }

        var limit = endpointType is null ? options.MaxBatchBytes : options.MaxMessageBytes;
        var (body, problem) = await RequestBody.ReadAsync(http.Request, limit, http.RequestAborted);
        if (body is null)
        {
            await TrackingResponses.BodyProblem(response, metrics, problem, limit, endpointType is null);
            return;
        }

        using (body)
        {
            // Odd text (invalid UTF-8, lone surrogates, a name twice) is refused message by message, so a batch keeps its good items.
            var oddText = JsonInputCheck.NeedsWalk(body.Memory.Span);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body.Memory, ParseOptions);
            }
            catch (Exception exception) when (exception is JsonException or InvalidOperationException)
            {
                // The duplicate-name check throws InvalidOperationException on a name that is not valid UTF-16.
                try
                {
                    document = JsonDocument.Parse(body.Memory, ParseOptions with { AllowDuplicateProperties = true });
                    oddText = true;
                }
                catch (JsonException)
                {
                    await TrackingResponses.Invalid(response, metrics, "invalid_json", $"the body is not valid JSON: {exception.Message}", field: null, rule: "json");
                    return;
                }
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    await TrackingResponses.Invalid(response, metrics, "invalid_body", "the body must be a JSON object", field: null, rule: "object");
                    return;
                }

                if (source is null)
                {
                    var bodyWriteKey = root.TryGetProperty("writeKey"u8, out var bodyKey) ? JsonStrings.Read(bodyKey) : null;
                    if (bodyWriteKey is null)
                    {
                        await TrackingResponses.Unauthorized(response, metrics, "a write key is required: send Authorization: Basic base64(writeKey:) or a writeKey field in the body");
                        return;
                    }

                    if ((source = workspace.SourceByWriteKey(bodyWriteKey)) is null)
                    {
                        await TrackingResponses.Unauthorized(response, metrics, "the writeKey in the body is not a write key of any source");
                        return;
                    }
                }

                var origin = http.Request.Headers.Origin.ToString();
                if (!source.Allows(origin))
                {
                    await TrackingResponses.OriginNotAllowed(response, metrics, origin);
                    return;
                }

                var client = addresses.Resolve(http);
                if (endpointType is { } type)
                {
                    if (oddText && JsonInputCheck.Find(body.Memory.Span, checkNumbers: false) is { } odd)
                    {
                        await RefuseAsync(response, source, 0, new MessageRejection(odd.Field, odd.Rule, odd.Message));
                        return;
                    }

                    await HandleMessageAsync(response, source, root, body.Length, type, receivedAt, client);
                }
                else
                {
                    if (oddText && EnvelopeProblem(root) is { } odd)
                    {
                        await TrackingResponses.Invalid(response, metrics, "invalid_batch", odd.Message, odd.Field, odd.Rule);
                        return;
                    }

                    await HandleBatchAsync(response, source, root, receivedAt, client, oddText);
                }
            }
        }
    }

    private async Task HandleMessageAsync(HttpResponse response, Source source, JsonElement message, int length, CallType type, long receivedAt, string client)
    {
        source.Received.Inc();
        var request = new IngestRequestContext { ReceivedAtMilliseconds = receivedAt, ClientIp = client, MaxMessageBytes = options.MaxMessageBytes };
        var buffer = new ArrayBufferWriter<byte>(length + 512);
        using var json = new Utf8JsonWriter(buffer, StoredJson);
        if (!MessageNormalizer.TryNormalize(message, length, type, request, json, out var normalized, out var rejection))
        {
            await RefuseAsync(response, source, 0, rejection!);
            return;
        }

        json.Flush();
        if (suppressed.Covers(normalized.UserId, normalized.AnonymousId))
        {
            // As Segment does: the client hears success (it must not retry), and nothing is kept.
            metrics.Suppressed.Inc();
            await TrackingResponses.Success(response, rejected: null);
            return;
        }

        var pending = new PendingEvent(normalized.MessageId, normalized.IsClientMessageId, type.ToWireName(), Stored(buffer.WrittenSpan), EventPartitions.Of(source.Id, normalized.UserKey, writer.PartitionCount));
        await CommitAsync(response, source, new EventBatch(source.Id, [pending], receivedAt), pending.Body.Length, rejected: null);
    }

    /// <summary>The message as stored: one line, whatever whitespace the client put inside its values.</summary>
    private static byte[] Stored(ReadOnlySpan<byte> normalized) =>
        CompactJson.HasLineBreak(normalized) ? CompactJson.Compact(normalized) : normalized.ToArray();

    private async Task RefuseAsync(HttpResponse response, Source source, int index, MessageRejection rejection)
    {
        metrics.Rejected.WithLabels(rejection.Rule).Inc();
        LogMessageRejected(source.Id, index, rejection.Field, rejection.Error);
        await TrackingResponses.Invalid(response, metrics: null, "invalid_message", rejection.Error, rejection.Field, rejection.Rule);
    }

    /// <summary>A problem in the batch's own fields (a name twice at the top, odd text in its context, integrations or sentAt).</summary>
    private static JsonInputProblem? EnvelopeProblem(JsonElement root)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            var name = System.Text.Encoding.UTF8.GetString(raw);
            if (!names.Add(name))
            {
                return new JsonInputProblem(name, JsonInputCheck.DuplicateKeyRule, $"the name '{name}' appears twice at the top of the body");
            }

            if (!property.NameEquals("batch"u8) && JsonInputCheck.Find(JsonMarshal.GetRawUtf8Value(property.Value), checkNumbers: false) is { } problem)
            {
                return problem with { Field = problem.Field.Length == 0 ? name : $"{name}.{problem.Field}" };
            }
        }

        return null;
    }

    private async Task HandleBatchAsync(HttpResponse response, Source source, JsonElement root, long receivedAt, string client, bool oddText)
    {
        if (!root.TryGetProperty("batch"u8, out var items) || items.ValueKind != JsonValueKind.Array)
        {
            await TrackingResponses.Invalid(response, metrics, "invalid_batch", "a batch body needs a \"batch\" array of messages", "batch", "required");
            return;
        }

        var envelope = ReadEnvelope(root, receivedAt, client, out var envelopeProblem);
        if (envelope is null)
        {
            await TrackingResponses.Invalid(response, metrics, "invalid_batch", envelopeProblem!.Error, envelopeProblem.Field, envelopeProblem.Rule);
            return;
        }

        var count = items.GetArrayLength();
        source.Received.Inc(count);
        var events = new List<PendingEvent>(Math.Min(count, MessageLimits.MaxBatchItems));
        List<RejectedMessage>? rejected = null;
        var buffer = new ArrayBufferWriter<byte>(4096);
        using var json = new Utf8JsonWriter(buffer, StoredJson);
        long bytes = 0;
        var index = 0;
        var suppressedCount = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (index == MessageLimits.MaxBatchItems)
            {
                // One entry stands for the whole excess, so that a huge array cannot make a huge answer.
                var excess = new MessageRejection("batch", "max_items", $"a batch holds at most {MessageLimits.MaxBatchItems} messages; the {count - index} from index {index} on were not accepted");
                metrics.Rejected.WithLabels(excess.Rule).Inc(count - index);
                (rejected ??= []).Add(new RejectedMessage(index, null, excess));
                break;
            }

            MessageRejection? rejection = null;
            var raw = JsonMarshal.GetRawUtf8Value(item);
            if (oddText && JsonInputCheck.Find(raw, checkNumbers: false) is { } problem)
            {
                rejection = new MessageRejection(problem.Field, problem.Rule, problem.Message);
            }
            else
            {
                buffer.ResetWrittenCount();
                json.Reset(buffer);
                if (MessageNormalizer.TryNormalize(item, raw.Length, endpointType: null, envelope, json, out var normalized, out rejection))
                {
                    json.Flush();
                    if (suppressed.Covers(normalized.UserId, normalized.AnonymousId))
                    {
                        metrics.Suppressed.Inc();
                        suppressedCount++;
                        index++;
                        continue;
                    }

                    var body = Stored(buffer.WrittenSpan);
                    bytes += body.Length;
                    events.Add(new PendingEvent(normalized.MessageId, normalized.IsClientMessageId, normalized.Type.ToWireName(), body, EventPartitions.Of(source.Id, normalized.UserKey, writer.PartitionCount)));
                }
            }

            if (rejection is not null)
            {
                metrics.Rejected.WithLabels(rejection.Rule).Inc();
                LogMessageRejected(source.Id, index, rejection.Field, rejection.Error);
                (rejected ??= []).Add(new RejectedMessage(index, MessageIdOf(item), rejection));
            }

            index++;
        }

        if (events.Count == 0 && suppressedCount == 0 && rejected is not null)
        {
            await TrackingResponses.AllRejected(response, rejected);
            return;
        }

        if (events.Count == 0)
        {
            await TrackingResponses.Success(response, rejected);
            return;
        }

        await CommitAsync(response, source, new EventBatch(source.Id, events, receivedAt), bytes, rejected);
    }

    private async Task CommitAsync(HttpResponse response, Source source, EventBatch batch, long bytes, List<RejectedMessage>? rejected)
    {
        var committed = writer.TryEnqueue(batch, bytes);
        if (committed is null)
        {
            LogQueueFull(source.Id);
            await TrackingResponses.Overloaded(response, metrics);
            return;
        }

        try
        {
            await committed;
        }
        catch (Exception)
        {
            // The writer logged the cause; 503 makes every real client retry the whole request.
            await TrackingResponses.StoreUnavailable(response, metrics);
            return;
        }

        var duplicates = 0;
        foreach (var pending in batch.Events)
        {
            if (pending.IsDuplicate)
            {
                duplicates++;
            }
        }

        source.Accepted.Inc(batch.Events.Count - duplicates);
        if (duplicates > 0)
        {
            source.Duplicates.Inc(duplicates);
        }

        await TrackingResponses.Success(response, rejected);
    }

    private IngestRequestContext? ReadEnvelope(JsonElement root, long receivedAt, string client, out MessageRejection? problem)
    {
        problem = null;
        JsonElement? context = null;
        JsonElement? integrations = null;
        string? sentAt = null;
        long sentAtMs = 0;
        if (root.TryGetProperty("context"u8, out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.Object)
            {
                problem = MessageRejection.WrongType("context", "an object");
                return null;
            }

            context = c;
        }

        if (root.TryGetProperty("integrations"u8, out var i) && i.ValueKind != JsonValueKind.Null)
        {
            if (i.ValueKind != JsonValueKind.Object)
            {
                problem = MessageRejection.WrongType("integrations", "an object");
                return null;
            }

            integrations = i;
        }

        if (root.TryGetProperty("sentAt"u8, out var s) && s.ValueKind != JsonValueKind.Null)
        {
            sentAt = JsonStrings.Read(s);
            if (sentAt is null || !IsoTimestamp.TryParseMilliseconds(sentAt, out sentAtMs))
            {
                problem = new MessageRejection("sentAt", "iso8601", "sentAt must be an ISO-8601 date-time string such as 2026-11-23T10:20:30.123Z");
                return null;
            }
        }

        return new IngestRequestContext
        {
            ReceivedAtMilliseconds = receivedAt,
            ClientIp = client,
            EnvelopeContext = context,
            EnvelopeIntegrations = integrations,
            EnvelopeSentAt = sentAt,
            EnvelopeSentAtMilliseconds = sentAtMs,
            MaxMessageBytes = options.MaxMessageBytes,
        };
    }

    private static string? MessageIdOf(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty("messageId"u8, out var id) ? JsonStrings.Read(id) : null;

    [LoggerMessage(EventId = EventIds.MessageRejected, Level = LogLevel.Debug, Message = "Rejected message {Index} for source {SourceId}: {Field}: {Error}")]
    private partial void LogMessageRejected(string sourceId, int index, string field, string error);

    [LoggerMessage(EventId = EventIds.IngestQueueFull, Level = LogLevel.Warning, Message = "Ingest queue full; answered 503 to a request of source {SourceId}")]
    private partial void LogQueueFull(string sourceId);
}

internal sealed record RejectedMessage(int Index, string? MessageId, MessageRejection Rejection);
