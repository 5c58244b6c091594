using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

/// <summary>A mapping rejected when it is loaded; each error names the JSON path and the rule.</summary>
public sealed class MappingValidationException(IReadOnlyList<string> errors)
    : Exception(string.Join(" ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// A mapping-kit mapping (Segment actions-core 3.170.0), validated once and then applied to events:
/// the 13 directives with the reference's rules for missing paths, nulls, arrays and its quirks.
/// </summary>
public sealed class CompiledMapping
{
    private const string RootDirectiveKey = "__segment_internal_directive";

    private readonly JsonNode? _mapping;

    private CompiledMapping(JsonNode? mapping)
    {
        _mapping = mapping;
        Plan = MappingPlan.For(mapping);
    }

    /// <summary>The mapping compiled to run on a parsed event without building nodes, when its directives allow.</summary>
    internal MappingPlan? Plan { get; }

    /// <summary>Validates <paramref name="mapping"/> as the reference does on load; throws <see cref="MappingValidationException"/>.</summary>
    public static CompiledMapping Compile(JsonNode? mapping)
    {
        var effective = mapping?.DeepClone();
        if (effective is JsonObject root && root.TryGetPropertyValue(RootDirectiveKey, out var directive) && directive is JsonObject rootDirective)
        {
            // The root-directive form: the other keys become the directive's "mapping" option.
            var options = new JsonObject();
            foreach (var (key, value) in root.Where(p => p.Key != RootDirectiveKey).ToList())
            {
                options[key] = value?.DeepClone();
            }

            effective = rootDirective.DeepClone();
            if (MappingValidator.IsDirective(effective, out var name) && effective[name] is JsonObject directiveOptions)
            {
                directiveOptions["mapping"] = options;
            }
        }

        var errors = MappingValidator.Validate(effective);
        return errors.Count > 0 ? throw new MappingValidationException(errors) : new CompiledMapping(effective);
    }

    /// <summary>
    /// Applies the mapping to <paramref name="payload"/> (an event). The result is a new tree;
    /// <see cref="Resolved.IsUndefined"/> when a top-level directive resolves to nothing.
    /// </summary>
    /// <summary>
    /// Resolves the mapping against an event read from its parsed document, which must stay alive
    /// while the result is used: values are wrapped from it rather than copied.
    /// </summary>
    public Resolved Transform(JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return Transform(JsonNode.Parse(payload.GetRawText()));
        }

        return MappingPath.WithDocument(JsonObject.Create(payload)!, payload, Transform);
    }

    public Resolved Transform(JsonNode? payload)
    {
        if (payload is not JsonObject)
        {
            throw new MappingTransformException($"data must be an object, got {(payload is null ? "null" : JsValues.TypeName(payload))}");
        }

        if (_mapping is JsonArray array)
        {
            // The reference turns a top-level array mapping into an object keyed by position.
            var keyed = new JsonObject();
            var resolved = MappingResolver.Resolve(array, payload).Value!.AsArray();
            for (var i = 0; i < resolved.Count; i++)
            {
                keyed[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = resolved[i]?.DeepClone();
            }

            return Resolved.Of(keyed);
        }

        return MappingResolver.Resolve(_mapping, payload);
    }
}
