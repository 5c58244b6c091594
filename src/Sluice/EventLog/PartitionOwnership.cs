using Sluice.Observability;

namespace Sluice.EventLog;

/// <summary>
/// This node's partitions: claimed as leases at start-up, renewed every <see cref="EventLogOptions.RenewEvery"/>,
/// given up at shutdown. Consumers read <see cref="Held"/> before each step and stamp their commits
/// with its epochs; the store refuses a commit whose epoch is no longer the partition's.
/// </summary>
internal sealed partial class PartitionOwnership(
    IPartitionLeases leases,
    IEventLog log,
    EventLogOptions options,
    TimeProvider time,
    ILogger<PartitionOwnership> logger) : BackgroundService
{
    private volatile Holding _holding = new([], 0);
    private readonly Lock _lock = new();

    // Consumers' steps read; a hand-over writes. A step may send deliveries before its commit records
    // them (the router does), so a partition given up under a step would be sent again by its next owner.
    private readonly ReaderWriterLockSlim _steps = new(LockRecursionPolicy.NoRecursion);

    /// <summary>This node's name in lease rows: its node name and an id of this life, so a restarted node is a new owner.</summary>
    public string Owner { get; } = $"{options.NodeName}#{Guid.NewGuid():N}";

    /// <summary>The leases this node may commit under now: none once its last renewal is too old to trust.</summary>
    public IReadOnlyList<PartitionLease> Held
    {
        get
        {
            var holding = _holding;
            return time.GetUtcNow().ToUnixTimeMilliseconds() < holding.TrustedUntil ? holding.Leases : [];
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Claimed before the consumers start, so their first step already has partitions.
        leases.Retire(options.NodeName, Owner);
        Claim(takeOver: options.TakeOverAtStart);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Marks a consumer's step under way until disposed: partitions are handed over (to a node that
    /// joined, or at shutdown) between steps, not under one.
    /// </summary>
    public IDisposable StepUnderWay()
    {
        _steps.EnterReadLock();
        return new StepExit(_steps);
    }

    /// <summary>
    /// Waits for the steps under way to end, up to half a lease (a step that outlasts it is refused at its
    /// commit by the epoch, as before). Not from a step itself: that one is ending.
    /// </summary>
    private void AwaitSteps()
    {
        if (!_steps.IsReadLockHeld && _steps.TryEnterWriteLock(options.LeaseDuration / 2))
        {
            _steps.ExitWriteLock();
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _steps.Dispose();
    }

    private sealed class StepExit(ReaderWriterLockSlim steps) : IDisposable
    {
        public void Dispose() => steps.ExitReadLock();
    }

    /// <summary>A consumer's commit was refused for this partition: stop using it until a claim gets it again.</summary>
    public void Lost(int partition)
    {
        lock (_lock)
        {
            var holding = _holding;
            _holding = holding with { Leases = [.. holding.Leases.Where(l => l.Partition != partition)] };
        }

        LogLeaseLost(partition);
        // Another node claimed this one; it may have claimed others too: find out now, not at the next renewal.
        try
        {
            RenewAndClaim();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogRenewFailed(exception);
        }
    }

    /// <summary>How many partitions this node should hold: all of them divided among the nodes alive, rounded up.</summary>
    public int Share { get; private set; }

    /// <summary>Renews what is held, then gives up a surplus or claims up to the share; the loop's step, callable by tests.</summary>
    public void RenewAndClaim()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var until = now + (long)options.LeaseDuration.TotalMilliseconds;
        lock (_lock)
        {
            var held = _holding.Leases;
            var renewed = held.Count == 0 ? [] : leases.Renew(Owner, held, until);
            foreach (var lost in held.Except(renewed))
            {
                LogLeaseLost(lost.Partition);
            }

            _holding = new Holding(renewed, until - (long)options.TrustMargin.TotalMilliseconds);
        }

        Claim(takeOver: false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Short of its share (a node joined or left, leases of a dead one are running out), a node looks again sooner.
                var wait = _holding.Leases.Count < Share ? TimeSpan.FromTicks(Math.Min(options.RenewEvery.Ticks, HungryEvery.Ticks)) : options.RenewEvery;
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                RenewAndClaim();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRenewFailed(exception);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var held = _holding.Leases;
        _holding = new Holding([], 0);
        AwaitSteps();
        try
        {
            leases.Release(Owner, held);
            leases.Leave(Owner);
        }
        catch (Exception exception)
        {
            // Not released, the leases simply run out: another node waits a little longer.
            LogRenewFailed(exception);
        }
    }

    /// <summary>
    /// Claims free partitions up to this node's share, or gives back what it holds beyond it (a node
    /// joined): the surplus leaves <see cref="Held"/> first, so no new step starts on it, and is released
    /// for the others to claim once the steps under way have ended.
    /// </summary>
    private void Claim(bool takeOver)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var until = now + (long)options.LeaseDuration.TotalMilliseconds;
        var alive = Math.Max(1, leases.Heartbeat(Owner, now, now - (long)options.LeaseDuration.TotalMilliseconds));
        List<PartitionLease> surplus;
        lock (_lock)
        {
            Share = (log.PartitionCount + alive - 1) / alive;
            var held = _holding.Leases;
            if (held.Count <= Share)
            {
                ClaimUpToShare(held, now, until, takeOver);
                return;
            }

            surplus = [.. held.OrderByDescending(l => l.Partition).Take(held.Count - Share)];
            _holding = _holding with { Leases = [.. held.Except(surplus)] };
        }

        AwaitSteps();
        leases.Release(Owner, surplus);
        LogHandedOver(surplus.Count, alive);
    }

    private void ClaimUpToShare(IReadOnlyList<PartitionLease> held, long now, long until, bool takeOver)
    {
        var want = Share - held.Count;
        if (want <= 0)
        {
            return;
        }

        var claimed = leases.Claim(Owner, want, now, until, takeOver);
        if (claimed.Count == 0)
        {
            return;
        }

        var all = held.Where(h => claimed.All(c => c.Partition != h.Partition)).Concat(claimed).OrderBy(l => l.Partition).ToList();
        // A claim renews nothing: the trust window is the older of the held leases' and the new ones'.
        var trusted = held.Count == 0 ? until - (long)options.TrustMargin.TotalMilliseconds : Math.Min(_holding.TrustedUntil, until - (long)options.TrustMargin.TotalMilliseconds);
        _holding = new Holding(all, trusted);
    }

    private static readonly TimeSpan HungryEvery = TimeSpan.FromSeconds(1);

    private sealed record Holding(IReadOnlyList<PartitionLease> Leases, long TrustedUntil);

    [LoggerMessage(EventId = EventIds.LeaseLost, Level = LogLevel.Warning, Message = "Partition {Partition}'s lease is no longer held by this node: its consumers stop there until it is claimed again")]
    private partial void LogLeaseLost(int partition);

    [LoggerMessage(EventId = EventIds.LeasesHandedOver, Level = LogLevel.Information, Message = "Handed {Count} partition(s) over: {Nodes} nodes share the log now")]
    private partial void LogHandedOver(int count, int nodes);

    [LoggerMessage(EventId = EventIds.LeaseRenewFailed, Level = LogLevel.Error, Message = "Renewing or claiming partition leases failed; retried at the next interval")]
    private partial void LogRenewFailed(Exception exception);
}
