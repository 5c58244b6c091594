using Sluice.EventLog;

namespace Sluice.Storage;

/// <summary>
/// Hints that another node changed the store, so that this node looks now rather than at its next
/// poll. A backend that can announce changes (PostgreSQL's LISTEN/NOTIFY) sets them; the embedded
/// store has no other process to hear from. Loops still poll: a hint may be lost.
/// </summary>
internal sealed class StoreNotifications
{
    /// <summary>Sources, tokens or API destinations changed (any node, this one included).</summary>
    public WakeSignal WorkspaceChanged { get; } = new();
}
