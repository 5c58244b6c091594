using System.Text;

namespace Sluice.Delivery;

/// <summary>How much of a destination's answer the delivery log keeps.</summary>
public sealed class DestinationHttpTests
{
    [Fact]
    public async Task An_answer_cut_at_the_limit_never_keeps_half_of_a_surrogate_pair()
    {
        // 😀 is two UTF-16 characters; the limit falls between them.
        using var content = new StringContent("abcd😀 and more", Encoding.UTF8);

        var kept = await DestinationHttp.ReadCappedAsync(content, maxCharacters: 5, CancellationToken.None);

        Assert.Equal("abcd…", kept);
    }

    [Fact]
    public async Task An_answer_cut_after_a_whole_pair_keeps_it()
    {
        using var content = new StringContent("abc😀 and more", Encoding.UTF8);

        var kept = await DestinationHttp.ReadCappedAsync(content, maxCharacters: 5, CancellationToken.None);

        Assert.Equal("abc😀…", kept);
    }

    [Fact]
    public async Task A_short_answer_is_kept_whole()
    {
        using var content = new StringContent("", Encoding.UTF8);

        Assert.Equal("", await DestinationHttp.ReadCappedAsync(content, maxCharacters: 5, CancellationToken.None));
    }
}
