namespace Sluice.EventLog;

/// <summary>
/// Wakes a background loop that otherwise polls: any number of <see cref="Set"/> calls before the
/// loop waits again count as one wake-up, since the loop handles everything there is when it wakes.
/// </summary>
internal sealed class WakeSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    /// <summary>Set and not yet waited for: something was appended since the last wait returned.</summary>
    public bool IsSet => _semaphore.CurrentCount > 0;

    public void Set()
    {
        if (_semaphore.CurrentCount > 0)
        {
            return;
        }

        try
        {
            _semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another caller set it first: one wake-up covers both.
        }
    }

    /// <summary>Waits for a wake-up or for <paramref name="timeout"/> (real time) to pass; true when woken.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellation) => _semaphore.WaitAsync(timeout, cancellation);

    /// <summary>The same, blocking: for a loop on a thread of its own.</summary>
    public bool Wait(TimeSpan timeout, CancellationToken cancellation) => _semaphore.Wait(timeout, cancellation);
}
