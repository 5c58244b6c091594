using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

/// <summary>A mapping that fails on an event at run time (the reference throws the same).</summary>
public sealed class MappingTransformException(string message) : Exception(message);

/// <summary>
/// Resolves a validated mapping against a payload with mapping-kit 3.170.0's rules, quirks included
/// (see docs/actions.md). Values read from the payload are copied into the result, never shared.
/// </summary>
internal static class MappingResolver
{
    public static Resolved Resolve(JsonNode? mapping, JsonNode? payload)
    {
        switch (mapping)
        {
            case null:
                return Resolved.Of(null);
            case JsonArray array:
                var items = new JsonArray();
                foreach (var item in array)
                {
                    // A hole stays in place: JSON writes it as null.
                    items.Add(Resolve(item, payload).Value);
                }

                return Resolved.Of(items);
            case JsonObject obj when MappingValidator.IsDirective(obj, out var directive):
                return Run(directive, obj[directive], payload);
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    var resolved = Resolve(value, payload);
                    if (!resolved.IsUndefined)
                    {
                        result[key] = resolved.Value;
                    }
                }

                return Resolved.Of(result);
            default:
                return Resolved.Of(mapping.DeepClone());
        }
    }

    private static Resolved Run(string directive, JsonNode? options, JsonNode? payload) => directive switch
    {
        "@path" => Path(options, payload),
        "@template" => Template(options, payload),
        "@literal" => Resolve(options, payload),
        "@if" => If(options as JsonObject, payload),
        "@case" => Case(options as JsonObject, payload),
        "@replace" => Replace(options as JsonObject, payload),
        "@arrayPath" => ArrayPath(options as JsonArray, payload),
        "@json" => Json(options as JsonObject, payload),
        "@flatten" => Flatten(options as JsonObject, payload),
        "@merge" => Merge(options as JsonObject, payload),
        "@transform" => Transform(options as JsonObject, payload),
        "@excludeWhenNull" => ExcludeWhenNull(Resolve(options, payload)),
        "@liquid" => Resolved.Of(JsonValue.Create(LiquidTemplates.Render(JsValues.IsString(options, out var t) ? t : "", payload))),
        _ => throw new MappingTransformException($"invalid directive {directive}"),
    };

    private static Resolved Path(JsonNode? options, JsonNode? payload)
    {
        var path = ResolveText(options, payload, "@path");
        var found = MappingPath.Walk(payload, MappingPath.Split(path, stripRoot: true), out var unshared);
        return found.IsUndefined || unshared ? found : Resolved.Of(found.Value?.DeepClone());
    }

    private static Resolved Template(JsonNode? options, JsonNode? payload)
    {
        var template = ResolveText(options, payload, "@template");
        var output = new StringBuilder(template.Length);
        foreach (var part in TemplatePart.Parse(template))
        {
            if (part.Path is null)
            {
                output.Append(part.Text);
                continue;
            }

            var value = MappingPath.Walk(payload, part.Path);
            if (!value.IsUndefined && value.Value is not null)
            {
                output.Append(JsValues.ToJsString(value.Value));
            }
        }

        return Resolved.Of(JsonValue.Create(output.ToString()));
    }

    private static string ResolveText(JsonNode? options, JsonNode? payload, string directive)
    {
        if (JsValues.IsString(options, out var text))
        {
            return text;
        }

        var resolved = Resolve(options, payload);
        return JsValues.IsString(resolved.Value, out text) && !resolved.IsUndefined
            ? text
            : throw new MappingTransformException($"{directive}: expected string, got {(resolved.IsUndefined ? "undefined" : JsValues.TypeName(resolved.Value))}");
    }

    private static Resolved If(JsonObject? options, JsonNode? payload)
    {
        bool condition;
        if (options is not null && options.TryGetPropertyValue("exists", out var exists) && JsValues.IsTruthy(exists))
        {
            var value = Resolve(exists, payload);
            condition = !value.IsUndefined && value.Value is not null;
        }
        else if (options is not null && options.TryGetPropertyValue("blank", out var blank) && JsValues.IsTruthy(blank))
        {
            var value = Resolve(blank, payload);
            condition = !value.IsUndefined && value.Value is not null && !JsValues.LooselyEqualsEmptyString(value.Value);
        }
        else
        {
            throw new MappingTransformException("@if requires an \"exists\" key or a \"blank\" key");
        }

        if (condition && options.TryGetPropertyValue("then", out var then))
        {
            return Resolve(then, payload);
        }

        // The reference takes "else" only when it is truthy: else: 0, false or "" gives nothing.
        if (!condition && options.TryGetPropertyValue("else", out var otherwise) && JsValues.IsTruthy(otherwise))
        {
            return Resolve(otherwise, payload);
        }

        return Resolved.Undefined;
    }

    private static Resolved Case(JsonObject? options, JsonNode? payload)
    {
        if (options is null || !options.TryGetPropertyValue("value", out var valueMapping) || !JsValues.IsTruthy(valueMapping))
        {
            return Resolved.Undefined;
        }

        var value = Resolve(valueMapping, payload);
        if (value.IsUndefined || !JsValues.IsString(value.Value, out var text))
        {
            return value;
        }

        return (options.TryGetPropertyValue("operator", out var op) && JsValues.IsString(op, out var o) ? o : null) switch
        {
            "lower" => Resolved.Of(JsonValue.Create(text.ToLowerInvariant())),
            "upper" => Resolved.Of(JsonValue.Create(JsValues.ToUpper(text))),
            _ => throw new MappingTransformException("operator key should have a value of \"lower\" or \"upper\""),
        };
    }

    private static Resolved Replace(JsonObject? options, JsonNode? payload)
    {
        if (options is null || !options.TryGetPropertyValue("value", out var valueMapping) || !JsValues.IsTruthy(valueMapping))
        {
            return Resolved.Undefined;
        }

        var value = Resolve(valueMapping, payload);
        string text;
        if (value.IsUndefined)
        {
            return Resolved.Of(JsonValue.Create(""));
        }
        else if (JsValues.IsString(value.Value, out var s))
        {
            text = s;
        }
        else if (JsValues.IsNumber(value.Value, out _) || JsValues.IsBoolean(value.Value, out _))
        {
            text = JsValues.ToJsString(value.Value);
        }
        else
        {
            return Resolved.Of(JsonValue.Create(""));
        }

        var ignoreCase = options.TryGetPropertyValue("ignorecase", out var ic) && JsValues.IsBoolean(ic, out var icValue) && icValue;
        var global = !options.TryGetPropertyValue("global", out var g) || !JsValues.IsBoolean(g, out var gValue) || gValue;
        text = ReplaceLiteral(text, Option(options, "pattern"), Option(options, "replacement"), ignoreCase, global);
        if (options.TryGetPropertyValue("pattern2", out var second) && JsValues.IsString(second, out var pattern2) && pattern2.Length > 0)
        {
            text = ReplaceLiteral(text, pattern2, Option(options, "replacement2"), ignoreCase, global);
        }

        return Resolved.Of(JsonValue.Create(text));

        static string Option(JsonObject options, string key) => options.TryGetPropertyValue(key, out var v) && JsValues.IsString(v, out var s) ? s : "";
    }

    /// <summary>String.prototype.replace with a literal pattern and JavaScript's replacement patterns ($$, $&amp;, $`, $').</summary>
    private static string ReplaceLiteral(string text, string pattern, string replacement, bool ignoreCase, bool global)
    {
        if (pattern.Length == 0)
        {
            return text;
        }

        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var output = new StringBuilder(text.Length);
        var at = 0;
        while (at <= text.Length)
        {
            var found = text.IndexOf(pattern, at, comparison);
            if (found < 0)
            {
                break;
            }

            output.Append(text, at, found - at);
            var match = text.Substring(found, pattern.Length);
            for (var i = 0; i < replacement.Length; i++)
            {
                if (replacement[i] == '$' && i + 1 < replacement.Length)
                {
                    switch (replacement[i + 1])
                    {
                        case '$': output.Append('$'); i++; continue;
                        case '&': output.Append(match); i++; continue;
                        case '`': output.Append(text, 0, found); i++; continue;
                        case '\'': output.Append(text, found + pattern.Length, text.Length - found - pattern.Length); i++; continue;
                    }
                }

                output.Append(replacement[i]);
            }

            at = found + pattern.Length;
            if (!global)
            {
                break;
            }
        }

        output.Append(text, at, text.Length - at);
        return output.ToString();
    }

    private static Resolved ArrayPath(JsonArray? options, JsonNode? payload)
    {
        if (options is null || options.Count == 0)
        {
            return Resolved.Undefined;
        }

        var root = JsValues.IsString(options[0], out var path)
            ? MappingPath.Walk(payload, MappingPath.Split(path, stripRoot: true))
            : Resolve(options[0], payload);
        if (root.IsUndefined)
        {
            return root;
        }

        var shape = options.Count > 1 ? options[1] as JsonObject : null;
        if (shape is null || shape.Count == 0 || root.Value is not (JsonObject or JsonArray))
        {
            return Resolved.Of(root.Value?.DeepClone());
        }

        var items = root.Value is JsonArray array ? array : new JsonArray(root.Value.DeepClone());
        var mapped = new JsonArray();
        foreach (var item in items)
        {
            mapped.Add(Resolve(shape, item).Value);
        }

        return Resolved.Of(mapped);
    }

    private static Resolved Json(JsonObject? options, JsonNode? payload)
    {
        if (options is null || !options.TryGetPropertyValue("value", out var valueMapping) || !JsValues.IsTruthy(valueMapping))
        {
            throw new MappingTransformException("@json requires a \"value\" key");
        }

        var value = Resolve(valueMapping, payload);
        var mode = options.TryGetPropertyValue("mode", out var m) && JsValues.IsString(m, out var modeText) ? modeText : "";
        switch (mode)
        {
            case "encode":
                return value.IsUndefined ? value : Resolved.Of(JsonValue.Create(JsValues.JsonStringify(value.Value)));
            case "decode":
                if (value.IsUndefined || !JsValues.IsString(value.Value, out var text))
                {
                    return value;
                }

                try
                {
                    return Resolved.Of(JsonNode.Parse(text));
                }
                catch (JsonException)
                {
                    return value;
                }

            default:
                return Resolved.Undefined;
        }
    }

    private static Resolved Flatten(JsonObject? options, JsonNode? payload)
    {
        if (options is null || !options.TryGetPropertyValue("separator", out var separatorNode) || !JsValues.IsString(separatorNode, out var separator))
        {
            throw new MappingTransformException("@flatten requires a \"separator\" key");
        }

        var omitArrays = options.TryGetPropertyValue("omitArrays", out var omit) && JsValues.IsTruthy(omit);
        var value = options.TryGetPropertyValue("value", out var valueMapping) ? Resolve(valueMapping, payload) : Resolved.Undefined;
        var flat = new JsonObject();
        if (!value.IsUndefined)
        {
            Add(value.Value, "");
        }

        return Resolved.Of(flat);

        void Add(JsonNode? node, string prefix)
        {
            if (node is JsonObject obj)
            {
                foreach (var (key, child) in obj)
                {
                    Add(child, prefix.Length == 0 ? key : prefix + separator + key);
                }
            }
            else if (node is JsonArray array && !omitArrays)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    var key = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Add(array[i], prefix.Length == 0 ? key : prefix + separator + key);
                }
            }
            else
            {
                flat[prefix] = node?.DeepClone();
            }
        }
    }

    private static Resolved Merge(JsonObject? options, JsonNode? payload)
    {
        if (options is null || !options.TryGetPropertyValue("direction", out var directionNode) || !JsValues.IsString(directionNode, out var direction))
        {
            throw new MappingTransformException("@merge requires a \"direction\" key");
        }

        var sources = new List<JsonNode?>();
        if (options.TryGetPropertyValue("objects", out var objects) && objects is JsonArray list)
        {
            foreach (var item in list)
            {
                var resolved = Resolve(item, payload);
                if (!resolved.IsUndefined)
                {
                    sources.Add(resolved.Value);
                }
            }
        }

        if (direction == "left")
        {
            sources.Reverse();
        }

        // Object.assign: a key keeps the position where it first appeared, later values overwrite it.
        var merged = new JsonObject();
        foreach (var source in sources)
        {
            if (source is JsonObject obj)
            {
                foreach (var (key, value) in obj)
                {
                    merged[key] = value?.DeepClone();
                }
            }
            else if (JsValues.IsString(source, out var text))
            {
                for (var i = 0; i < text.Length; i++)
                {
                    merged[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = text[i].ToString();
                }
            }
        }

        return Resolved.Of(merged);
    }

    private static Resolved Transform(JsonObject? options, JsonNode? payload)
    {
        var applied = Resolve(options?["apply"], payload);
        return Resolve(options?["mapping"], applied.IsUndefined ? null : applied.Value);
    }

    private static Resolved ExcludeWhenNull(Resolved value)
    {
        if (value.IsUndefined || value.Value is null)
        {
            return Resolved.Undefined;
        }

        if (value.Value is JsonObject obj)
        {
            RemoveNulls(obj);
        }

        return value;

        static void RemoveNulls(JsonObject obj)
        {
            foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                obj.Remove(key);
            }

            foreach (var (_, child) in obj)
            {
                if (child is JsonObject nested)
                {
                    RemoveNulls(nested);
                }
            }
        }
    }
}

/// <summary>A piece of a <c>@template</c>: text as it is, or the path of a <c>{{…}}</c> (its value's <c>String()</c>, nothing when absent or null).</summary>
internal readonly record struct TemplatePart(string? Text, string[]? Path)
{
    /// <summary>mapping-kit's reading of a template: <c>{{path}}</c> or <c>{{{path}}}</c>; a lone <c>}</c> or an unclosed <c>{{</c> stays text.</summary>
    public static List<TemplatePart> Parse(string template)
    {
        var parts = new List<TemplatePart>();
        var at = 0;
        while (at < template.Length)
        {
            var open = template.IndexOf("{{", at, StringComparison.Ordinal);
            if (open < 0)
            {
                break;
            }

            var start = open + 2;
            if (start < template.Length && template[start] == '{')
            {
                start++;
            }

            var close = template.IndexOf('}', start);
            if (close < 0 || close == start)
            {
                break;
            }

            var end = close;
            while (end < template.Length && end < close + 3 && template[end] == '}')
            {
                end++;
            }

            if (end - close < 2)
            {
                // A single "}" is not a closing of "{{": the text stays as it is.
                parts.Add(new TemplatePart(template[at..(close + 1)], null));
                at = close + 1;
                continue;
            }

            parts.Add(new TemplatePart(template[at..open], null));
            parts.Add(new TemplatePart(null, MappingPath.Split(template[start..close].Trim(), stripRoot: false)));
            at = end;
        }

        parts.Add(new TemplatePart(template[at..], null));
        return parts;
    }
}
