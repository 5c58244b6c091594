namespace Sluice.Workspace;

/// <summary>
/// The destinations in force: the workspace file's, then those made through the Admin API. Replaced
/// as a whole, with a new version, whenever either changes; the routing table compiles it. It sits
/// in the workspace so that the workspace knows nothing of the stages that use it.
/// </summary>
internal sealed class DestinationsInForce(IReadOnlyList<DestinationInstance> initial)
{
    private readonly Lock _lock = new();
    private volatile Snapshot _current = new(initial, 1);

    public Snapshot Current => _current;

    public void Replace(IReadOnlyList<DestinationInstance> destinations)
    {
        lock (_lock)
        {
            _current = new Snapshot(destinations, _current.Version + 1);
        }
    }

    public sealed record Snapshot(IReadOnlyList<DestinationInstance> Destinations, long Version);
}
