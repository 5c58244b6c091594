using System.Text;

namespace Sluice.Storage;

/// <summary>
/// A text value held as UTF-8: SQLite binds the bytes as text as they are, PostgreSQL's driver takes a string,
/// made only when it is bound. A profiles step holds what it writes until its end, and each profile's Engage
/// state held as a string was twice its bytes.
/// </summary>
internal sealed record Utf8Text(byte[] Bytes)
{
    public override string ToString() => Encoding.UTF8.GetString(Bytes);
}
