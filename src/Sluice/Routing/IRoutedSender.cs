using Sluice.Storage;

namespace Sluice.Routing;

/// <summary>
/// What sends the deliveries the router decided may go at once, before they are recorded with their
/// outcome (the delivery engine's dispatcher, which sits above routing and plugs in here).
/// </summary>
internal interface IRoutedSender
{
    /// <param name="routed">What the router decided for a step's events.</param>
    /// <param name="beforeSending">Called once there is something to send, before anything is: the router confirms its leases there.</param>
    /// <returns>The deliveries, each sent one with its first attempt, status and reason.</returns>
    Task<IReadOnlyList<NewDelivery>> SendRoutedAsync(IReadOnlyList<NewDelivery> routed, Action beforeSending);
}
