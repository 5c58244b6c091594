namespace Sluice.Spec;

/// <summary>
/// Stored messages are one line of JSON: the live debugger sends each as one server-sent event
/// line, and a client's blank line inside its JSON would otherwise end that event early. Official
/// clients send compact JSON, so the rewrite runs only for text that holds a line break.
/// </summary>
public static class CompactJson
{
    /// <summary>JSON strings cannot hold a raw CR or LF, so one is always whitespace between tokens.</summary>
    public static bool HasLineBreak(ReadOnlySpan<byte> json) => json.IndexOfAny((byte)'\n', (byte)'\r') >= 0;

    /// <summary>
    /// The same JSON without whitespace between tokens. Everything else is kept byte for byte
    /// (names, strings with their escapes, numbers as written). The text must be valid JSON.
    /// </summary>
    public static byte[] Compact(ReadOnlySpan<byte> json)
    {
        var output = new byte[json.Length];
        var length = 0;
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (inString)
            {
                output[length++] = b;
                if (b == '\\')
                {
                    output[length++] = json[++i];
                }
                else if (b == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                continue;
            }

            inString = b == '"';
            output[length++] = b;
        }

        return output[..length];
    }
}
