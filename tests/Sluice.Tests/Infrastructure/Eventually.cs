namespace Sluice.Infrastructure;

/// <summary>Waits for something another thread or process does: polls a condition until it holds, and fails the test naming what never happened.</summary>
internal static class Eventually
{
    private static readonly TimeSpan DefaultWithin = TimeSpan.FromSeconds(15);

    public static Task True(Func<bool> condition, TimeSpan? within = null, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string? what = null) =>
        True(() => Task.FromResult(condition()), within, what);

    /// <summary>The same for a condition that asks another process (an HTTP request, a query).</summary>
    public static async Task True(Func<Task<bool>> condition, TimeSpan? within = null, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string? what = null)
    {
        var deadline = DateTime.UtcNow + (within ?? DefaultWithin);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Never came true within {(within ?? DefaultWithin).TotalSeconds} s: {what}");
            }

            await Task.Delay(20);
        }
    }
}
