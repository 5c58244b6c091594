namespace Sluice.Actions.Fql;

/// <summary>Thrown by <see cref="FqlExpression.Compile"/> for a text that is not valid FQL.</summary>
public sealed class FqlException : Exception
{
    public FqlException(FqlError error)
        : base(error.Message)
    {
        Error = error;
    }

    public FqlException(int position, string reason)
        : this(new FqlError(position, reason))
    {
    }

    public FqlError Error { get; }

    public int Position => Error.Position;
}
