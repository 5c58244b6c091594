using Sluice.Engage.Store;
using Sluice.Profiles;

namespace Sluice.Engage.Computation;

/// <summary>
/// Evaluates again, at the instant it is due, each profile whose computed traits or audiences time alone
/// can change (an event leaving a window, a date trait reaching an edge): a user leaves "ordered in the last
/// 30 days" when the 30 days pass, not at the next batch, as the sweeper sleeps until the soonest due
/// instant. Due times are in the store (engage_state.due_at), so any node sweeps them; a sweep is a profiles
/// step, one at a time with the consumer's.
/// </summary>
internal sealed partial class EngageSweeper(IProfileStore store, Engagement engagement, TimeProvider time, ILogger<EngageSweeper> logger) : BackgroundService
{
    /// <summary>Profiles evaluated by one sweep at most; a sweep that finds this many runs again at once.</summary>
    public const int MaxPerSweep = 1_000;

    /// <summary>
    /// How long a sweeper waits at most before it asks the store again: another node's step, or this one's,
    /// may make a profile due sooner than the soonest it knew of.
    /// </summary>
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

            // Due by the instant the step evaluates at: one read later would take a profile due in between and evaluate it before its time.
            var due = reader.EngageDue(engage.Now, MaxPerSweep);
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

    /// <summary>
    /// Sweeps, then sleeps until the soonest due instant it knows (on the injected clock), so a profile is
    /// evaluated at the instant a window edge passes rather than at the next poll; at most <see cref="Interval"/>.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        EngageRounds.RunAsync(
            _ =>
            {
                var sweptAt = engagement.Now;
                return Task.FromResult(SweepDue() == MaxPerSweep ? TimeSpan.Zero : UntilNextDue(sweptAt));
            },
            Interval,
            time,
            failed => LogSweepFailed(logger, failed),
            stoppingToken);

    /// <summary>
    /// How long until the soonest profile is due, at most <see cref="Interval"/>; none when one became due after
    /// the sweep at <paramref name="sweptAt"/> looked. A state due by then that the sweep left (its profile is
    /// gone, so it cannot be evaluated) does not make the sweeper spin: it waits the interval.
    /// </summary>
    private TimeSpan UntilNextDue(long sweptAt)
    {
        if (store.NextEngageDue() is not { } soonest || soonest <= sweptAt)
        {
            return Interval;
        }

        return TimeSpan.FromMilliseconds(Math.Clamp(soonest - engagement.Now, 0, (long)Interval.TotalMilliseconds));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage: evaluating the profiles due failed; the next sweep tries again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
