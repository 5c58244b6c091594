namespace Sluice.Actions.Fql;

/// <summary>Why an FQL text was rejected, and where.</summary>
/// <param name="Position">0-based index of the character in the text where the problem was found.</param>
/// <param name="Reason">What is wrong, in words meant for the person who wrote the text.</param>
public sealed record FqlError(int Position, string Reason)
{
    public string Message => $"position {Position}: {Reason}";

    public override string ToString() => Message;
}
