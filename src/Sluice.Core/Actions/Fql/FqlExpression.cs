using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Sluice.Actions.Fql;

/// <summary>
/// A compiled FQL expression: a mapping's trigger or a destination filter. Compile once, then call
/// <see cref="Matches"/> per event; it is immutable, thread-safe and allocates nothing per event.
/// The language is described in docs/fql.md.
/// </summary>
public sealed class FqlExpression
{
    private readonly FqlNode _root;

    private FqlExpression(string text, FqlNode root, IReadOnlyList<string> warnings)
    {
        Text = text;
        _root = root;
        Warnings = warnings;
    }

    /// <summary>The text as written.</summary>
    public string Text { get; }

    /// <summary>
    /// Things to tell whoever wrote the text, each <c>"position N: …"</c>: constructs that Segment's own
    /// trigger evaluator reads differently (so the same trigger matches other events on Segment), and
    /// conditions that can never be true. The expression works either way.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The expression with every group parenthesised and every string double-quoted; it compiles to the same tree.</summary>
    internal string Canonical => _root.ToString();

    public static bool TryCompile(
        string text,
        [NotNullWhen(true)] out FqlExpression? expression,
        [NotNullWhen(false)] out FqlError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var warnings = new List<string>();
        try
        {
            var root = FqlParser.Parse(text, warnings);
            expression = new FqlExpression(text, root, warnings.AsReadOnly());
            error = null;
            return true;
        }
        catch (FqlException e)
        {
            expression = null;
            error = e.Error;
            return false;
        }
    }

    /// <exception cref="FqlException">The text is not valid FQL; the exception carries the position and the reason.</exception>
    public static FqlExpression Compile(string text) =>
        TryCompile(text, out var expression, out var error) ? expression : throw new FqlException(error);

    /// <summary>
    /// Whether the message satisfies the expression. Anything but a JSON object (such as a default
    /// <see cref="JsonElement"/> for "no event") never matches.
    /// </summary>
    public bool Matches(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && _root.Evaluate(message);

    public override string ToString() => Text;
}
