using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Spec;

namespace Sluice.Spec;

public sealed class MessageNormalizerTests
{
    private static readonly long ReceivedAt = DateTimeOffset.Parse("2026-11-23T12:00:10.500Z").ToUnixTimeMilliseconds();

    private static IngestRequestContext Request(string? envelope = null)
    {
        JsonElement? node = envelope is null ? null : JsonDocument.Parse(envelope).RootElement;
        string? sentAt = node is { } e && e.TryGetProperty("sentAt", out var s) ? s.GetString() : null;
        IsoTimestamp.TryParseMilliseconds(sentAt ?? "", out var sentMs);
        return new IngestRequestContext
        {
            ReceivedAtMilliseconds = ReceivedAt,
            ClientIp = "203.0.113.7",
            EnvelopeContext = node is { } c && c.TryGetProperty("context", out var ctx) ? ctx : null,
            EnvelopeIntegrations = node is { } i && i.TryGetProperty("integrations", out var integ) ? integ : null,
            EnvelopeSentAt = sentAt,
            EnvelopeSentAtMilliseconds = sentMs,
        };
    }

    private static JsonObject Accept(string json, CallType? endpoint = CallType.Track, IngestRequestContext? request = null)
    {
        var ok = Normalize(json, endpoint, request, out var stored, out var rejection);
        Assert.True(ok, rejection?.ToString());
        return stored!;
    }

    private static MessageRejection Reject(string json, CallType? endpoint = CallType.Track)
    {
        var ok = Normalize(json, endpoint, null, out _, out var rejection);
        Assert.False(ok);
        return rejection!;
    }

    private static bool Normalize(string json, CallType? endpoint, IngestRequestContext? request, out JsonObject? stored, out MessageRejection? rejection)
    {
        using var document = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer);
        var ok = MessageNormalizer.TryNormalize(document.RootElement, Encoding.UTF8.GetByteCount(json), endpoint, request ?? Request(), writer, out _, out rejection);
        writer.Flush();
        Assert.Equal(ok, buffer.WrittenCount > 0);
        stored = ok ? JsonNode.Parse(buffer.WrittenSpan)!.AsObject() : null;
        return ok;
    }

    [Fact]
    public void Timestamp_is_corrected_for_the_client_clock_by_the_spec_formula()
    {
        // Client clock 5 minutes fast, batch sent 10 s after the call.
        var stored = Accept("""{"userId":"u","event":"E","timestamp":"2026-11-23T12:05:00.000Z","sentAt":"2026-11-23T12:05:10.000Z"}""");

        Assert.Equal("2026-11-23T12:00:00.500Z", (string?)stored["timestamp"]);
        Assert.Equal("2026-11-23T12:05:00.000Z", (string?)stored["originalTimestamp"]);
        Assert.Equal("2026-11-23T12:00:10.500Z", (string?)stored["receivedAt"]);
        Assert.Equal("2026-11-23T12:05:10.000Z", (string?)stored["sentAt"]);
    }

    [Fact]
    public void Envelope_sentAt_applies_to_items_without_their_own_and_is_copied_down()
    {
        var request = Request("""{"sentAt":"2026-11-23T12:05:10.000Z"}""");
        var stored = Accept("""{"type":"track","userId":"u","event":"E","timestamp":"2026-11-23T12:05:00.000Z"}""", endpoint: null, request);

        Assert.Equal("2026-11-23T12:00:00.500Z", (string?)stored["timestamp"]);
        Assert.Equal("2026-11-23T12:05:10.000Z", (string?)stored["sentAt"]);
    }

    [Fact]
    public void Without_sentAt_the_timestamp_is_the_client_time_cut_to_milliseconds()
    {
        var stored = Accept("""{"userId":"u","event":"E","timestamp":"2020-01-01T00:00:00.1234567Z"}""");

        Assert.Equal("2020-01-01T00:00:00.123Z", (string?)stored["timestamp"]);
        Assert.Equal("2020-01-01T00:00:00.1234567Z", (string?)stored["originalTimestamp"]);
        Assert.False(stored.ContainsKey("sentAt"));
    }

    [Fact]
    public void Without_a_client_time_the_timestamp_is_the_server_time_and_no_originalTimestamp_is_invented()
    {
        var stored = Accept("""{"userId":"u","event":"E","sentAt":"2026-11-23T12:05:10.000Z"}""");

        Assert.Equal("2026-11-23T12:00:10.500Z", (string?)stored["timestamp"]);
        Assert.False(stored.ContainsKey("originalTimestamp"));
    }

    [Fact]
    public void RudderStack_originalTimestamp_is_the_base_when_there_is_no_timestamp()
    {
        var stored = Accept("""{"userId":"u","event":"E","originalTimestamp":"2026-11-23T12:05:00.000Z","sentAt":"2026-11-23T12:05:01.000Z"}""");

        Assert.Equal("2026-11-23T12:00:09.500Z", (string?)stored["timestamp"]);
        Assert.Equal("2026-11-23T12:05:00.000Z", (string?)stored["originalTimestamp"]);
    }

    [Fact]
    public void Offsets_are_converted_to_UTC_and_lenient_dates_parse_like_Date_parse()
    {
        var stored = Accept("""{"userId":"u","event":"E","timestamp":"2015-2-02T02:30:08.276+02:00"}""");

        Assert.Equal("2015-02-02T00:30:08.276Z", (string?)stored["timestamp"]);
    }

    [Fact]
    public void A_messageId_is_generated_when_absent_and_kept_when_sent()
    {
        var generated = Accept("""{"userId":"u","event":"E"}""");
        var kept = Accept("""{"userId":"u","event":"E","messageId":"node-next-1-abc"}""");

        Assert.Matches("^api-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", (string?)generated["messageId"]);
        Assert.Equal("node-next-1-abc", (string?)kept["messageId"]);
    }

    [Fact]
    public void Server_fields_overwrite_client_values_and_the_write_key_is_never_stored()
    {
        var stored = Accept("""{"userId":"u","event":"E","writeKey":"secret","receivedAt":"1999-01-01T00:00:00Z","version":1,"type":"identify"}""");

        Assert.False(stored.ContainsKey("writeKey"));
        Assert.Equal("2026-11-23T12:00:10.500Z", (string?)stored["receivedAt"]);
        Assert.Equal(2, (int?)stored["version"]);
        Assert.Equal("track", (string?)stored["type"]);
    }

    [Fact]
    public void Numeric_ids_are_stored_as_their_decimal_text()
    {
        var stored = Accept("""{"type":"alias","userId":42,"previousId":7.5}""", endpoint: null);

        Assert.Equal("42", (string?)stored["userId"]);
        Assert.Equal("7.5", (string?)stored["previousId"]);
    }

    [Fact]
    public void Context_gets_the_client_ip_and_an_unknown_library_only_when_absent()
    {
        var added = Accept("""{"userId":"u","event":"E"}""");
        var kept = Accept("""{"userId":"u","event":"E","context":{"ip":"198.51.100.1","library":{"name":"analytics-ruby","version":"2.0"}}}""");
        var emptyIp = Accept("""{"userId":"u","event":"E","context":{"ip":""}}""");

        Assert.Equal("203.0.113.7", (string?)added["context"]!["ip"]);
        Assert.Equal("unknown", (string?)added["context"]!["library"]!["name"]);
        Assert.Equal("198.51.100.1", (string?)kept["context"]!["ip"]);
        Assert.Equal("analytics-ruby", (string?)kept["context"]!["library"]!["name"]);
        Assert.Equal("203.0.113.7", (string?)emptyIp["context"]!["ip"]);
    }

    [Fact]
    public void Envelope_context_is_deep_merged_under_the_item_and_integrations_shallow_merged()
    {
        var request = Request("""{"context":{"app":{"name":"shop","version":"1"},"locale":"en"},"integrations":{"All":false,"Mixpanel":true}}""");
        var stored = Accept(
            """{"type":"track","userId":"u","event":"E","context":{"app":{"version":"2"}},"integrations":{"Mixpanel":false,"Amplitude":{"session_id":5}}}""",
            endpoint: null,
            request);

        Assert.Equal("shop", (string?)stored["context"]!["app"]!["name"]);
        Assert.Equal("2", (string?)stored["context"]!["app"]!["version"]);
        Assert.Equal("en", (string?)stored["context"]!["locale"]);
        Assert.False((bool)stored["integrations"]!["Mixpanel"]!);
        Assert.False((bool)stored["integrations"]!["All"]!);
        Assert.Equal(5, (int)stored["integrations"]!["Amplitude"]!["session_id"]!);
    }

    [Fact]
    public void A_null_library_is_replaced_by_the_unknown_library_once()
    {
        var stored = Accept("""{"userId":"u","event":"E","context":{"library":null}}""");

        Assert.Equal("unknown", (string?)stored["context"]!["library"]!["name"]);
    }

    [Fact]
    public void A_lone_surrogate_escape_in_a_value_is_kept_verbatim_not_a_crash()
    {
        var ok = Normalize("""{"userId":"u","event":"E","properties":{"cut":"ab\ud83d"},"context":{"ip":"\ud800","library":{"name":"\udc00"}}}""", CallType.Track, null, out _, out _);

        Assert.True(ok);
    }

    [Fact]
    public void A_lone_surrogate_escape_in_a_top_level_name_is_rejected_and_nothing_is_written()
    {
        Assert.Equal("utf16", Reject("""{"userId":"u","event":"E","\ud800":1}""").Rule);
    }

    [Theory]
    [InlineData("""{"userId":"a\u0000b","event":"E"}""", "userId")]
    [InlineData("""{"anonymousId":"\u0000","event":"E"}""", "anonymousId")]
    [InlineData("""{"userId":"u","event":"E","messageId":"m\u0000"}""", "messageId")]
    [InlineData("""{"userId":"u","event":"E","groupId":"g\u0000"}""", "groupId")]
    public void An_id_holding_the_nul_character_is_rejected_naming_the_field(string json, string field)
    {
        var rejection = Reject(json);

        Assert.Equal(("no_nul", field), (rejection.Rule, rejection.Field));
    }

    [Fact]
    public void The_nul_character_outside_the_ids_is_kept_escaped()
    {
        var stored = Accept("""{"userId":"u","event":"E","properties":{"raw":"a\u0000b"}}""");

        Assert.Equal("a\0b", (string?)stored["properties"]!["raw"]);
    }

    [Theory]
    [InlineData("analytics.js", "client")]
    [InlineData("analytics-kotlin", "mobile")]
    [InlineData("analytics-ios", "mobile")]
    [InlineData("@segment/analytics-node", "server")]
    public void Channel_is_derived_from_the_library_when_the_client_sets_none(string library, string channel)
    {
        var stored = Accept("""{"userId":"u","event":"E","context":{"library":{"name":""" + JsonSerializer.Serialize(library) + "}}}");

        Assert.Equal(channel, (string?)stored["channel"]);
    }

    [Fact]
    public void A_client_channel_is_kept()
    {
        Assert.Equal("browser", (string?)Accept("""{"userId":"u","event":"E","channel":"browser"}""")["channel"]);
    }

    [Fact]
    public void The_client_field_order_is_kept_and_unknown_fields_pass_through()
    {
        var stored = Accept("""{"event":"E","projectId":"p1","userId":"u","_metadata":{"nodeVersion":"v20"},"properties":{"b":1,"a":2}}""");

        var names = stored.Select(p => p.Key).ToList();
        Assert.True(names.IndexOf("event") < names.IndexOf("projectId"));
        Assert.True(names.IndexOf("projectId") < names.IndexOf("userId"));
        Assert.Equal("v20", (string?)stored["_metadata"]!["nodeVersion"]);
        Assert.Equal(["b", "a"], stored["properties"]!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("identify", """{"traits":{}}""", "userId")]
    [InlineData("track", """{"userId":"u"}""", "event")]
    [InlineData("track", """{"userId":"u","event":""}""", "event")]
    [InlineData("page", """{"userId":""}""", "userId")]
    [InlineData("screen", """{"userId":null}""", "userId")]
    [InlineData("group", """{"userId":"u"}""", "groupId")]
    [InlineData("group", """{"groupId":"g"}""", "userId")]
    [InlineData("alias", """{"anonymousId":"a","previousId":"p"}""", "userId")]
    [InlineData("alias", """{"userId":"u"}""", "previousId")]
    public void Each_call_type_requires_its_fields(string type, string json, string field)
    {
        CallTypes.TryParse(type, out var callType);
        var rejection = Reject(json, callType);

        Assert.Equal(field, rejection.Field);
        Assert.Equal("required", rejection.Rule);
    }

    [Theory]
    [InlineData("""{"userId":"u","event":"E","context":"x"}""", "context")]
    [InlineData("""{"userId":"u","event":"E","properties":[1]}""", "properties")]
    [InlineData("""{"userId":"u","event":"E","integrations":true}""", "integrations")]
    [InlineData("""{"userId":"u","event":5}""", "event")]
    [InlineData("""{"userId":{"id":1},"event":"E"}""", "userId")]
    [InlineData("""{"anonymousId":["a"],"event":"E"}""", "anonymousId")]
    [InlineData("""{"userId":"u","event":"E","messageId":true}""", "messageId")]
    [InlineData("""{"userId":"u","event":"E","timestamp":"yesterday"}""", "timestamp")]
    [InlineData("""{"userId":"u","event":"E","timestamp":1714561200000}""", "timestamp")]
    [InlineData("""{"userId":"u","event":"E","sentAt":"2026-13-45T00:00:00Z"}""", "sentAt")]
    public void Wrong_types_are_rejected_naming_the_field(string json, string field)
    {
        var rejection = Reject(json);

        Assert.Equal(field, rejection.Field);
        Assert.Contains(field, rejection.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_items_need_a_known_type()
    {
        Assert.Equal(("type", "required"), Rejected(Reject("""{"userId":"u"}""", endpoint: null)));
        Assert.Equal(("type", "enum"), Rejected(Reject("""{"type":"purchase","userId":"u"}""", endpoint: null)));

        static (string, string) Rejected(MessageRejection r) => (r.Field, r.Rule);
    }

    [Fact]
    public void A_messageId_over_100_characters_is_rejected()
    {
        var rejection = Reject($$"""{"userId":"u","event":"E","messageId":"{{new string('m', 101)}}"}""");

        Assert.Equal(("messageId", "max_length"), (rejection.Field, rejection.Rule));
    }

    [Fact]
    public void A_message_over_the_size_limit_is_rejected_naming_the_limit()
    {
        var json = $$$"""{"userId":"u","event":"E","properties":{"blob":"{{{new string('x', 33_000)}}}"}}""";
        var rejection = Reject(json);

        Assert.Equal("max_size", rejection.Rule);
        Assert.Contains("32768", rejection.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_that_is_not_an_object_is_rejected()
    {
        Assert.Equal("type", Reject("[1,2]").Rule);
    }
}
