using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Workspace;

namespace Sluice.Profiles.Identity;

/// <summary>
/// The resolver, applied event by event to a graph, agrees with <see cref="BruteForceIdentity"/> on a
/// generated corpus: devices shared by two people, a team email reused by many, blocked placeholder ids,
/// people with more devices than the limit lets in a week, and merges past a low merge cap.
/// </summary>
public sealed class IdentityCorpusTests
{
    internal static readonly IdentitySettings Settings = new IdentitySettings { MaxMerges = 3 }
        .WithRule("anonymous_id", new IdentifierRule(3, TimeSpan.FromDays(7), 6));

    [Fact]
    public void Twenty_thousand_events_resolve_to_the_profiles_the_rules_give_when_recomputed_from_scratch()
    {
        var events = Corpus(20_000, seed: 14).Select(e =>
        {
            using var message = JsonDocument.Parse(e.Message);
            return (e.At, Ids: IdentifierExtraction.From(message.RootElement, Settings));
        }).ToList();

        var graph = new InMemoryIdentityGraph();
        var resolver = new IdentityResolver(graph, Settings);
        var dropped = new Dictionary<DropReason, int>();
        foreach (var (at, ids) in events)
        {
            var resolution = resolver.Resolve(ids, at);
            graph.Apply(resolution, at);
            foreach (var drop in resolution.Dropped)
            {
                dropped[drop.Reason] = dropped.GetValueOrDefault(drop.Reason) + 1;
            }
        }

        var (reference, referenceDropped) = BruteForceIdentity.Compute(events, Settings);

        Assert.Equal(Canonical(reference), Canonical(graph.Profiles.Select(p => p.Identifiers.Select(m => m.Identifier).ToHashSet())));
        Assert.Equal(referenceDropped.OrderBy(d => d.Key), dropped.OrderBy(d => d.Key));
        // The corpus reaches every rule it is meant to.
        Assert.All([DropReason.ValueLimitExceeded, DropReason.ValueTimeLimitExceeded, DropReason.ProfileMergeLimitExceeded], reason => Assert.True(dropped.GetValueOrDefault(reason) > 0, $"no identifier was dropped for {reason}"));
    }

    internal static List<string> Canonical(IEnumerable<HashSet<Identifier>> profiles) =>
        [.. profiles.Select(p => string.Join(" ", p.Select(i => i.ToString()).Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal)];

    /// <summary>Events two minutes apart (four weeks in all) from 2,500 people, some on one another's devices.</summary>
    internal static IEnumerable<(long At, string Message)> Corpus(int count, int seed)
    {
        var random = new Random(seed);
        const int People = 2_500;
        var start = DateTimeOffset.Parse("2026-11-01T00:00:00Z", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            var person = random.Next(People);
            var devices = person % 50 == 0 ? 8 : 1 + person % 3;
            var owner = random.NextDouble() < 0.03 ? (person + 1) % People : person;
            var anonymousId = random.NextDouble() switch
            {
                < 0.01 => "anonymous",
                < 0.02 => "0000",
                _ => $"device-{owner}-{random.Next(devices)}",
            };
            var message = new JsonObject
            {
                ["type"] = "track",
                ["anonymousId"] = anonymousId,
                ["timestamp"] = DateTimeOffset.FromUnixTimeMilliseconds(start - random.Next(86_400_000)).ToString("O", CultureInfo.InvariantCulture),
            };
            if (random.NextDouble() < 0.35)
            {
                message["userId"] = $"user-{person}";
            }

            if (random.NextDouble() < 0.15)
            {
                message["type"] = "identify";
                message["traits"] = new JsonObject { ["email"] = random.NextDouble() < 0.1 ? "Team@Example.com" : $" P{person}@example.com" };
            }

            yield return (start + i * 120_000L, message.ToJsonString());
        }
    }
}
