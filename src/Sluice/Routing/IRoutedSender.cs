using Sluice.Storage;

namespace Sluice.Routing;

/// <summary>
/// What sends the deliveries the router decided may go at once, before they are recorded with their
/// outcome (the delivery engine's dispatcher, which sits above routing and plugs in here).
/// </summary>
internal interface IRoutedSender
{
    /// <summary>
    /// Begins sending a step's deliveries. The router hands them over in parts as it routes them, so
    /// that the first part's requests are under way while it routes the next; every part shares the
    /// step's time to start sending, which counts from now.
    /// </summary>
    /// <param name="beforeSending">Called once there is something to send, before anything is: the router confirms its leases there.</param>
    IRoutedStep BeginStep(Action beforeSending);
}

/// <summary>One router step's sending (<see cref="IRoutedSender.BeginStep"/>).</summary>
internal interface IRoutedStep
{
    /// <summary>Starts sending what of <paramref name="part"/> may go at once; parts may be under way together.</summary>
    /// <returns>The part's deliveries, in order, each sent one with its first attempt, status and reason.</returns>
    Task<IReadOnlyList<NewDelivery>> SendAsync(IReadOnlyList<NewDelivery> part);
}
