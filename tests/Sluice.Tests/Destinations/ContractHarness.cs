using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sluice.Delivery;
using Sluice.Infrastructure;

namespace Sluice.Destinations;

/// <summary>
/// A Sluice whose destinations point at a local stand-in for the service, on a clock the test moves:
/// what contract tests need to check the exact requests and how each answer ends.
/// </summary>
internal sealed class ContractHarness : IAsyncDisposable
{
    private ContractHarness(RecordingServer service, InProcessServer sluice, FakeTimeProvider time)
    {
        Service = service;
        Sluice = sluice;
        Time = time;
    }

    public RecordingServer Service { get; }

    public InProcessServer Sluice { get; }

    public FakeTimeProvider Time { get; }

    /// <param name="destinations">The workspace's <c>destinations:</c> entries, given the stand-in's base URL.</param>
    /// <param name="firstAnswers">What the stand-in answers first (to start-up's credential checks).</param>
    /// <param name="forgetCredentialChecks">Start the record after start-up's credential checks, so that tests see only deliveries.</param>
    public static async Task<ContractHarness> StartAsync(Func<string, string> destinations, ScriptedAnswer[]? firstAnswers = null, bool forgetCredentialChecks = true)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T00:00:00Z"));
        var service = await RecordingServer.StartAsync();
        service.AnswerNext(firstAnswers ?? []);
        var sluice = await InProcessServer.StartAsync(
            o => o with { Delivery = new DeliveryOptions { Random = () => 0.999 } },
            workspaceYaml: $"sources:\n  - {{id: web, writeKey: {InProcessServer.WriteKey}}}\ndestinations:\n{destinations(service.BaseUrl)}",
            time: time);
        await sluice.WaitForCredentialChecksAsync();

        if (forgetCredentialChecks)
        {
            service.ClearReceived();
        }

        return new ContractHarness(service, sluice, time);
    }

    public async Task SendAsync(string type, string json)
    {
        var response = await Sluice.PostAsync($"/v1/{type}", json);
        response.EnsureSuccessStatusCode();
    }

    public Task<JsonObject> DeliveryAsync(string destinationId, string messageId, Func<JsonObject, bool>? until = null) =>
        DeliveryLog.WaitForAsync(Sluice.Admin, destinationId, messageId, until);

    /// <summary>Moves the clock and wakes the dispatcher, which otherwise looks again within a second of real time.</summary>
    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        ((Dispatcher)Sluice.Services.GetService(typeof(Dispatcher))!).Notify();
    }

    /// <summary>
    /// Has the service give <paramref name="answer"/> to the first request for the message, then
    /// returns that delivery once its first attempt is recorded (moving the clock past the timeout
    /// when the answer hangs).
    /// </summary>
    public async Task<JsonObject> FirstAttemptAsync(string destinationId, string messageId, ScriptedAnswer answer, Func<Task> send)
    {
        Service.AnswerNext(answer);
        await send();
        await Service.WaitForAsync(1);
        if (answer.Hang)
        {
            Advance(TimeSpan.FromSeconds(10));
        }

        return await DeliveryAsync(destinationId, messageId, d => (int?)d["attempts"] >= 1);
    }

    public async ValueTask DisposeAsync()
    {
        await Sluice.DisposeAsync();
        await Service.DisposeAsync();
    }
}
