namespace Sluice.Engage;

/// <summary>How Engage's background work runs: a round now and then, again at once while there is more, a failed one logged and tried again later.</summary>
internal static class EngageRounds
{
    /// <param name="round">One round; true when there is more to do at once.</param>
    public static async Task RunAsync(Func<CancellationToken, Task<bool>> round, TimeSpan interval, TimeProvider time, Action<Exception> failed, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                while (await round(stopping) && !stopping.IsCancellationRequested)
                {
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                failed(exception);
            }

            try
            {
                await Task.Delay(interval, time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
