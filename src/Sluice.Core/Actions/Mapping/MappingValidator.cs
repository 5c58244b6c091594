using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

/// <summary>
/// mapping-kit's load-time checks, with its messages: <c>/a/@replace/pattern should be a string of
/// length 10 or less.</c> Arrays are not looked into, as in the reference (their directives still run).
/// </summary>
internal static class MappingValidator
{
    public static readonly string[] Directives =
        ["@path", "@template", "@literal", "@if", "@case", "@replace", "@arrayPath", "@json", "@flatten", "@merge", "@transform", "@excludeWhenNull", "@liquid"];

    public static List<string> Validate(JsonNode? mapping)
    {
        var errors = new List<string>();
        Check(mapping, "", errors);
        return errors;
    }

    public static bool IsDirective(JsonNode? node, out string directive)
    {
        directive = "";
        if (node is not JsonObject obj || obj.Count == 0)
        {
            return false;
        }

        var found = false;
        foreach (var (key, _) in obj)
        {
            if (key.StartsWith('@'))
            {
                if (!found)
                {
                    directive = key;
                    found = true;
                }
            }
            else if (key != "_metadata")
            {
                return false;
            }
        }

        return found;
    }

    private static void Check(JsonNode? node, string path, List<string> errors)
    {
        if (node is not JsonObject obj)
        {
            return;
        }

        var directives = obj.Select(p => p.Key).Where(k => k.StartsWith('@')).ToList();
        if (directives.Count == 0)
        {
            foreach (var (key, value) in obj)
            {
                Check(value, $"{path}/{key}", errors);
            }

            return;
        }

        var keys = obj.Count(p => p.Key != "_metadata");
        if (keys > 1)
        {
            errors.Add($"{path} should only have one @-prefixed key but it has {keys} keys.");
            return;
        }

        var directive = directives[0];
        var options = obj[directive];
        var at = $"{path}/{directive}";
        switch (directive)
        {
            case "@liquid":
                if (!JsValues.IsString(options, out _))
                {
                    errors.Add($"{at} should be a string but it is {Article(options)}.");
                }

                break;
            case "@path" or "@template":
                StringOrDirective(options, at, errors);
                break;
            case "@literal" or "@excludeWhenNull":
                Check(options, at, errors);
                break;
            case "@if":
                if (Object(options, at, errors) is { } ifOptions)
                {
                    foreach (var key in new[] { "exists", "then", "else" })
                    {
                        if (ifOptions.TryGetPropertyValue(key, out var value))
                        {
                            Check(value, $"{at}/{key}", errors);
                        }
                    }
                }

                break;
            case "@case":
                if (Object(options, at, errors) is { } caseOptions)
                {
                    if (caseOptions.TryGetPropertyValue("operator", out var op) && !JsValues.IsString(op, out _))
                    {
                        errors.Add($"{at}/operator should be a string but it is {Article(op)}.");
                    }

                    if (caseOptions.TryGetPropertyValue("value", out var value))
                    {
                        StringOrDirective(value, $"{at}/value", errors);
                    }
                }

                break;
            case "@replace":
                if (Object(options, at, errors) is { } replace)
                {
                    if (!replace.TryGetPropertyValue("pattern", out var pattern))
                    {
                        errors.Add($"{at}/pattern is required.");
                    }
                    else if (!JsValues.IsString(pattern, out var p) || p.Length is < 1 or > 10)
                    {
                        errors.Add(JsValues.IsString(pattern, out var q) && q.Length == 0
                            ? $"{at}/pattern should be a string of length 1 or more."
                            : $"{at}/pattern should be a string of length 10 or less.");
                    }

                    if (replace.TryGetPropertyValue("replacement", out var replacement) && (!JsValues.IsString(replacement, out var r) || r.Length > 10))
                    {
                        errors.Add($"{at}/replacement should be a string of length 10 or less.");
                    }

                    if (!replace.TryGetPropertyValue("value", out var value))
                    {
                        errors.Add($"{at}/value is required.");
                    }
                    else
                    {
                        StringOrDirective(value, $"{at}/value", errors);
                    }

                    foreach (var flag in new[] { "ignorecase", "global" })
                    {
                        if (replace.TryGetPropertyValue(flag, out var f) && !JsValues.IsBoolean(f, out _))
                        {
                            errors.Add($"{at}/{flag} should be a boolean but it is {Article(f)}.");
                        }
                    }
                }

                break;
            case "@arrayPath":
                if (options is not JsonArray array)
                {
                    errors.Add($"{at} should be an array but it is {Article(options)}.");
                }
                else
                {
                    if (array.Count > 0)
                    {
                        StringOrDirective(array[0], $"{at}/0", errors);
                    }

                    if (array.Count > 1)
                    {
                        Check(array[1], $"{at}/1", errors);
                    }
                }

                break;
            case "@json":
                if (Object(options, at, errors) is { } json)
                {
                    if (!json.ContainsKey("value"))
                    {
                        errors.Add($"{at}/value is required.");
                    }

                    if (json.TryGetPropertyValue("mode", out var mode)
                        && !(JsValues.IsString(mode, out var m) && (m.Equals("encode", StringComparison.OrdinalIgnoreCase) || m.Equals("decode", StringComparison.OrdinalIgnoreCase))))
                    {
                        errors.Add($"{at}/mode should be one of encode, decode but it is {Quoted(mode)}.");
                    }
                }

                break;
            case "@flatten":
                if (Object(options, at, errors) is { } flatten)
                {
                    if (!flatten.ContainsKey("value"))
                    {
                        errors.Add($"{at}/value is required.");
                    }

                    if (flatten.TryGetPropertyValue("separator", out var separator) && !JsValues.IsString(separator, out _))
                    {
                        errors.Add($"{at}/separator should be a string but it is {Article(separator)}.");
                    }
                }

                break;
            case "@merge":
                if (Object(options, at, errors) is { } merge)
                {
                    if (!merge.TryGetPropertyValue("objects", out var objects) || objects is not JsonArray list)
                    {
                        errors.Add($"{at}/objects should be an array but it is {Article(objects)}.");
                    }
                    else
                    {
                        for (var i = 0; i < list.Count; i++)
                        {
                            if (list[i] is not JsonObject)
                            {
                                errors.Add($"{at}/objects/{i} should be an object or a mapping directive but it is {Article(list[i])}.");
                            }
                        }
                    }

                    if (merge.TryGetPropertyValue("direction", out var direction)
                        && !(JsValues.IsString(direction, out var d) && d is "left" or "right"))
                    {
                        errors.Add($"{at}/direction should be one of left, right but it is {Quoted(direction)}.");
                    }
                }

                break;
            case "@transform":
                if (Object(options, at, errors) is { } transform)
                {
                    foreach (var key in new[] { "apply", "mapping" })
                    {
                        if (!transform.TryGetPropertyValue(key, out var value) || value is not JsonObject)
                        {
                            errors.Add($"{at}/{key} should be an object or a mapping directive but it is {Article(value)}.");
                        }
                        else
                        {
                            Check(value, $"{at}/{key}", errors);
                        }
                    }
                }

                break;
            default:
                errors.Add($"{path} has an invalid directive: {directive}.");
                break;
        }
    }

    private static void StringOrDirective(JsonNode? value, string at, List<string> errors)
    {
        if (JsValues.IsString(value, out _))
        {
            return;
        }

        if (IsDirective(value, out _))
        {
            Check(value, at, errors);
            return;
        }

        errors.Add($"{at} should be a string or a mapping directive but it is {Article(value)}.");
    }

    private static JsonObject? Object(JsonNode? value, string at, List<string> errors)
    {
        if (value is JsonObject obj)
        {
            return obj;
        }

        errors.Add($"{at} should be an object but it is {Article(value)}.");
        return null;
    }

    private static string Article(JsonNode? value) => JsValues.TypeName(value) switch
    {
        "null" => "null",
        "array" => "an array",
        "object" => "an object",
        var name => "a " + name,
    };

    private static string Quoted(JsonNode? value) => value is null ? "null" : value.ToJsonString();
}
