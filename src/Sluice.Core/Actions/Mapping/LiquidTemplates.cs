using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DotLiquid;
using DotLiquid.Exceptions;

namespace Sluice.Actions.Mapping;

/// <summary>
/// The <c>@liquid</c> directive, restricted like Segment's liquidjs set-up: at most 1,000
/// characters, and the tags and filters Segment disables fail with the same messages. Runs on
/// DotLiquid (Fluid, the first choice, needs a Parlot version the package feed here does not serve).
/// </summary>
internal static partial class LiquidTemplates
{
    public const int MaxLength = 1000;

    private static readonly ConcurrentDictionary<string, Template> Cache = new(StringComparer.Ordinal);

    [GeneratedRegex(@"\{%-?\s*(case|for|include|layout|render|tablerow)\b")]
    private static partial Regex DisabledTag();

    [GeneratedRegex(@"\|\s*(array_to_sentence_string|concat|find_index_exp|find_index|find_exp|find|group_by_exp|group_by|has_exp|has|map|newline_to_br|reject_exp|reject|reverse|sort_natural|sort|uniq|where_exp|type)\b")]
    private static partial Regex DisabledFilter();

    public static string Render(string source, JsonNode? payload)
    {
        if (source.Length == 0)
        {
            return "";
        }

        if (source.Length > MaxLength)
        {
            throw new MappingTransformException($"liquid template values are limited to {MaxLength} characters");
        }

        if (DisabledTag().Match(source) is { Success: true } tag)
        {
            throw new MappingTransformException($"tag \"{tag.Groups[1].Value}\" is disabled, {Position(source, tag.Index)}");
        }

        if (DisabledFilter().Match(source) is { Success: true } filter)
        {
            throw new MappingTransformException($"filter \"{filter.Groups[1].Value}\" is disabled, line:1, col:1");
        }

        Template template;
        try
        {
            template = Cache.GetOrAdd(source, static text => Template.Parse(text));
        }
        catch (LiquidException exception)
        {
            throw new MappingTransformException(exception.Message);
        }

        var variables = new Hash();
        if (payload is JsonObject root)
        {
            foreach (var (key, value) in root)
            {
                variables[key] = ToLiquid(value);
            }
        }

        var parameters = new RenderParameters(CultureInfo.InvariantCulture) { LocalVariables = variables, ErrorsOutputMode = ErrorsOutputMode.Rethrow };
        try
        {
            return template.Render(parameters);
        }
        catch (LiquidException exception)
        {
            throw new MappingTransformException(exception.Message);
        }
    }

    private static string Position(string source, int index)
    {
        var before = source[..index];
        return $"line:{before.Count(c => c == '\n') + 1}, col:{index - (before.LastIndexOf('\n') + 1) + 1}";
    }

    private static object? ToLiquid(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                return new JsObject(obj);
            case JsonArray array:
                return array.Select(ToLiquid).ToList();
        }

        if (JsValues.IsString(node, out var text))
        {
            return text;
        }

        if (JsValues.IsBoolean(node, out var boolean))
        {
            return boolean;
        }

        return JsValues.IsNumber(node, out var number) ? (decimal)number : null;
    }

    /// <summary>An event object: members read by name, printed as liquidjs prints objects.</summary>
    private sealed class JsObject(JsonObject members) : Drop, IValueTypeConvertible
    {
        public override object? BeforeMethod(string method) =>
            members.TryGetPropertyValue(method, out var member) ? LiquidTemplates.ToLiquid(member) : null;

        public override bool ContainsKey(object name) => name is string key && members.ContainsKey(key);

        public override string ToString() => "[object Object]";

        public object ConvertToValueType() => ToString();
    }
}
