using Sluice.Engage.Store;
using Sluice.Profiles;

namespace Sluice.Engage.Computation;

/// <summary>
/// Evaluates again, at the instant it is due, each profile whose computed traits or audiences time alone
/// can change (an event leaving a window, a date trait reaching an edge): a user leaves "ordered in the last
/// 30 days" when the 30 days pass, not at the next batch. Due times are in the store (engage_state.due_at),
/// so any node sweeps them; a sweep is a profiles step, one at a time with the consumer's.
/// </summary>
internal sealed partial class EngageSweeper(IProfileStore store, Engagement engagement, TimeProvider time, ILogger<EngageSweeper> logger) : BackgroundService
{
    /// <summary>Profiles evaluated by one sweep at most; a sweep that finds this many runs again at once.</summary>
    public const int MaxPerSweep = 1_000;

    /// <summary>How often the store is asked what is due: a value changes at most this late.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Evaluates the profiles due by now; how many.</summary>
    public int SweepDue()
    {
        // Asked outside a step: an empty sweep takes no lock and writes nothing.
        if (store.NextEngageDue() is not { } soonest || soonest > engagement.Now)
        {
            return 0;
        }

        var swept = 0;
        store.RunStep(reader =>
        {
            if (engagement.Begin(reader) is not { } engage)
            {
                return [];
            }

            var due = reader.EngageDue(engagement.Now, MaxPerSweep);
            swept = due.Count;
            if (due.Count == 0)
            {
                return [];
            }

            engage.Prefetch(due);
            engage.Touch(due);
            var types = reader.Read(due).ToDictionary(p => p.Id, p => (IReadOnlySet<string>)p.Identifiers.Select(i => i.Identifier.Type).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
            return [.. engage.Finish(types.GetValueOrDefault)];
        }, [], changesGraph: false);
        return swept;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        EngageRounds.RunAsync(_ => Task.FromResult(SweepDue() == MaxPerSweep), Interval, time, failed => LogSweepFailed(logger, failed), stoppingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage: evaluating the profiles due failed; the next sweep tries again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
