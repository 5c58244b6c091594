namespace Sluice.Engage;

/// <summary>How Engage's background work runs: a round, then a wait the round chooses, a failed one logged and tried again later.</summary>
internal static class EngageRounds
{
    /// <param name="round">One round; true when there is more to do at once, else the next comes after <paramref name="interval"/>.</param>
    public static Task RunAsync(Func<CancellationToken, Task<bool>> round, TimeSpan interval, TimeProvider time, Action<Exception> failed, CancellationToken stopping) =>
        RunAsync(async cancellation => await round(cancellation) ? TimeSpan.Zero : interval, interval, time, failed, stopping);

    /// <param name="round">One round; how long to wait before the next (zero: at once).</param>
    /// <param name="afterFailure">How long to wait after a round that failed.</param>
    public static async Task RunAsync(Func<CancellationToken, Task<TimeSpan>> round, TimeSpan afterFailure, TimeProvider time, Action<Exception> failed, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await round(stopping);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                failed(exception);
                wait = afterFailure;
            }

            try
            {
                await Task.Delay(wait, time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
