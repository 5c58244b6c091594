namespace Sluice.Spec;

/// <summary>Why one message was not accepted: the field it concerns, the rule it broke, and a sentence for people.</summary>
public sealed record MessageRejection(string Field, string Rule, string Error)
{
    public static MessageRejection Required(string field, string error) => new(field, "required", error);

    public static MessageRejection WrongType(string field, string expected) =>
        new(field, "type", $"{field} must be {expected}");
}
