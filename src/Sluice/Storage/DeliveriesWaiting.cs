using Sluice.EventLog;

namespace Sluice.Storage;

/// <summary>Wakes the dispatcher when this process has recorded new jobs (the router, a replay); it polls as well.</summary>
internal sealed class DeliveriesWaiting
{
    public WakeSignal Signal { get; } = new();

    public void Notify() => Signal.Set();
}
