using Sluice.Spec;

namespace Sluice.Admin;

/// <summary>
/// Every Admin API body is read here once, before its endpoint: bounded in size, and refused with
/// the field and the rule when it is JSON that cannot be read faithfully (a name twice, a lone
/// surrogate, bytes that are not UTF-8, a number beyond a double). Endpoints then read it from memory.
/// </summary>
internal static class AdminRequestBody
{
    /// <summary>The largest body: a destination with 50 mappings and their settings fits many times over.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Null when the body may go to the endpoint (including bodies that are not JSON: the endpoint says what it wants).</summary>
    public static async Task<IResult?> CheckAsync(HttpContext http)
    {
        var request = http.Request;
        if (request.ContentLength is null or 0 && !request.Headers.TransferEncoding.Any(t => t is not null && t.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        if (request.ContentLength > MaxBytes)
        {
            return TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return TooLarge();
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.ToArray();
        request.Body = new MemoryStream(bytes, writable: false);
        // Text that isn't JSON at all goes on: the endpoint says what it wants.
        return JsonInputCheck.Find(bytes, refuseNul: true) is { Rule: not "json" } problem
            ? Results.Json(new { error = new { code = "invalid_body", field = problem.Field, rule = problem.Rule, message = $"{(problem.Field.Length == 0 ? "the body" : problem.Field)}: {problem.Message}" } }, statusCode: StatusCodes.Status400BadRequest)
            : null;
    }

    private static IResult TooLarge() => Results.Json(
        new { error = new { code = "too_large", field = "", rule = "max_size", message = $"an Admin API body must be at most {MaxBytes / 1024} KB" } },
        statusCode: StatusCodes.Status413PayloadTooLarge);
}
