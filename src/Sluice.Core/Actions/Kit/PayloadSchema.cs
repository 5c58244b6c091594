using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Actions.Mapping;
using Sluice.Spec;

namespace Sluice.Actions.Kit;

/// <summary>
/// A payload that does not fit its action's fields: a required field is missing or a value cannot be
/// coerced. The delivery is skipped with this message, never retried (Segment: PAYLOAD_VALIDATION_FAILED).
/// </summary>
public sealed class PayloadValidationException(string message) : DeliverySkippedException(message);

/// <summary>
/// What destination-kit does between the mapping and perform: drop empty values the fields cannot
/// hold, drop undeclared keys, coerce values to the declared types (AJV <c>coerceTypes: "array"</c>)
/// and check required fields, with the reference's messages.
/// </summary>
public static class PayloadSchema
{
    /// <summary>
    /// Returns the payload as perform sees it; throws <see cref="PayloadValidationException"/> with
    /// every problem joined. The payload is taken apart (its values move to the result rather than
    /// being copied), so pass one you own, such as a mapping's result.
    /// </summary>
    /// <param name="inBatch">Batch mode keeps a root "" for string fields (the reference does).</param>
    public static JsonObject Validate(JsonObject payload, IReadOnlyDictionary<string, InputField> fields, bool inBatch = false)
    {
        var errors = new List<string>();
        var result = ValidateObject(payload, fields, additionalProperties: false, root: true, inBatch, "", errors);
        return errors.Count > 0 ? throw new PayloadValidationException(string.Join(" ", errors)) : result;
    }

    private static JsonObject ValidateObject(
        JsonObject input,
        IReadOnlyDictionary<string, InputField> fields,
        bool additionalProperties,
        bool root,
        bool inBatch,
        string pointer,
        List<string> errors)
    {
        var output = new JsonObject();
        var firstError = errors.Count;
        List<string>? invalid = null;
        var entries = input.ToList();
        input.Clear();
        foreach (var (key, value) in entries)
        {
            if (!fields.TryGetValue(key, out var field))
            {
                if (additionalProperties)
                {
                    output[key] = value;
                }

                continue;
            }

            if (IsEmptyFor(field, value, root, inBatch))
            {
                continue;
            }

            if (Coerce(field, value, $"{pointer}/{key}", root, errors) is { } coerced)
            {
                output[key] = coerced.Value;
            }
            else
            {
                (invalid ??= []).Add(key);
            }
        }

        // AJV checks "required" before "properties", so missing fields are named first.
        var missing = fields
            .Where(f => f.Value.Required && !output.ContainsKey(f.Key) && invalid?.Contains(f.Key) != true)
            .Select(f => pointer.Length == 0
                ? $"The root value is missing the required field '{f.Key}'."
                : $"The value at {pointer} is missing the required field '{f.Key}'.");
        errors.InsertRange(firstError, missing);

        return output;
    }

    /// <summary>
    /// What <see cref="Validate"/> returns for a planned mapping's result, written to <paramref name="writer"/>
    /// as <see cref="JsValues.ToUtf8Json"/> writes it, without building it. False when the payload needs
    /// what only <see cref="Validate"/> does (a value of another kind to coerce, a field with its own
    /// properties, an error to report): the caller then runs <see cref="Validate"/>, and
    /// what was written is discarded.
    /// </summary>
    /// <param name="asTheEventHasThem">Given, it receives each field written as the event's own value, so a body can be written from them.</param>
    /// <param name="everyFieldAsTheEventHasIt">Whether every field written is in <paramref name="asTheEventHasThem"/>.</param>
    internal static bool TryWrite(
        IReadOnlyList<PlannedMember> payload,
        IReadOnlyDictionary<string, InputField> fields,
        Utf8JsonWriter writer,
        List<KeyValuePair<string, JsonElement>>? asTheEventHasThem,
        out bool everyFieldAsTheEventHasIt)
    {
        everyFieldAsTheEventHasIt = asTheEventHasThem is not null;
        var required = 0;
        foreach (var field in fields.Values)
        {
            required += field.Required ? 1 : 0;
        }

        writer.WriteStartObject();
        foreach (var (key, value) in payload)
        {
            if (!fields.TryGetValue(key, out var field) || IsEmptyAtRoot(field, value))
            {
                continue;
            }

            writer.WritePropertyName(key);
            if (!(field.Multiple ? TryWriteSeveral(field, value, writer) : TryWriteOne(field, value, writer)))
            {
                return false;
            }

            required -= field.Required ? 1 : 0;
            if (everyFieldAsTheEventHasIt && WrittenAsTheEventHasIt(field, value))
            {
                asTheEventHasThem!.Add(new(key, value.Element));
            }
            else
            {
                everyFieldAsTheEventHasIt = false;
            }
        }

        writer.WriteEndObject();
        return required == 0;
    }

    /// <summary>
    /// Whether what was written for a field is the event's value itself: not a template's text or a built
    /// object, not a string field's number or boolean (written as text), not a number written anew
    /// (<c>1.50e3</c> as <c>1500</c>), and for a field of several values an array kept whole.
    /// </summary>
    private static bool WrittenAsTheEventHasIt(InputField field, PlannedValue value)
    {
        if (value.Kind != PlannedKind.Element)
        {
            return false;
        }

        if (value.IsNull || !field.Multiple)
        {
            return value.IsNull || ItemWrittenAsTheEventHasIt(field, value.Element);
        }

        // As TryWriteSeveral writes it: one value becomes an array, and nulls are left out unless allowed.
        if (value.Element.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in value.Element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Null ? !field.AllowNull : !ItemWrittenAsTheEventHasIt(field, item))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ItemWrittenAsTheEventHasIt(InputField field, JsonElement item) => item.ValueKind == JsonValueKind.Null || field.Type switch
    {
        FieldType.String or FieldType.Text or FieldType.Password => item.ValueKind == JsonValueKind.String,
        // Written as an integer: the same text when the event has it so (not -0, not 1e3, not 007).
        FieldType.Number or FieldType.Integer => IsIntegerText(JsonMarshal.GetRawUtf8Value(item)),
        FieldType.Boolean or FieldType.Datetime or FieldType.Object => true,
        _ => false,
    };

    private static bool IsIntegerText(ReadOnlySpan<byte> number)
    {
        var digits = number is [(byte)'-', .. var rest] ? rest : number;
        return digits.Length is > 0 and <= 15 && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9')
            && (digits[0] != '0' || (digits.Length == 1 && number.Length == 1));
    }

    /// <summary><see cref="IsEmptyFor(InputField, JsonNode, bool, bool)"/> at a payload's root, outside a batch.</summary>
    private static bool IsEmptyAtRoot(InputField field, PlannedValue value) =>
        IsEmptyFor(
            field,
            value.IsNull,
            value.Kind == PlannedKind.Text ? value.Text!.Length == 0 : value.Kind == PlannedKind.Element && value.Element.ValueKind == JsonValueKind.String && value.Element.ValueEquals(""u8),
            root: true,
            inBatch: false);

    /// <summary><see cref="Coerce"/> of a field of several values: an array's items (nulls left out unless allowed), or the one value as an array.</summary>
    private static bool TryWriteSeveral(InputField field, PlannedValue value, Utf8JsonWriter writer)
    {
        if (value.IsNull)
        {
            writer.WriteNullValue();
            return true;
        }

        writer.WriteStartArray();
        if (value.Kind == PlannedKind.Element && value.Element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.Element.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Null && !field.AllowNull)
                {
                    continue;
                }

                if (!TryWriteOne(field, new PlannedValue(PlannedKind.Element, item), writer))
                {
                    return false;
                }
            }
        }
        else if (!TryWriteOne(field, value, writer))
        {
            return false;
        }

        writer.WriteEndArray();
        return true;
    }

    /// <summary><see cref="CoerceOne"/> of values that are already of the field's kind; false for the rest.</summary>
    private static bool TryWriteOne(InputField field, PlannedValue value, Utf8JsonWriter writer)
    {
        if (value.IsNull)
        {
            writer.WriteNullValue();
            return true;
        }

        var element = value.Element;
        var kind = value.Kind == PlannedKind.Element ? element.ValueKind : value.Kind == PlannedKind.Text ? JsonValueKind.String : JsonValueKind.Object;
        switch (field.Type)
        {
            case FieldType.String or FieldType.Text or FieldType.Password:
                var text = value.Kind == PlannedKind.Text ? value.Text : JsValues.PrimitiveToJsString(element);
                if (text is null
                    || (field.Choices is { Count: > 0 } choices && !choices.Contains(text))
                    || (field.Type is FieldType.String && LengthProblem(field, text, "") is not null)
                    || (field.Format is { } format && !FormatHolds(format, text)))
                {
                    return false;
                }

                writer.WriteStringValue(text);
                return true;
            case FieldType.Number or FieldType.Integer:
                if (kind != JsonValueKind.Number || !element.TryGetDouble(out var number) || field.Choices is { Count: > 0 }
                    || (field.Type == FieldType.Integer && Math.Floor(number) != number)
                    || RangeProblem(field, number, "") is not null)
                {
                    return false;
                }

                if (WrittenAsInteger(field, number))
                {
                    writer.WriteNumberValue((long)number);
                }
                else
                {
                    writer.WriteNumberValue(number);
                }

                return true;
            case FieldType.Boolean when kind is JsonValueKind.True or JsonValueKind.False && field.Choices is not { Count: > 0 }:
                writer.WriteBooleanValue(kind == JsonValueKind.True);
                return true;
            case FieldType.Datetime when field.Choices is not { Count: > 0 }:
                if (kind == JsonValueKind.String)
                {
                    var date = value.Kind == PlannedKind.Text ? value.Text! : element.GetString()!;
                    if (!IsDateLike(date) || (field.Format is { } dateFormat && !FormatHolds(dateFormat, date)))
                    {
                        return false;
                    }
                }
                else if (kind != JsonValueKind.Number)
                {
                    return false;
                }

                value.WriteTo(writer);
                return true;
            case FieldType.Object when kind == JsonValueKind.Object && field.Properties is null && field.Choices is not { Count: > 0 }:
                value.WriteTo(writer);
                return true;
            default:
                return false;
        }
    }

    /// <summary>removeEmptyValues: values the field cannot hold are treated as absent (so a required field is then missing).</summary>
    private static bool IsEmptyFor(InputField field, JsonNode? value, bool root, bool inBatch) =>
        IsEmptyFor(field, value is null, JsValues.IsString(value, out var text) && text.Length == 0, root, inBatch);

    private static bool IsEmptyFor(InputField field, bool isNull, bool isEmptyString, bool root, bool inBatch)
    {
        if (isNull)
        {
            return !field.AllowNull;
        }

        if (!isEmptyString || field.Multiple)
        {
            return false;
        }

        var holdsStrings = field.Type is FieldType.String or FieldType.Text or FieldType.Password or FieldType.Datetime;
        return !holdsStrings || (root && !inBatch);
    }

    /// <summary>The value itself when nothing else holds it (the input was taken apart), else a copy.</summary>
    private static JsonNode Detached(JsonNode value) => value.Parent is null ? value : value.DeepClone();

    private static Resolved? Coerce(InputField field, JsonNode? value, string pointer, bool root, List<string> errors)
    {
        if (value is null)
        {
            return Resolved.Of(null);
        }

        if (!field.Multiple)
        {
            return CoerceOne(field, value, Subject(field, pointer, root), errors);
        }

        var items = value is JsonArray array ? array : new JsonArray(Detached(value));
        var coerced = new JsonArray();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null && !field.AllowNull)
            {
                continue;
            }

            if (CoerceOne(field, items[i], $"The value at {pointer}/{i}", errors) is { } item)
            {
                coerced.Add(item.Value);
            }
        }

        return Resolved.Of(coerced);
    }

    /// <summary>How a message names the value: the field's label at the root, a JSON pointer below it.</summary>
    private static string Subject(InputField field, string pointer, bool root) =>
        root && field.Label.Length > 0 ? char.ToUpperInvariant(field.Label[0]) + field.Label[1..] : $"The value at {pointer}";

    private static Resolved? CoerceOne(InputField field, JsonNode? value, string subject, List<string> errors)
    {
        if (value is null)
        {
            return Resolved.Of(null);
        }

        JsonNode? result;
        switch (field.Type)
        {
            case FieldType.String or FieldType.Text or FieldType.Password:
                if (value is JsonArray { Count: 1 } single && single[0] is not (JsonArray or JsonObject))
                {
                    value = single[0];
                }

                if (value is JsonObject or JsonArray or null)
                {
                    return Fail($"{subject} must be a string but it was {Described(value)}.");
                }

                result = JsonValue.Create(JsValues.ToJsString(value));
                break;
            case FieldType.Number or FieldType.Integer:
                if (!ToNumber(value, out var number))
                {
                    return Fail($"{subject} must be a number but it was {Described(value)}.");
                }

                if (field.Type == FieldType.Integer && Math.Floor(number) != number)
                {
                    return Fail($"{subject} must be an integer but it was a number.");
                }

                result = WrittenAsInteger(field, number)
                    ? JsonValue.Create((long)number)
                    : JsonValue.Create(number);
                if (RangeProblem(field, number, subject) is { } outOfRange)
                {
                    errors.Add(outOfRange);
                    return null;
                }

                break;
            case FieldType.Boolean:
                if (JsValues.IsBoolean(value, out var boolean))
                {
                    result = JsonValue.Create(boolean);
                }
                else if (JsValues.IsString(value, out var flag) && flag is "true" or "false")
                {
                    result = JsonValue.Create(flag == "true");
                }
                else if (JsValues.IsNumber(value, out var bit) && bit is 0 or 1)
                {
                    result = JsonValue.Create(bit == 1);
                }
                else
                {
                    return Fail($"{subject} must be a boolean but it was {Described(value)}.");
                }

                break;
            case FieldType.Datetime:
                if (JsValues.IsNumber(value, out _) || (JsValues.IsString(value, out var date) && IsDateLike(date)))
                {
                    result = Detached(value);
                    break;
                }

                return Fail($"{subject} must be a valid date-like string but it was not.");
            case FieldType.Object:
                if (value is not JsonObject obj)
                {
                    return Fail($"{subject} must be an object but it was {Described(value)}.");
                }

                result = field.Properties is { } properties
                    ? ValidateObject(obj, properties, field.AdditionalProperties, root: false, inBatch: false, "", errors)
                    : Detached(obj);
                break;
            default:
                result = Detached(value);
                break;
        }

        if (field.Choices is { Count: > 0 } choices && !(JsValues.IsString(result, out var choice) && choices.Contains(choice)))
        {
            return Fail($"{subject} must be one of: {JoinChoices(choices)}.");
        }

        if (field.Type is FieldType.String && JsValues.IsString(result, out var checkedText) && LengthProblem(field, checkedText, subject) is { } length)
        {
            errors.Add(length);
            return null;
        }

        if (field.Format is { } format && JsValues.IsString(result, out var formatted) && !FormatHolds(format, formatted))
        {
            return Fail($"{subject} must be a valid {FormatName(format)} string but it was not.");
        }

        return Resolved.Of(result);

        Resolved? Fail(string message)
        {
            errors.Add(message);
            return null;
        }
    }

    /// <summary>JavaScript's Number() on what AJV coerces: numeric strings (trimmed), booleans.</summary>
    private static bool ToNumber(JsonNode value, out double number)
    {
        if (JsValues.IsNumber(value, out number))
        {
            return true;
        }

        if (JsValues.IsBoolean(value, out var boolean))
        {
            number = boolean ? 1 : 0;
            return true;
        }

        return JsValues.IsString(value, out var text)
            && text.Trim().Length > 0
            && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out number)
            && double.IsFinite(number);
    }

    /// <summary>How a coerced number is written: as an integer for integer fields and whole numbers that fit.</summary>
    private static bool WrittenAsInteger(InputField field, double number) =>
        field.Type == FieldType.Integer || (Math.Floor(number) == number && Math.Abs(number) < 9e15);

    /// <summary>Why a number is outside the field's bounds, or null.</summary>
    private static string? RangeProblem(InputField field, double number, string subject) =>
        field.Minimum is > 0 and var minimum && number < minimum ? $"{subject} must be greater than or equal to {JsValues.NumberToString(minimum)}."
        : field.Maximum is > 0 and var maximum && number > maximum ? $"{subject} must be less than or equal to {JsValues.NumberToString(maximum)}."
        : null;

    /// <summary>Why a string's length is outside the field's bounds, or null.</summary>
    private static string? LengthProblem(InputField field, string text, string subject)
    {
        return field.Minimum is > 0 and var minimum && text.Length < minimum ? $"{subject} must be {minimum} characters or more but it was {Characters(text.Length)}."
            : field.Maximum is > 0 and var maximum && text.Length > maximum ? $"{subject} must be {maximum} characters or fewer but it was {Characters(text.Length)}."
            : null;

        static string Characters(int n) => n == 1 ? "1 character" : $"{n} characters";
    }

    private static bool IsDateLike(string text) => Dayjs.IsDateLike(text);

    private static bool FormatHolds(string format, string text) => format switch
    {
        "uri" => Uri.TryCreate(text, UriKind.Absolute, out _),
        "email" => text.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < text.Length - 1 && !text.Contains(' ', StringComparison.Ordinal),
        "date-time" => IsoTimestamp.TryParseMilliseconds(text, out _),
        "uuid" => Guid.TryParse(text, out _),
        _ => true,
    };

    private static string FormatName(string format) => format switch
    {
        "email" => "email address",
        "uri" => "uri",
        _ => format,
    };

    private static string Described(JsonNode? value) => JsValues.TypeName(value) switch
    {
        "array" => "an array",
        "object" => "an object",
        "null" => "null",
        var name => "a " + name,
    };

    private static string JoinChoices(IReadOnlyList<string> choices)
    {
        var quoted = choices.Select(c => $"\"{c}\"").ToList();
        return quoted.Count == 1 ? quoted[0] : string.Join(", ", quoted.Take(quoted.Count - 1)) + " or " + quoted[^1];
    }
}
