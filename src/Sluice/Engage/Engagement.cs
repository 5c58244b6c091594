using Sluice.Engage.Computation;
using Sluice.Engage.Definitions;
using Sluice.Profiles;

namespace Sluice.Engage;

/// <summary>
/// The workspace's computed traits and audiences as the profiles steps compute them: each step of the
/// profiles consumer (and each recomputation, and each sweep of due profiles) begins an
/// <see cref="EngageStep"/> at the clock's instant, unless nothing is defined.
/// </summary>
internal sealed class Engagement(EngageDefinitions definitions, TimeProvider time)
{
    public static readonly Engagement Off = new(EngageDefinitions.None, TimeProvider.System);

    private readonly ProfileEvaluator _evaluator = new(definitions);

    public EngageDefinitions Definitions => definitions;

    /// <summary>The instant steps compute at, Unix ms.</summary>
    public long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A step's part of the computation, or null when no computed trait or audience is defined.</summary>
    public EngageStep? Begin(IProfileGraphReader reader) => definitions.Any ? new EngageStep(_evaluator, reader, Now) : null;
}
