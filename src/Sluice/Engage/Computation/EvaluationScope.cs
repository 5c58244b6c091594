namespace Sluice.Engage.Computation;

/// <summary>
/// What moved for a profile in a step: the aggregates that took an event and the profile traits that were
/// set. Only the definitions that read them are evaluated again; anything else that moves (an identifier, a
/// merge, a recomputation, the instant it was due) has the whole profile evaluated (no scope).
/// </summary>
internal sealed class EvaluationScope
{
    public HashSet<string> Aggregates { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Traits { get; } = new(StringComparer.Ordinal);
}
