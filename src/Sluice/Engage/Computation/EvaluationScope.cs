namespace Sluice.Engage.Computation;

/// <summary>
/// What moved for a profile in a step: the aggregates (by slot) that took an event and the profile traits that
/// were set. Only the definitions that read them are evaluated again; anything else that moves (an identifier,
/// a merge, a recomputation, the instant it was due) has the whole profile evaluated (no scope).
/// </summary>
internal sealed class EvaluationScope(int aggregates)
{
    private readonly bool[] _took = new bool[aggregates];
    private HashSet<string>? _traits;

    public void Took(int slot) => _took[slot] = true;

    public bool HasTaken(int slot) => _took[slot];

    public void TraitSet(string key) => (_traits ??= new(StringComparer.Ordinal)).Add(key);

    public bool WasSet(string key) => _traits?.Contains(key) == true;
}
