namespace Sluice.EventLog;

/// <summary>Where a consumer added to an installation that already has events starts reading.</summary>
internal enum ConsumerStart
{
    /// <summary>At the oldest event the log keeps: the consumer sees the whole retained history.</summary>
    Beginning,

    /// <summary>At the head of the log when the consumer is first registered: only new events.</summary>
    Now,
}

/// <summary>A claim on a partition: valid while the store's lease row still has this owner and epoch.</summary>
internal readonly record struct PartitionLease(int Partition, long Epoch);

/// <summary>A consumer's cursor in one partition moved to <paramref name="Position"/>, under the lease the move is fenced by.</summary>
internal readonly record struct CursorAdvance(string Consumer, int Partition, long Position, string Owner, long Epoch);

/// <summary>A commit refused because its partition's lease moved on (another epoch, another owner): the work is not recorded.</summary>
internal sealed class LeaseLostException(int partition) : Exception($"the lease on partition {partition} is no longer held: another node (or a restart) claimed it")
{
    public int Partition { get; } = partition;
}

/// <summary>
/// Consumers' durable cursors, one per (consumer, partition). A consumer moves them in the same
/// transaction as its own output (each store that writes consumer output takes the advances and
/// applies them fenced); <see cref="Commit"/> is for consumers that write nothing else.
/// </summary>
internal interface IConsumerCursors
{
    /// <summary>Creates the consumer's cursors that don't exist yet (all partitions), at the start it asks for; existing ones stay.</summary>
    void Register(string consumer, ConsumerStart start);

    /// <summary>The consumer's cursor in every partition.</summary>
    IReadOnlyDictionary<int, long> Read(string consumer);

    /// <summary>Moves cursors in one transaction, each only while its lease is held; throws <see cref="LeaseLostException"/> (and moves none) otherwise.</summary>
    void Commit(IReadOnlyList<CursorAdvance> advances);

    /// <summary>
    /// Throws <see cref="LeaseLostException"/> when a lease these advances are made under is no longer held.
    /// For a consumer that acts outside the store before its commit (the router sends deliveries): a node
    /// replaced without knowing it yet finds out before acting, not only at its commit.
    /// </summary>
    void ConfirmHeld(IReadOnlyList<CursorAdvance> advances);
}

/// <summary>
/// Partition ownership as leases with epochs (fencing tokens). Every claim of a partition raises
/// its epoch, so a commit made under an older claim is refused by the store, whatever the clocks say.
/// </summary>
internal interface IPartitionLeases
{
    /// <summary>
    /// Claims up to <paramref name="want"/> partitions that are free or whose lease ended before
    /// <paramref name="now"/>; with <paramref name="takeOver"/>, every partition whoever holds it.
    /// Each claimed partition's epoch goes up by one.
    /// </summary>
    IReadOnlyList<PartitionLease> Claim(string owner, int want, long now, long until, bool takeOver);

    /// <summary>Extends the leases still held (same owner and epoch) to <paramref name="until"/>; returns those, the others are lost.</summary>
    IReadOnlyList<PartitionLease> Renew(string owner, IReadOnlyList<PartitionLease> leases, long until);

    /// <summary>Gives leases up (shutdown, a surplus), so another node can claim them at once.</summary>
    void Release(string owner, IReadOnlyList<PartitionLease> leases);

    /// <summary>
    /// Records that <paramref name="owner"/> is alive at <paramref name="now"/> and returns how many nodes
    /// are, itself included: those seen since <paramref name="aliveSince"/>. Each node's fair share of the
    /// partitions follows from it.
    /// </summary>
    int Heartbeat(string owner, long now, long aliveSince);

    /// <summary>Forgets a node that stopped, so the others take its share at once.</summary>
    void Leave(string owner);

    /// <summary>
    /// Ends the earlier lives of a node that starts again: leases held, and the heartbeats of, owners
    /// named <c><paramref name="nodeName"/>#…</c> other than <paramref name="owner"/> are let go. Only one
    /// process can be that node at a time (the name holds its address), so they are certainly dead, and
    /// their partitions and delivery claims need not wait for their leases to run out.
    /// </summary>
    void Retire(string nodeName, string owner);

    /// <summary>Every partition's lease as the store has it (for <c>sluice status</c> and /metrics).</summary>
    IReadOnlyList<LeaseState> ReadLeases();

    /// <summary>The nodes seen since <paramref name="aliveSince"/>, with when each started and was last seen.</summary>
    IReadOnlyList<NodeState> ReadNodes(long aliveSince);
}

/// <summary>A partition's lease: its owner (null when free), epoch, and end (Unix ms).</summary>
internal sealed record LeaseState(int Partition, string? Owner, long Epoch, long Until);

/// <summary>A node of the cluster: its owner name (host:pid:id), start and last heartbeat (Unix ms).</summary>
internal sealed record NodeState(string Owner, long StartedAt, long SeenAt);
