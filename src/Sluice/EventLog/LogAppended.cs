namespace Sluice.EventLog;

/// <summary>
/// Wakes every reader of the log when this process has appended to it. A hint only: readers also
/// poll, because another node's appends (PostgreSQL) don't pass through this process.
/// </summary>
internal sealed class LogAppended
{
    private volatile WakeSignal[] _readers = [];
    private readonly Lock _lock = new();

    /// <summary>A signal set after each append, for one reader's loop.</summary>
    public WakeSignal Subscribe()
    {
        var signal = new WakeSignal();
        lock (_lock)
        {
            _readers = [.. _readers, signal];
        }

        return signal;
    }

    public void Notify()
    {
        foreach (var reader in _readers)
        {
            reader.Set();
        }
    }
}
