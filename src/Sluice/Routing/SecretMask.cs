using System.Text;
using System.Text.Json.Nodes;
using Sluice.Actions.Mapping;
using Sluice.Actions.Kit;

namespace Sluice.Routing;

/// <summary>
/// Hides a destination's secret settings in text that came from elsewhere (a service's answer, a
/// request shown by the mapping test): the value as it is, URL-encoded, and base64 as HTTP Basic
/// carries it, each replaced by the mask before the text is stored or shown.
/// </summary>
internal sealed class SecretMask
{
    public const string Mask = "••••••••";

    /// <summary>Shorter values are not hidden: they would mask ordinary text.</summary>
    private const int ShortestSecret = 4;

    private readonly string[] _forms;

    public SecretMask(JsonObject settings, DestinationDefinition definition)
    {
        // A setting the definition does not know is treated as secret: nothing says it is not.
        var secrets = settings.Where(s => definition.Settings.GetValueOrDefault(s.Key) is not { } field || field.IsSecret)
            .Select(s => s.Value is null ? "" : JsValues.ToJsString(s.Value))
            .Where(v => v.Length >= ShortestSecret);
        _forms = [.. secrets
            .SelectMany(s => new[] { s, Uri.EscapeDataString(s), Base64(s), Base64(s + ":") })
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v.Length)];
    }

    public string Hide(string text)
    {
        foreach (var form in _forms)
        {
            text = text.Replace(form, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    public string? HideOrNull(string? text) => text is null ? null : Hide(text);

    private static string Base64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
}
