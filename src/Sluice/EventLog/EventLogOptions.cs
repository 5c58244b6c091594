namespace Sluice.EventLog;

/// <summary>How partition leases are kept and how consumers read.</summary>
internal sealed record EventLogOptions
{
    /// <summary>Leases of <paramref name="duration"/>: renewed every third of it, trusted until a fifth of it before it ends.</summary>
    public static EventLogOptions WithLeaseDuration(TimeSpan duration) => new()
    {
        LeaseDuration = duration,
        RenewEvery = duration / 3,
        TrustMargin = duration / 5,
    };

    /// <summary>
    /// This node's name: one process at a time has it, so a node started again under the same name takes
    /// back its earlier life's partitions at once. <c>sluice serve</c> uses the host name and the port it listens on.
    /// </summary>
    public string NodeName { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>How long a claim or renewal holds a partition.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often held leases are renewed and free ones claimed: a third of the lease, so two renewals can fail before it ends.</summary>
    public TimeSpan RenewEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A node stops committing this long before its last renewal's lease ends, so that clock drift
    /// between nodes can't let two owners commit at once (the epoch check refuses it anyway).
    /// </summary>
    public TimeSpan TrustMargin { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Claim every partition at start-up, whoever held it. Right for the embedded store, which one
    /// process uses: leases left by a process that died are this node's to take at once, and a second
    /// process started on the same files fences the first out instead of sharing with it.
    /// </summary>
    public bool TakeOverAtStart { get; init; } = true;

    /// <summary>How long events are kept once every consumer has read them; null keeps them (the default).</summary>
    public TimeSpan? Retention { get; init; }

    /// <summary>Rows read per consumer step.</summary>
    public int RowsPerRead { get; init; } = 200;

    /// <summary>
    /// How long a consumer with nothing to read waits for an append's wake-up before it reads anyway: wake-ups
    /// are hints (another node's may be lost), so a commit no wake-up announced is read within this.
    /// </summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Under load on a node that holds only a share of the partitions (so only on PostgreSQL, where every
    /// read is a statement on the server all the nodes share), the least time from the start of one of a
    /// consumer's rounds of reads to the next: a round that consumed rows while more were appended waits
    /// out the rest of it. Zero never waits (docs/decisions.md).
    /// </summary>
    public TimeSpan BusyReadInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a yielding consumer waits at most for the others to catch up before it takes a step anyway.</summary>
    public TimeSpan MaxYield { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a consumer's cursors are saved when it had no output to commit them with.</summary>
    public TimeSpan CursorSaveInterval { get; init; } = TimeSpan.FromSeconds(5);
}
