using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Sluice.Actions.Fql;

/// <summary>A compiled, immutable piece of an expression; evaluation allocates nothing.</summary>
internal abstract class FqlNode
{
    public abstract bool Evaluate(JsonElement message);

    /// <summary>Writes the node back as FQL that compiles to the same tree, with every group parenthesised.</summary>
    public abstract void Write(StringBuilder text);

    public override string ToString()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }
}

internal sealed class OrNode(FqlNode[] children) : FqlNode
{
    public override bool Evaluate(JsonElement message)
    {
        foreach (var child in children)
        {
            if (child.Evaluate(message))
            {
                return true;
            }
        }

        return false;
    }

    public override void Write(StringBuilder text) => WriteGroup(text, children, " or ");

    internal static void WriteGroup(StringBuilder text, FqlNode[] children, string separator)
    {
        text.Append('(');
        for (var i = 0; i < children.Length; i++)
        {
            if (i > 0)
            {
                text.Append(separator);
            }

            children[i].Write(text);
        }

        text.Append(')');
    }
}

internal sealed class AndNode(FqlNode[] children) : FqlNode
{
    public override bool Evaluate(JsonElement message)
    {
        foreach (var child in children)
        {
            if (!child.Evaluate(message))
            {
                return false;
            }
        }

        return true;
    }

    public override void Write(StringBuilder text) => OrNode.WriteGroup(text, children, " and ");
}

internal sealed class NotNode(FqlNode operand) : FqlNode
{
    public override bool Evaluate(JsonElement message) => !operand.Evaluate(message);

    public override void Write(StringBuilder text)
    {
        // A comparison is parenthesised for the reader; the parser binds ! to it either way.
        var parenthesise = operand is EqualityNode or OrderingNode;
        text.Append(parenthesise ? "!(" : "!");
        operand.Write(text);
        if (parenthesise)
        {
            text.Append(')');
        }
    }
}

internal enum LiteralKind
{
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>A value on the right of an operator or as the second argument of a function.</summary>
internal sealed record FqlLiteral(LiteralKind Kind, string Text, double Number)
{
    public static readonly FqlLiteral True = new(LiteralKind.True, "true", 1);
    public static readonly FqlLiteral False = new(LiteralKind.False, "false", 0);
    public static readonly FqlLiteral Null = new(LiteralKind.Null, "null", double.NaN);

    public static FqlLiteral FromString(string text) => new(LiteralKind.String, text, double.NaN);

    public static FqlLiteral FromNumber(double value, string source) => new(LiteralKind.Number, source, value);

    /// <summary>The number <c>&lt; &lt;= &gt; &gt;=</c> compare with: JavaScript's Number() of the value, as Segment does.</summary>
    public double AsNumber() => Kind switch
    {
        LiteralKind.Number or LiteralKind.True or LiteralKind.False => Number,
        LiteralKind.String => JsNumber.Parse(Text),
        _ => double.NaN, // Segment reads null here as the text "null", which is not a number
    };

    public void Write(StringBuilder text)
    {
        if (Kind == LiteralKind.String)
        {
            WriteString(text, Text);
        }
        else if (Kind == LiteralKind.Number)
        {
            text.Append(Number.ToString("R", CultureInfo.InvariantCulture));
        }
        else
        {
            text.Append(Text);
        }
    }

    public static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        text.Append('"');
    }
}

/// <summary>
/// <c>=</c> is strict: a string equals only the same string, a number the same number, a boolean the
/// same boolean; <c>null</c> equals null and a missing field. <c>!=</c> is exactly its negation.
/// </summary>
internal sealed class EqualityNode : FqlNode
{
    private readonly FieldPath _path;
    private readonly FqlLiteral _literal;
    private readonly byte[] _utf8;
    private readonly bool _negated;

    public EqualityNode(FieldPath path, FqlLiteral literal, bool negated)
    {
        _path = path;
        _literal = literal;
        _negated = negated;
        _utf8 = literal.Kind == LiteralKind.String ? Encoding.UTF8.GetBytes(literal.Text) : [];
    }

    public FieldPath Path => _path;

    public override bool Evaluate(JsonElement message) => Equal(message) != _negated;

    private bool Equal(JsonElement message)
    {
        if (!_path.TryResolve(message, out var value))
        {
            return _literal.Kind == LiteralKind.Null;
        }

        return _literal.Kind switch
        {
            LiteralKind.Null => value.ValueKind == JsonValueKind.Null,
            LiteralKind.True => value.ValueKind == JsonValueKind.True,
            LiteralKind.False => value.ValueKind == JsonValueKind.False,
            LiteralKind.Number => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && number == _literal.Number,
            _ => value.ValueKind == JsonValueKind.String && value.ValueEquals(_utf8),
        };
    }

    public override void Write(StringBuilder text)
    {
        text.Append(_path).Append(_negated ? " != " : " = ");
        _literal.Write(text);
    }
}

internal enum Ordering
{
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary><c>&lt; &lt;= &gt; &gt;=</c>: only a number in the message compares; anything else is false.</summary>
internal sealed class OrderingNode(FieldPath path, Ordering ordering, FqlLiteral literal) : FqlNode
{
    private readonly double _operand = literal.AsNumber();

    public override bool Evaluate(JsonElement message)
    {
        if (!path.TryResolve(message, out var value)
            || value.ValueKind != JsonValueKind.Number
            || !value.TryGetDouble(out var number))
        {
            return false;
        }

        // NaN compares false with everything, which is the answer for a value that is not a number.
        return ordering switch
        {
            Ordering.Less => number < _operand,
            Ordering.LessOrEqual => number <= _operand,
            Ordering.Greater => number > _operand,
            _ => number >= _operand,
        };
    }

    public override void Write(StringBuilder text)
    {
        text.Append(path).Append(ordering switch
        {
            Ordering.Less => " < ",
            Ordering.LessOrEqual => " <= ",
            Ordering.Greater => " > ",
            _ => " >= ",
        });
        literal.Write(text);
    }
}

/// <summary>A test on the text of a string field; any other value (missing, null, number, array) is false.</summary>
internal abstract class TextNode(FieldPath path) : FqlNode
{
    // Strings up to this many UTF-8 bytes are decoded on the stack; longer ones use a pooled buffer.
    private const int StackChars = 256;

    protected FieldPath Path { get; } = path;

    public sealed override bool Evaluate(JsonElement message)
    {
        if (!Path.TryResolve(message, out var value) || value.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        var raw = JsonMarshal.GetRawUtf8Value(value);
        raw = raw[1..^1];
        char[]? rented = null;
        var buffer = raw.Length <= StackChars
            ? stackalloc char[StackChars]
            : (rented = ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            return Test(JsonText.Decode(raw, buffer));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    protected abstract bool Test(ReadOnlySpan<char> text);
}

internal sealed class ContainsNode(FieldPath path, string needle) : TextNode(path)
{
    protected override bool Test(ReadOnlySpan<char> text) => text.Contains(needle, StringComparison.Ordinal);

    public override void Write(StringBuilder text)
    {
        text.Append("contains(").Append(Path).Append(", ");
        FqlLiteral.WriteString(text, needle);
        text.Append(')');
    }
}

internal sealed class MatchNode(FieldPath path, GlobPattern pattern) : TextNode(path)
{
    protected override bool Test(ReadOnlySpan<char> text) => pattern.IsMatch(text);

    public override void Write(StringBuilder text)
    {
        text.Append("match(").Append(Path).Append(", ");
        FqlLiteral.WriteString(text, pattern.Source);
        text.Append(')');
    }
}
