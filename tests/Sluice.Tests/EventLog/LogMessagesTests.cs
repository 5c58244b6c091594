using System.Text;

namespace Sluice.EventLog;

/// <summary>A deletion erases messages inside a row shared with other users' messages: each other message keeps its bytes and its index.</summary>
public sealed class LogMessagesTests
{
    [Fact]
    public void Erasing_a_message_leaves_null_at_its_index_and_every_other_message_byte_for_byte()
    {
        var row = Encoding.UTF8.GetBytes("""[{"userId":"a","n":1},{"userId":"gone","text":"é \"q\""},{"userId":"b","x":[1,{"y":null}]}]""");

        var erased = LogMessages.Erase(row, new HashSet<int> { 1 });

        Assert.Equal("""[{"userId":"a","n":1},null,{"userId":"b","x":[1,{"y":null}]}]""", Encoding.UTF8.GetString(erased));
        var messages = LogMessages.Split(erased);
        Assert.Equal(3, messages.Count);
        Assert.True(LogMessages.IsErased(messages[1]));
        Assert.False(LogMessages.IsErased(messages[2]));
        Assert.Equal(LogMessages.Split(row)[2], messages[2]);
    }

    [Fact]
    public void Erasing_again_changes_nothing()
    {
        var once = LogMessages.Erase(Encoding.UTF8.GetBytes("""[{"userId":"gone"},{"userId":"kept"}]"""), new HashSet<int> { 0 });

        Assert.Equal(once, LogMessages.Erase(once, new HashSet<int> { 0 }));
    }
}
