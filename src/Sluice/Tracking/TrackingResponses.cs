using System.Text.Json;
using Sluice.Observability;

namespace Sluice.Tracking;

/// <summary>
/// The Tracking API's answers. Success is Segment's literal body; errors name the field and the
/// rule: <c>{"success":false,"error":{"code","message","field","rule"}}</c>.
/// </summary>
internal static class TrackingResponses
{
    /// <summary>Seconds a client is told to wait when the ingest queue is full.</summary>
    public const int RetryAfterSeconds = 1;

    private static readonly byte[] SuccessBody = """{"success":true}"""u8.ToArray();

    public static Task Success(HttpResponse response, List<RejectedMessage>? rejected)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        if (rejected is null)
        {
            response.ContentLength = SuccessBody.Length;
            return response.Body.WriteAsync(SuccessBody).AsTask();
        }

        return WriteAsync(response, json =>
        {
            json.WriteBoolean("success", true);
            WriteRejected(json, rejected);
        });
    }

    public static Task AllRejected(HttpResponse response, List<RejectedMessage> rejected)
    {
        response.StatusCode = StatusCodes.Status400BadRequest;
        return WriteAsync(response, json =>
        {
            json.WriteBoolean("success", false);
            json.WriteStartObject("error");
            json.WriteString("code", "invalid_batch");
            json.WriteString("message", rejected.Count == 1
                ? $"the only message was rejected: {rejected[0].Rejection.Field}: {rejected[0].Rejection.Error}"
                : $"all {rejected.Count} messages were rejected; see \"rejected\"");
            json.WriteEndObject();
            WriteRejected(json, rejected);
        });
    }

    public static Task Invalid(HttpResponse response, SluiceMetrics? metrics, string code, string message, string? field, string rule)
    {
        metrics?.Rejected.WithLabels(rule).Inc();
        response.StatusCode = StatusCodes.Status400BadRequest;
        return Error(response, code, message, field, rule);
    }

    public static Task Unauthorized(HttpResponse response, SluiceMetrics metrics, string message)
    {
        metrics.Rejected.WithLabels("write_key").Inc();
        response.StatusCode = StatusCodes.Status401Unauthorized;
        return Error(response, "invalid_write_key", message, "writeKey", "write_key");
    }

    /// <summary>403: the source does not take events from pages of this origin. The answer keeps its CORS headers, so the library sees a refusal to drop, not a failure to retry.</summary>
    public static Task OriginNotAllowed(HttpResponse response, SluiceMetrics metrics, string origin)
    {
        metrics.Rejected.WithLabels("origin").Inc();
        response.StatusCode = StatusCodes.Status403Forbidden;
        return Error(response, "origin_not_allowed", $"this source does not take events from pages of {origin} (its allowedOrigins)", "Origin", "origin");
    }

    public static Task Overloaded(HttpResponse response, SluiceMetrics metrics)
    {
        metrics.Rejected.WithLabels("overloaded").Inc();
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Error(response, "overloaded", "the server is writing as fast as it can; retry after the Retry-After seconds", field: null, rule: "overloaded");
    }

    public static Task StoreUnavailable(HttpResponse response, SluiceMetrics metrics)
    {
        metrics.Rejected.WithLabels("store_unavailable").Inc();
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Error(response, "store_unavailable", "the events could not be stored (see the server log); nothing was acknowledged, retry", field: null, rule: "store_unavailable");
    }

    public static Task BodyProblem(HttpResponse response, SluiceMetrics metrics, BodyProblem problem, int limit, bool isBatch) => problem switch
    {
        Tracking.BodyProblem.TooLarge => Invalid(response, metrics, "too_large",
            isBatch
                ? $"a batch body must be at most {limit} bytes after decoding"
                : $"a message must be at most {limit} bytes",
            isBatch ? "batch" : "message", "max_size"),
        Tracking.BodyProblem.UnsupportedEncoding => UnsupportedEncoding(response, metrics),
        _ => Invalid(response, metrics, "corrupt_encoding", "the body could not be decoded: the gzip or deflate stream is corrupt or truncated", field: null, rule: "encoding"),
    };

    private static Task UnsupportedEncoding(HttpResponse response, SluiceMetrics metrics)
    {
        metrics.Rejected.WithLabels("encoding").Inc();
        response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        return Error(response, "unsupported_encoding", "Content-Encoding must be gzip, deflate or identity", field: null, rule: "encoding");
    }

    private static Task Error(HttpResponse response, string code, string message, string? field, string rule) =>
        WriteAsync(response, json =>
        {
            json.WriteBoolean("success", false);
            json.WriteStartObject("error");
            json.WriteString("code", code);
            json.WriteString("message", message);
            if (field is not null)
            {
                json.WriteString("field", field);
            }

            json.WriteString("rule", rule);
            json.WriteEndObject();
        });

    private static void WriteRejected(Utf8JsonWriter json, List<RejectedMessage> rejected)
    {
        json.WriteStartArray("rejected");
        foreach (var item in rejected)
        {
            json.WriteStartObject();
            json.WriteNumber("index", item.Index);
            if (item.MessageId is not null)
            {
                json.WriteString("messageId", item.MessageId);
            }

            json.WriteString("field", item.Rejection.Field);
            json.WriteString("rule", item.Rejection.Rule);
            json.WriteString("error", item.Rejection.Error);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static async Task WriteAsync(HttpResponse response, Action<Utf8JsonWriter> write)
    {
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.BodyWriter);
        json.WriteStartObject();
        write(json);
        json.WriteEndObject();
        await json.FlushAsync();
    }
}
