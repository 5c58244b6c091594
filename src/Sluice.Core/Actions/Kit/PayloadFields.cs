using System.Text.Json;

namespace Sluice.Actions.Kit;

/// <summary>
/// The fields of a validated payload as an action's body writer reads them: from the payload's parsed
/// document (what the dispatcher reads back from the store), or, at routing, from the values the
/// mapping's plan found on the event, for a payload that holds every one of its fields as the event
/// has it. Both give the same values, so the body written from either is the same.
/// </summary>
public readonly struct PayloadFields
{
    private readonly JsonElement _document;
    private readonly List<KeyValuePair<string, JsonElement>>? _asTheEventHasThem;

    private PayloadFields(JsonElement document, List<KeyValuePair<string, JsonElement>>? asTheEventHasThem)
    {
        _document = document;
        _asTheEventHasThem = asTheEventHasThem;
    }

    /// <summary>The fields of a payload's document.</summary>
    public static PayloadFields Of(JsonElement payload) => new(payload, null);

    /// <summary>The fields a payload holds, each as a value of the event's document (which must outlive their use).</summary>
    internal static PayloadFields Of(List<KeyValuePair<string, JsonElement>> fields) => new(default, fields);

    /// <summary>A field of the payload; <see cref="JsonValueKind.Undefined"/> when it holds none.</summary>
    public JsonElement this[string field]
    {
        get
        {
            if (_asTheEventHasThem is null)
            {
                return _document.ValueKind == JsonValueKind.Object && _document.TryGetProperty(field, out var value) ? value : default;
            }

            foreach (var (name, value) in _asTheEventHasThem)
            {
                if (name == field)
                {
                    return value;
                }
            }

            return default;
        }
    }

    /// <summary>A field's text when it holds a string, else null.</summary>
    public string? Text(string field) => this[field] is { ValueKind: JsonValueKind.String } text ? text.GetString() : null;
}
