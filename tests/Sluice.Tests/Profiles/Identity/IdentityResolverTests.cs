using System.Text.Json;
using Sluice.Workspace;

namespace Sluice.Profiles.Identity;

/// <summary>Segment's documented examples of identity resolution, and the rules around them.</summary>
public sealed class IdentityResolverTests
{
    private const long Day = 86_400_000;
    private readonly InMemoryIdentityGraph _graph = new();

    private static Identifier UserId(string value) => new("user_id", value);

    private static Identifier Email(string value) => new("email", value);

    private static Identifier AnonymousId(string value) => new("anonymous_id", value);

    private (string? Profile, Resolution Resolution) Resolve(IdentitySettings settings, long at, params Identifier[] identifiers)
    {
        var resolution = new IdentityResolver(_graph, settings).Resolve(identifiers, at);
        return (_graph.Apply(resolution, at), resolution);
    }

    [Fact]
    public void An_email_that_would_give_a_profile_a_second_user_id_is_dropped_and_the_new_user_id_gets_a_profile_of_its_own()
    {
        // Segment's worked example: user_id 1 (#1), email 5 (#2), anonymous_id 5 (#3).
        var settings = new IdentitySettings();
        var (jane, _) = Resolve(settings, 0, UserId("abc123"), Email("jane@example.com"));

        var (other, resolution) = Resolve(settings, 1, UserId("abc456"), Email("jane@example.com"));

        Assert.NotEqual(jane, other);
        Assert.Equal([new DroppedIdentifier(Email("jane@example.com"), DropReason.ValueLimitExceeded)], resolution.Dropped);
        Assert.Equal([UserId("abc456")], _graph.ProfileOf(UserId("abc456"))!.Identifiers.Select(m => m.Identifier));
        Assert.Equal(jane, _graph.ProfileOf(Email("jane@example.com"))!.Id);
    }

    [Fact]
    public void A_device_that_signs_up_twice_as_two_users_does_not_merge_them()
    {
        // Segment's merge protection: a1 signs up as u1, logs out without a reset, signs up again as u2.
        var settings = new IdentitySettings();
        var (first, _) = Resolve(settings, 0, AnonymousId("a1"), UserId("u1"));

        var (second, resolution) = Resolve(settings, 1, UserId("u2"), AnonymousId("a1"));

        Assert.NotEqual(first, second);
        Assert.Equal([new DroppedIdentifier(AnonymousId("a1"), DropReason.ValueLimitExceeded)], resolution.Dropped);
        Assert.Equal(first, _graph.ProfileOf(AnonymousId("a1"))!.Id);
        Assert.Equal(2, _graph.ProfileCount);
    }

    [Fact]
    public void Two_anonymous_profiles_of_one_user_merge_into_the_older()
    {
        var settings = new IdentitySettings();
        var (phone, _) = Resolve(settings, 0, AnonymousId("phone"));
        var (laptop, _) = Resolve(settings, 10, AnonymousId("laptop"));
        Resolve(settings, 20, UserId("ada"), AnonymousId("laptop"));

        var (profile, resolution) = Resolve(settings, 30, UserId("ada"), AnonymousId("phone"));

        Assert.Equal(phone, profile);
        Assert.Equal([laptop], resolution.Merged.Select(m => m.Id));
        Assert.Equal(1, _graph.ProfileCount);
        Assert.Equal(
            [AnonymousId("phone"), AnonymousId("laptop"), UserId("ada")],
            _graph.ProfileOf(UserId("ada"))!.Identifiers.Select(m => m.Identifier));
    }

    [Fact]
    public void A_windowed_limit_counts_only_the_values_added_within_the_window()
    {
        var settings = new IdentitySettings().WithRule("anonymous_id", new IdentifierRule(2, TimeSpan.FromDays(7), 3));
        Resolve(settings, 0, UserId("ada"), AnonymousId("a1"));
        Resolve(settings, 1 * Day, UserId("ada"), AnonymousId("a2"));

        var (_, third) = Resolve(settings, 2 * Day, UserId("ada"), AnonymousId("a3"));
        var (_, later) = Resolve(settings, 8 * Day, UserId("ada"), AnonymousId("a4"));

        Assert.Equal([new DroppedIdentifier(AnonymousId("a3"), DropReason.ValueTimeLimitExceeded)], third.Dropped);
        Assert.Empty(later.Dropped);
        Assert.Equal(["a1", "a2", "a4"], _graph.ProfileOf(UserId("ada"))!.Identifiers.Where(m => m.Identifier.Type == "anonymous_id").Select(m => m.Identifier.Value));
    }

    [Fact]
    public void Past_the_merge_cap_an_event_resolves_to_a_profile_without_merging()
    {
        var settings = new IdentitySettings { MaxMerges = 1 };
        Resolve(settings, 0, AnonymousId("a1"));
        Resolve(settings, 1, AnonymousId("a2"));
        Resolve(settings, 2, AnonymousId("a3"));
        var (merged, _) = Resolve(settings, 3, AnonymousId("a1"), AnonymousId("a2"));

        var (profile, resolution) = Resolve(settings, 4, AnonymousId("a2"), AnonymousId("a3"));

        Assert.Equal([new DroppedIdentifier(AnonymousId("a3"), DropReason.ProfileMergeLimitExceeded)], resolution.Dropped);
        Assert.Equal(merged, profile);
        Assert.NotEqual(merged, _graph.ProfileOf(AnonymousId("a3"))!.Id);
    }

    [Fact]
    public void A_profile_over_a_limit_made_stricter_since_still_takes_events_of_its_own_identifiers()
    {
        Resolve(new IdentitySettings(), 0, AnonymousId("a1"), Email("ada@example.com"));
        Resolve(new IdentitySettings(), 1, AnonymousId("a1"), Email("ada@work.example"));
        var stricter = new IdentitySettings().WithRule("email", new IdentifierRule(1, null, 2));

        var (profile, resolution) = Resolve(stricter, 2, Email("ada@example.com"), AnonymousId("a1"));

        Assert.Empty(resolution.Dropped);
        Assert.Equal(_graph.ProfileOf(AnonymousId("a1"))!.Id, profile);
    }

    [Fact]
    public void Blocked_values_and_repeats_are_not_identifiers_and_emails_are_folded()
    {
        using var message = JsonDocument.Parse("""
            {"type":"identify","userId":"0000","anonymousId":"anonymous","groupId":"-1",
             "traits":{"email":"  Ada@Example.COM "},
             "context":{"traits":{"email":"other@example.com"},
                        "device":{"type":"ios","id":"dev-1","advertisingId":"idfa-1","adTrackingEnabled":true,"token":"push-1"},
                        "externalIds":[{"id":"cust-9","type":"crm_id","collection":"users","encoding":"none"},
                                       {"id":"x","type":"Bad_Case","collection":"users","encoding":"none"}]}}
            """);

        var identifiers = IdentifierExtraction.From(message.RootElement, new IdentitySettings());

        Assert.Equal(
            [Email("ada@example.com"), new Identifier("ios.id", "dev-1"), new Identifier("ios.idfa", "idfa-1"), new Identifier("ios.push_token", "push-1"), new Identifier("crm_id", "cust-9")],
            identifiers);
    }

    [Fact]
    public void A_value_longer_than_512_characters_is_not_an_identifier()
    {
        using var message = JsonDocument.Parse($$"""{"type":"track","userId":"{{new string('u', 513)}}","anonymousId":"{{new string('a', 512)}}"}""");

        Assert.Equal([AnonymousId(new string('a', 512))], IdentifierExtraction.From(message.RootElement, new IdentitySettings()));
    }

    [Fact]
    public void A_custom_key_is_read_from_traits_or_properties_in_either_spelling()
    {
        using var fromTraits = JsonDocument.Parse("""{"type":"identify","userId":"u","traits":{"appId":"app-7"}}""");
        using var fromProperties = JsonDocument.Parse("""{"type":"track","anonymousId":"a","properties":{"app_id":"app-8"}}""");
        var settings = new IdentitySettings { CustomKeys = ["app_id"] };

        Assert.Equal([UserId("u"), new Identifier("app_id", "app-7")], IdentifierExtraction.From(fromTraits.RootElement, settings));
        Assert.Equal([AnonymousId("a"), new Identifier("app_id", "app-8")], IdentifierExtraction.From(fromProperties.RootElement, settings));
    }
}
