using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace Sluice.Actions.Mapping;

/// <summary>
/// Objects and arrays of a parsed document copied as they lie when writing them token by token would
/// give the same bytes: most of the cost of a payload or a request body is writing the event's
/// properties again, and a copy is one move.
/// </summary>
internal static class JsonAsItLies
{
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\n\r"u8);

    /// <summary>Writes the element as <see cref="JsonElement.WriteTo"/> does with <see cref="JsValues.StringifyWriter"/>'s options.</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        if (element.ValueKind is JsonValueKind.Object or JsonValueKind.Array
            && JsonMarshal.GetRawUtf8Value(element) is var raw && IsWrittenAsItIs(raw))
        {
            writer.WriteRawValue(raw, skipInputValidation: true);
        }
        else
        {
            element.WriteTo(writer);
        }
    }

    /// <summary>
    /// Whether valid JSON text is what the writer writes for it: no escape (the writer rewrites every
    /// escape, <c>\u00e9</c> as <c>é</c>) and no whitespace between tokens. Every other byte is written
    /// as it is: numbers and literals as they were read, and strings by <see cref="StringifyEncoder"/>,
    /// which escapes nothing that can stand unescaped in valid JSON.
    /// </summary>
    public static bool IsWrittenAsItIs(ReadOnlySpan<byte> json)
    {
        if (json.Contains((byte)'\\'))
        {
            return false;
        }

        var first = json.IndexOfAny(Whitespace);
        if (first < 0)
        {
            return true;
        }

        // With no backslash, every quote opens or closes a string: whitespace must lie inside one.
        var insideString = json[..first].Count((byte)'"') % 2 == 1;
        return Vector256.IsHardwareAccelerated ? WhitespaceOnlyInStrings256(json[first..], insideString) : WhitespaceOnlyInStrings(json[first..], insideString);
    }

    private static bool WhitespaceOnlyInStrings(ReadOnlySpan<byte> json, bool insideString)
    {
        foreach (var b in json)
        {
            if (b == '"')
            {
                insideString = !insideString;
            }
            else if (!insideString && b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>32 bytes a step: each quote flips the inside-a-string bit of every byte after it (a prefix XOR).</summary>
    private static bool WhitespaceOnlyInStrings256(ReadOnlySpan<byte> json, bool insideString)
    {
        ref var start = ref MemoryMarshal.GetReference(json);
        var carry = insideString ? uint.MaxValue : 0u;
        var at = 0;
        for (; at + Vector256<byte>.Count <= json.Length; at += Vector256<byte>.Count)
        {
            var block = Vector256.LoadUnsafe(ref start, (nuint)at);
            var quotes = Vector256.Equals(block, Vector256.Create((byte)'"')).ExtractMostSignificantBits();
            var whitespace = (Vector256.Equals(block, Vector256.Create((byte)' '))
                | Vector256.Equals(block, Vector256.Create((byte)'\t'))
                | Vector256.Equals(block, Vector256.Create((byte)'\n'))
                | Vector256.Equals(block, Vector256.Create((byte)'\r'))).ExtractMostSignificantBits();
            var inside = quotes;
            inside ^= inside << 1;
            inside ^= inside << 2;
            inside ^= inside << 4;
            inside ^= inside << 8;
            inside ^= inside << 16;
            inside ^= carry;
            if ((whitespace & ~inside) != 0)
            {
                return false;
            }

            carry = (uint)((int)inside >> 31);
        }

        return WhitespaceOnlyInStrings(json[at..], carry != 0);
    }
}
