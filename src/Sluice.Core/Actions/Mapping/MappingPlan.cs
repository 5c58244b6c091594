using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Actions.Mapping;

internal enum PlannedKind
{
    /// <summary>JavaScript's <c>undefined</c>: the key is left out.</summary>
    Undefined,

    /// <summary>A value of the event's document, or a constant of the mapping.</summary>
    Element,

    /// <summary>A string the plan made (a <c>@template</c>'s).</summary>
    Text,

    /// <summary>An object of the mapping whose values were resolved.</summary>
    Object,
}

/// <summary>What a <see cref="MappingPlan"/> resolves a value to: read from the event's document where it lies, never copied.</summary>
internal readonly record struct PlannedValue(PlannedKind Kind, JsonElement Element = default, string? Text = null, List<PlannedMember>? Members = null)
{
    public bool IsNull => Kind == PlannedKind.Element && Element.ValueKind == JsonValueKind.Null;

    /// <summary>Writes the value as <see cref="JsValues.ToUtf8Json"/> writes the resolved node.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        switch (Kind)
        {
            case PlannedKind.Text:
                writer.WriteStringValue(Text);
                break;
            case PlannedKind.Object:
                writer.WriteStartObject();
                foreach (var member in Members!)
                {
                    writer.WritePropertyName(member.Name);
                    member.Value.WriteTo(writer);
                }

                writer.WriteEndObject();
                break;
            default:
                JsonAsItLies.Write(writer, Element);
                break;
        }
    }
}

internal readonly record struct PlannedMember(string Name, PlannedValue Value);

/// <summary>
/// A mapping made only of the common directives (<c>@path</c> and <c>@template</c> with constant
/// text, <c>@literal</c>, <c>@if</c>), constants and objects of these, compiled to run on an event's
/// parsed document: no node is built, values are read where they lie. Where an event needs what
/// only the resolver does (walking into a string, the <c>String()</c> of an array in a template,
/// an event that is not an object), <see cref="TryResolve"/> says no and the resolver answers:
/// the plan is a shortcut, never a second meaning of a mapping.
/// </summary>
internal sealed class MappingPlan
{
    private readonly ObjectStep _root;

    private MappingPlan(ObjectStep root) => _root = root;

    /// <summary>The plan of a validated mapping, or null when it uses a directive the plan does not run.</summary>
    public static MappingPlan? For(JsonNode? mapping) =>
        mapping is JsonObject root && !MappingValidator.IsDirective(root, out _) && Plan(root) is ObjectStep step ? new MappingPlan(step) : null;

    /// <summary>Resolves the mapping against <paramref name="message"/>, whose document must outlive the result; false when only the resolver can.</summary>
    public bool TryResolve(JsonElement message, out PlannedValue result)
    {
        result = default;
        return message.ValueKind == JsonValueKind.Object && TryResolve(_root, message, out result);
    }

    private static Step? Plan(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when MappingValidator.IsDirective(obj, out var directive):
                return PlanDirective(directive, obj[directive]);
            case JsonObject obj:
                var members = new List<(string, Step)>(obj.Count);
                foreach (var (key, value) in obj)
                {
                    if (Plan(value) is not { } step)
                    {
                        return null;
                    }

                    members.Add((key, step));
                }

                return new ObjectStep(members);
            case JsonArray array:
                // Arrays of constants are constants; the resolver runs arrays with directives (rare).
                return ContainsDirective(array) ? null : new ConstantStep(ElementOf(array));
            default:
                return new ConstantStep(ElementOf(node));
        }
    }

    private static Step? PlanDirective(string directive, JsonNode? options)
    {
        switch (directive)
        {
            case "@path" when JsValues.IsString(options, out var path):
                return new PathStep(MappingPath.Split(path, stripRoot: true));
            case "@template" when JsValues.IsString(options, out var template):
                return new TemplateStep(TemplatePart.Parse(template));
            case "@literal":
                return Plan(options);
            case "@if" when options is JsonObject conditions:
                bool blank;
                JsonNode? condition;
                if (conditions.TryGetPropertyValue("exists", out var exists) && JsValues.IsTruthy(exists))
                {
                    (blank, condition) = (false, exists);
                }
                else if (conditions.TryGetPropertyValue("blank", out var empty) && JsValues.IsTruthy(empty))
                {
                    (blank, condition) = (true, empty);
                }
                else
                {
                    // The resolver throws the reference's error.
                    return null;
                }

                var test = Plan(condition);
                Step? then = null, otherwise = null;
                if (conditions.TryGetPropertyValue("then", out var thenMapping) && (then = Plan(thenMapping)) is null)
                {
                    return null;
                }

                // As the resolver: "else" is taken only when it is truthy.
                if (conditions.TryGetPropertyValue("else", out var elseMapping) && JsValues.IsTruthy(elseMapping) && (otherwise = Plan(elseMapping)) is null)
                {
                    return null;
                }

                return test is null ? null : new IfStep(test, blank, then, otherwise);
            default:
                return null;
        }
    }

    private static bool ContainsDirective(JsonNode? node) => node switch
    {
        JsonObject obj => MappingValidator.IsDirective(obj, out _) || obj.Any(p => ContainsDirective(p.Value)),
        JsonArray array => array.Any(ContainsDirective),
        _ => false,
    };

    private static JsonElement ElementOf(JsonNode? constant)
    {
        using var document = JsonDocument.Parse(constant?.ToJsonString() ?? "null");
        return document.RootElement.Clone();
    }

    private static bool TryResolve(Step step, JsonElement message, out PlannedValue value)
    {
        switch (step)
        {
            case ConstantStep constant:
                value = new PlannedValue(PlannedKind.Element, constant.Value);
                return true;
            case PathStep path:
                return TryWalk(message, path.Segments, out value);
            case TemplateStep template:
                return TryTemplate(template.Parts, message, out value);
            case IfStep condition:
                return TryIf(condition, message, out value);
            case ObjectStep obj:
                var members = new List<PlannedMember>(obj.Members.Count);
                foreach (var (name, member) in obj.Members)
                {
                    if (!TryResolve(member, message, out var resolved))
                    {
                        value = default;
                        return false;
                    }

                    if (resolved.Kind != PlannedKind.Undefined)
                    {
                        members.Add(new PlannedMember(name, resolved));
                    }
                }

                value = new PlannedValue(PlannedKind.Object, Members: members);
                return true;
            default:
                value = default;
                return false;
        }
    }

    /// <summary>The resolver's walk on a document; false for a step into a string or a number, which the resolver answers.</summary>
    private static bool TryWalk(JsonElement root, string[] segments, out PlannedValue value)
    {
        var end = MappingPath.WalkDocument(root, segments, out var found, out _);
        value = end == DocumentWalk.Found ? new PlannedValue(PlannedKind.Element, found) : default;
        return end != DocumentWalk.Stuck;
    }

    private static bool TryTemplate(List<TemplatePart> parts, JsonElement message, out PlannedValue value)
    {
        value = default;
        if (parts is [{ Path: null } only])
        {
            value = new PlannedValue(PlannedKind.Text, Text: only.Text);
            return true;
        }

        var output = new StringBuilder();
        foreach (var part in parts)
        {
            if (part.Path is null)
            {
                output.Append(part.Text);
                continue;
            }

            if (!TryWalk(message, part.Path, out var found))
            {
                return false;
            }

            if (found.Kind == PlannedKind.Undefined || found.IsNull)
            {
                continue;
            }

            if (JsValues.PrimitiveToJsString(found.Element) is { } text)
            {
                output.Append(text);
            }
            else if (found.Element.ValueKind == JsonValueKind.Object)
            {
                output.Append("[object Object]");
            }
            else
            {
                // An array's String() joins its items: the resolver's.
                return false;
            }
        }

        value = new PlannedValue(PlannedKind.Text, Text: output.ToString());
        return true;
    }

    private static bool TryIf(IfStep step, JsonElement message, out PlannedValue value)
    {
        value = default;
        if (!TryResolve(step.Condition, message, out var tested))
        {
            return false;
        }

        var holds = tested.Kind != PlannedKind.Undefined && !tested.IsNull;
        if (holds && step.Blank)
        {
            // Blank: not null and not loosely equal to "" (0, false and "" are blank; an array's String() is the resolver's).
            switch (tested.Kind)
            {
                case PlannedKind.Text:
                    holds = tested.Text!.Length > 0;
                    break;
                case PlannedKind.Element:
                    switch (tested.Element.ValueKind)
                    {
                        case JsonValueKind.String:
                            holds = !tested.Element.ValueEquals(""u8);
                            break;
                        case JsonValueKind.Number:
                            holds = tested.Element.GetDouble() != 0;
                            break;
                        case JsonValueKind.True or JsonValueKind.False:
                            holds = tested.Element.ValueKind == JsonValueKind.True;
                            break;
                        case JsonValueKind.Array:
                            return false;
                    }

                    break;
            }
        }

        var branch = holds ? step.Then : step.Otherwise;
        return branch is null || TryResolve(branch, message, out value);
    }

    private abstract record Step;

    private sealed record ConstantStep(JsonElement Value) : Step;

    private sealed record PathStep(string[] Segments) : Step;

    private sealed record TemplateStep(List<TemplatePart> Parts) : Step;

    private sealed record IfStep(Step Condition, bool Blank, Step? Then, Step? Otherwise) : Step;

    private sealed record ObjectStep(IReadOnlyList<(string Name, Step Value)> Members) : Step;
}
