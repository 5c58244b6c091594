using System.Text.Json;

namespace Sluice.Spec;

/// <summary>What the normalizer learned about a message it accepted.</summary>
/// <param name="UserId">The message's userId as stored, or null.</param>
/// <param name="AnonymousId">The message's anonymousId as stored, or null.</param>
public readonly record struct NormalizedMessage(CallType Type, string MessageId, bool IsClientMessageId, string? UserId, string? AnonymousId)
{
    /// <summary>anonymousId, or userId when there is none: whose calls these are, for ordering and partitioning.</summary>
    public string? UserKey => AnonymousId ?? UserId;
}

/// <summary>
/// Validates one Segment message and writes it as Sluice stores it: the client's fields in the
/// client's order, ids coerced to strings, the server's additions (messageId, receivedAt,
/// corrected timestamp, originalTimestamp, sentAt, context.ip, context.library, channel, version)
/// and no write key. See docs/tracking-api.md for each rule and the reason behind it.
/// </summary>
public static class MessageNormalizer
{
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText MessageIdName = JsonEncodedText.Encode("messageId");
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText OriginalTimestampName = JsonEncodedText.Encode("originalTimestamp");
    private static readonly JsonEncodedText SentAtName = JsonEncodedText.Encode("sentAt");
    private static readonly JsonEncodedText ReceivedAtName = JsonEncodedText.Encode("receivedAt");
    private static readonly JsonEncodedText ContextName = JsonEncodedText.Encode("context");
    private static readonly JsonEncodedText IntegrationsName = JsonEncodedText.Encode("integrations");
    private static readonly JsonEncodedText ChannelName = JsonEncodedText.Encode("channel");
    private static readonly JsonEncodedText VersionName = JsonEncodedText.Encode("version");
    private static readonly JsonEncodedText IpName = JsonEncodedText.Encode("ip");
    private static readonly JsonEncodedText LibraryName = JsonEncodedText.Encode("library");
    private static readonly JsonEncodedText NameName = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText VersionKeyName = JsonEncodedText.Encode("version");

    private static readonly long MinUnixMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private enum Field
    {
        Other,
        Type,
        MessageId,
        UserId,
        AnonymousId,
        GroupId,
        PreviousId,
        Event,
        Name,
        Category,
        Traits,
        Properties,
        Timestamp,
        OriginalTimestamp,
        SentAt,
        ReceivedAt,
        Context,
        Integrations,
        Channel,
        Version,
        WriteKey,
    }

    /// <summary>
    /// Validates <paramref name="message"/> and, when it is acceptable, writes the stored form to
    /// <paramref name="writer"/>. Nothing is written for a rejected message.
    /// </summary>
    /// <param name="endpointType">The call type of a single-message endpoint; null for batch items, whose <c>type</c> decides.</param>
    /// <param name="rawLength">The message's size in UTF-8 bytes as the client sent it.</param>
    public static bool TryNormalize(
        JsonElement message,
        int rawLength,
        CallType? endpointType,
        IngestRequestContext request,
        Utf8JsonWriter writer,
        out NormalizedMessage normalized,
        out MessageRejection? rejection)
    {
        normalized = default;
        if (message.ValueKind != JsonValueKind.Object)
        {
            rejection = new MessageRejection("", "type", "a message must be a JSON object");
            return false;
        }

        if (rawLength > request.MaxMessageBytes)
        {
            rejection = new MessageRejection("", "max_size", $"a message must be at most {request.MaxMessageBytes} bytes; this one is {rawLength}");
            return false;
        }

        var fields = new Fields();
        CallType type;
        Ids ids;
        Times times;
        try
        {
            foreach (var property in message.EnumerateObject())
            {
                fields.Set(Classify(property), property.Value);
            }

            times = default;
            rejection = Validate(ref fields, endpointType, out type, out ids);
            rejection ??= ResolveTimes(fields, request, out times);
        }
        catch (InvalidOperationException)
        {
            // JsonElement.GetString throws on escapes that are not valid UTF-16, such as a lone "\ud800".
            rejection = new MessageRejection("", "utf16", "a string holds a \\u escape that is not valid UTF-16 (a lone surrogate)");
            return false;
        }

        if (rejection is not null)
        {
            return false;
        }

        var messageId = ids.MessageId ?? "api-" + Guid.NewGuid().ToString("D");
        try
        {
            Write(message, fields, type, messageId, ids, times, request, writer);
        }
        catch (InvalidOperationException)
        {
            // A property name with an escape that is not valid UTF-16; unflushed output is discarded.
            writer.Reset();
            rejection = new MessageRejection("", "utf16", "a property name holds a \\u escape that is not valid UTF-16 (a lone surrogate)");
            return false;
        }

        normalized = new NormalizedMessage(type, messageId, ids.MessageId is not null, ids.UserId, ids.AnonymousId);
        rejection = null;
        return true;
    }

    private static Field Classify(JsonProperty property)
    {
        // Ordered by how often the names occur in real traffic.
        if (property.NameEquals("type"u8)) return Field.Type;
        if (property.NameEquals("messageId"u8)) return Field.MessageId;
        if (property.NameEquals("timestamp"u8)) return Field.Timestamp;
        if (property.NameEquals("context"u8)) return Field.Context;
        if (property.NameEquals("properties"u8)) return Field.Properties;
        if (property.NameEquals("event"u8)) return Field.Event;
        if (property.NameEquals("userId"u8)) return Field.UserId;
        if (property.NameEquals("anonymousId"u8)) return Field.AnonymousId;
        if (property.NameEquals("integrations"u8)) return Field.Integrations;
        if (property.NameEquals("traits"u8)) return Field.Traits;
        if (property.NameEquals("name"u8)) return Field.Name;
        if (property.NameEquals("sentAt"u8)) return Field.SentAt;
        if (property.NameEquals("originalTimestamp"u8)) return Field.OriginalTimestamp;
        if (property.NameEquals("writeKey"u8)) return Field.WriteKey;
        if (property.NameEquals("category"u8)) return Field.Category;
        if (property.NameEquals("groupId"u8)) return Field.GroupId;
        if (property.NameEquals("previousId"u8)) return Field.PreviousId;
        if (property.NameEquals("receivedAt"u8)) return Field.ReceivedAt;
        if (property.NameEquals("channel"u8)) return Field.Channel;
        if (property.NameEquals("version"u8)) return Field.Version;
        return Field.Other;
    }

    private static MessageRejection? Validate(ref Fields fields, CallType? endpointType, out CallType type, out Ids ids)
    {
        ids = default;
        type = default;
        if (endpointType is { } fixedType)
        {
            type = fixedType;
        }
        else if (fields.Type is not { } typeValue)
        {
            return MessageRejection.Required("type", "type is required: one of identify, track, page, screen, group, alias");
        }
        else if (typeValue.ValueKind != JsonValueKind.String || !CallTypes.TryParse(typeValue.GetString(), out type))
        {
            return new MessageRejection("type", "enum", "type must be one of identify, track, page, screen, group, alias");
        }

        var rejection = ReadId(fields.UserId, "userId", out ids.UserId)
            ?? ReadId(fields.AnonymousId, "anonymousId", out ids.AnonymousId)
            ?? ReadId(fields.GroupId, "groupId", out ids.GroupId)
            ?? ReadId(fields.PreviousId, "previousId", out ids.PreviousId)
            ?? ReadId(fields.MessageId, "messageId", out ids.MessageId)
            ?? RequireObjectOrNull(fields.Context, "context")
            ?? RequireObjectOrNull(fields.Integrations, "integrations")
            ?? RequireObjectOrNull(fields.Traits, "traits")
            ?? RequireObjectOrNull(fields.Properties, "properties")
            ?? RequireStringOrNull(fields.Event, "event")
            ?? RequireStringOrNull(fields.Name, "name")
            ?? RequireStringOrNull(fields.Category, "category");
        if (rejection is not null)
        {
            return rejection;
        }

        if (ids.MessageId is { Length: > MessageLimits.MaxMessageIdLength })
        {
            return new MessageRejection("messageId", "max_length", $"messageId must be at most {MessageLimits.MaxMessageIdLength} characters");
        }

        switch (type)
        {
            case CallType.Alias:
                if (ids.UserId is null)
                {
                    return MessageRejection.Required("userId", "alias needs userId (the new id)");
                }

                if (ids.PreviousId is null)
                {
                    return MessageRejection.Required("previousId", "alias needs previousId (the id being merged)");
                }

                return null;
            case CallType.Track when fields.Event is not { ValueKind: JsonValueKind.String } eventName || eventName.GetString() is not { Length: > 0 }:
                return MessageRejection.Required("event", "track needs a non-empty event name");
            case CallType.Group when ids.GroupId is null:
                return MessageRejection.Required("groupId", "group needs groupId");
        }

        if (ids.UserId is null && ids.AnonymousId is null)
        {
            return MessageRejection.Required("userId", "userId or anonymousId is required");
        }

        return null;
    }

    /// <summary>Ids are strings; numbers are coerced to their decimal text, and null or "" count as absent.</summary>
    private static MessageRejection? ReadId(JsonElement? value, string field, out string? id)
    {
        id = null;
        if (value is not { } element)
        {
            return null;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                var text = element.GetString();
                if (text is not null && text.Contains('\0'))
                {
                    // PostgreSQL's text cannot hold U+0000, and an id that holds it is a client's bug:
                    // refused on every store alike, so that a message means the same wherever it is kept.
                    return new MessageRejection(field, JsonInputCheck.NoNulRule, $"{field} must not contain the character U+0000 (NUL)");
                }

                id = string.IsNullOrEmpty(text) ? null : text;
                return null;
            case JsonValueKind.Number:
                id = element.GetRawText();
                return null;
            case JsonValueKind.Null:
                return null;
            default:
                return MessageRejection.WrongType(field, "a string");
        }
    }

    private static MessageRejection? RequireObjectOrNull(JsonElement? value, string field) =>
        value is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) } ? MessageRejection.WrongType(field, "an object") : null;

    private static MessageRejection? RequireStringOrNull(JsonElement? value, string field) =>
        value is { ValueKind: not (JsonValueKind.String or JsonValueKind.Null) } ? MessageRejection.WrongType(field, "a string") : null;

    private static MessageRejection? ResolveTimes(in Fields fields, IngestRequestContext request, out Times times)
    {
        times = default;
        if (ReadTimestamp(fields.Timestamp, "timestamp", out var timestampText, out var timestampMs) is { } badTimestamp)
        {
            return badTimestamp;
        }

        if (ReadTimestamp(fields.OriginalTimestamp, "originalTimestamp", out var originalText, out var originalMs) is { } badOriginal)
        {
            return badOriginal;
        }

        if (ReadTimestamp(fields.SentAt, "sentAt", out var sentText, out var sentMs) is { } badSentAt)
        {
            return badSentAt;
        }

        // Segment clients put the event time in `timestamp`; RudderStack clients in `originalTimestamp`.
        times.BaseText = timestampText ?? originalText;
        var baseMs = timestampText is not null ? timestampMs : originalMs;
        if (sentText is null && request.EnvelopeSentAt is not null)
        {
            sentText = request.EnvelopeSentAt;
            sentMs = request.EnvelopeSentAtMilliseconds;
        }

        times.SentText = sentText;
        times.Corrected = (times.BaseText, sentText) switch
        {
            (null, _) => request.ReceivedAtMilliseconds,
            (_, null) => baseMs,
            _ => request.ReceivedAtMilliseconds - (sentMs - baseMs),
        };
        return times.Corrected < MinUnixMilliseconds || times.Corrected > MaxUnixMilliseconds
            ? new MessageRejection("timestamp", "range", "timestamp corrected by sentAt falls outside the years 0001–9999; check the client's sentAt and timestamp")
            : null;
    }

    private static MessageRejection? ReadTimestamp(JsonElement? value, string field, out string? text, out long milliseconds)
    {
        text = null;
        milliseconds = 0;
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.String
            && element.GetString() is { } candidate
            && IsoTimestamp.TryParseMilliseconds(candidate, out milliseconds))
        {
            text = candidate;
            return null;
        }

        return new MessageRejection(field, "iso8601", $"{field} must be an ISO-8601 date-time string such as 2026-11-23T10:20:30.123Z");
    }

    private static void Write(
        JsonElement message,
        in Fields fields,
        CallType type,
        string messageId,
        in Ids ids,
        in Times times,
        IngestRequestContext request,
        Utf8JsonWriter writer)
    {
        var written = 0u;
        writer.WriteStartObject();
        foreach (var property in message.EnumerateObject())
        {
            var field = Classify(property);
            switch (field)
            {
                case Field.WriteKey:
                case Field.ReceivedAt:
                case Field.Version:
                case Field.OriginalTimestamp when times.BaseText is null:
                    continue;
                case Field.UserId:
                case Field.AnonymousId:
                case Field.GroupId:
                case Field.PreviousId:
                    if (property.Value.ValueKind == JsonValueKind.Number)
                    {
                        writer.WriteString(property.Name, property.Value.GetRawText());
                    }
                    else
                    {
                        JsonStrings.WriteVerbatim(property, writer);
                    }

                    continue;
                case Field.Type:
                case Field.MessageId:
                case Field.Timestamp:
                case Field.OriginalTimestamp:
                case Field.SentAt:
                case Field.Context:
                case Field.Integrations:
                case Field.Channel:
                    if ((written & Bit(field)) == 0)
                    {
                        written |= Bit(field);
                        WriteManaged(field, fields, type, messageId, times, request, writer);
                    }

                    continue;
                default:
                    JsonStrings.WriteVerbatim(property, writer);
                    continue;
            }
        }

        ReadOnlySpan<Field> managed = [Field.Type, Field.MessageId, Field.Timestamp, Field.OriginalTimestamp, Field.SentAt, Field.Context, Field.Integrations, Field.Channel];
        foreach (var field in managed)
        {
            if ((written & Bit(field)) == 0)
            {
                WriteManaged(field, fields, type, messageId, times, request, writer);
            }
        }

        WriteTimestamp(writer, ReceivedAtName, request.ReceivedAtMilliseconds);
        writer.WriteNumber(VersionName, 2);
        writer.WriteEndObject();
    }

    private static uint Bit(Field field) => 1u << (int)field;

    private static void WriteManaged(
        Field field,
        in Fields fields,
        CallType type,
        string messageId,
        in Times times,
        IngestRequestContext request,
        Utf8JsonWriter writer)
    {
        switch (field)
        {
            case Field.Type:
                writer.WriteString(TypeName, type.ToWireName());
                break;
            case Field.MessageId:
                writer.WriteString(MessageIdName, messageId);
                break;
            case Field.Timestamp:
                WriteTimestamp(writer, TimestampName, times.Corrected);
                break;
            case Field.OriginalTimestamp when times.BaseText is not null:
                writer.WriteString(OriginalTimestampName, times.BaseText);
                break;
            case Field.SentAt when times.SentText is not null:
                writer.WriteString(SentAtName, times.SentText);
                break;
            case Field.Context:
                WriteContext(fields.Context, request, writer);
                break;
            case Field.Integrations:
                WriteIntegrations(fields.Integrations, request.EnvelopeIntegrations, writer);
                break;
            case Field.Channel:
                if (fields.Channel is { ValueKind: JsonValueKind.String } channel)
                {
                    writer.WritePropertyName(ChannelName);
                    writer.WriteRawValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(channel), skipInputValidation: true);
                }
                else
                {
                    writer.WriteString(ChannelName, ChannelOf(fields.Context, request.EnvelopeContext));
                }

                break;
        }
    }

    private static void WriteTimestamp(Utf8JsonWriter writer, JsonEncodedText name, long unixMilliseconds)
    {
        Span<char> buffer = stackalloc char[32];
        if (!IsoTimestamp.TryFormat(unixMilliseconds, buffer, out var length))
        {
            throw new InvalidOperationException("A timestamp did not fit its buffer.");
        }

        writer.WriteString(name, buffer[..length]);
    }

    private static void WriteContext(JsonElement? itemContext, IngestRequestContext request, Utf8JsonWriter writer)
    {
        var item = itemContext is { ValueKind: JsonValueKind.Object } i ? i : (JsonElement?)null;
        var envelope = request.EnvelopeContext is { ValueKind: JsonValueKind.Object } e ? e : (JsonElement?)null;
        writer.WriteStartObject(ContextName);
        var hasIp = false;
        var hasLibrary = false;
        if (item is { } own)
        {
            foreach (var property in own.EnumerateObject())
            {
                if (property.NameEquals("ip"u8))
                {
                    if (JsonStrings.Read(property.Value) is not { Length: > 0 })
                    {
                        continue;
                    }

                    hasIp = true;
                }
                else if (property.NameEquals("library"u8))
                {
                    if (property.Value.ValueKind == JsonValueKind.Null)
                    {
                        continue;
                    }

                    hasLibrary = true;
                }

                if (envelope is { } env && property.Value.ValueKind == JsonValueKind.Object
                    && env.TryGetProperty(property.Name, out var under) && under.ValueKind == JsonValueKind.Object)
                {
                    writer.WritePropertyName(property.Name);
                    JsonMerge.WriteDeepMerged(property.Value, under, writer);
                }
                else
                {
                    JsonStrings.WriteVerbatim(property, writer);
                }
            }
        }

        if (envelope is { } defaults)
        {
            foreach (var property in defaults.EnumerateObject())
            {
                if (item is { } own2 && own2.TryGetProperty(property.Name, out _))
                {
                    continue;
                }

                if (property.NameEquals("ip"u8))
                {
                    if (hasIp || JsonStrings.Read(property.Value) is not { Length: > 0 })
                    {
                        continue;
                    }

                    hasIp = true;
                }
                else if (property.NameEquals("library"u8))
                {
                    if (hasLibrary || property.Value.ValueKind == JsonValueKind.Null)
                    {
                        continue;
                    }

                    hasLibrary = true;
                }

                JsonStrings.WriteVerbatim(property, writer);
            }
        }

        if (!hasIp)
        {
            writer.WriteString(IpName, request.ClientIp);
        }

        if (!hasLibrary)
        {
            // What Segment stores for callers that name no library.
            writer.WriteStartObject(LibraryName);
            writer.WriteString(NameName, "unknown");
            writer.WriteString(VersionKeyName, "unknown");
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteIntegrations(JsonElement? itemIntegrations, JsonElement? envelopeIntegrations, Utf8JsonWriter writer)
    {
        var item = itemIntegrations is { ValueKind: JsonValueKind.Object } i ? i : (JsonElement?)null;
        var envelope = envelopeIntegrations is { ValueKind: JsonValueKind.Object } e ? e : (JsonElement?)null;
        writer.WriteStartObject(IntegrationsName);
        if (item is { } own)
        {
            foreach (var property in own.EnumerateObject())
            {
                JsonStrings.WriteVerbatim(property, writer);
            }
        }

        if (envelope is { } defaults)
        {
            foreach (var property in defaults.EnumerateObject())
            {
                if (item is not { } own2 || !own2.TryGetProperty(property.Name, out _))
                {
                    JsonStrings.WriteVerbatim(property, writer);
                }
            }
        }

        writer.WriteEndObject();
    }

    private static string ChannelOf(JsonElement? itemContext, JsonElement? envelopeContext)
    {
        var library = LibraryNameOf(itemContext) ?? LibraryNameOf(envelopeContext);
        if (library is null)
        {
            return "server";
        }

        if (library == "analytics.js")
        {
            return "client";
        }

        return library.AsSpan().ContainsAny(MobileLibraries) ? "mobile" : "server";
    }

    private static readonly System.Buffers.SearchValues<string> MobileLibraries =
        System.Buffers.SearchValues.Create(["ios", "android", "swift", "kotlin", "react-native", "flutter"], StringComparison.OrdinalIgnoreCase);

    private static string? LibraryNameOf(JsonElement? context) =>
        context is { ValueKind: JsonValueKind.Object } c
        && c.TryGetProperty("library"u8, out var library)
        && library.ValueKind == JsonValueKind.Object
        && library.TryGetProperty("name"u8, out var name)
        && name.ValueKind == JsonValueKind.String
            ? JsonStrings.Read(name)
            : null;

    private struct Fields
    {
        public JsonElement? Type;
        public JsonElement? MessageId;
        public JsonElement? UserId;
        public JsonElement? AnonymousId;
        public JsonElement? GroupId;
        public JsonElement? PreviousId;
        public JsonElement? Event;
        public JsonElement? Name;
        public JsonElement? Category;
        public JsonElement? Traits;
        public JsonElement? Properties;
        public JsonElement? Timestamp;
        public JsonElement? OriginalTimestamp;
        public JsonElement? SentAt;
        public JsonElement? Context;
        public JsonElement? Integrations;
        public JsonElement? Channel;

        public void Set(Field field, JsonElement value)
        {
            switch (field)
            {
                case Field.Type: Type = value; break;
                case Field.MessageId: MessageId = value; break;
                case Field.UserId: UserId = value; break;
                case Field.AnonymousId: AnonymousId = value; break;
                case Field.GroupId: GroupId = value; break;
                case Field.PreviousId: PreviousId = value; break;
                case Field.Event: Event = value; break;
                case Field.Name: Name = value; break;
                case Field.Category: Category = value; break;
                case Field.Traits: Traits = value; break;
                case Field.Properties: Properties = value; break;
                case Field.Timestamp: Timestamp = value; break;
                case Field.OriginalTimestamp: OriginalTimestamp = value; break;
                case Field.SentAt: SentAt = value; break;
                case Field.Context: Context = value; break;
                case Field.Integrations: Integrations = value; break;
                case Field.Channel: Channel = value; break;
            }
        }
    }

    private struct Ids
    {
        public string? UserId;
        public string? AnonymousId;
        public string? GroupId;
        public string? PreviousId;
        public string? MessageId;
    }

    private struct Times
    {
        public string? BaseText;
        public string? SentText;
        public long Corrected;
    }
}
