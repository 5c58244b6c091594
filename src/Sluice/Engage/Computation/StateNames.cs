using System.Security.Cryptography;
using System.Text;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// The names aggregates have in a stored state: 8 characters of a hash of the aggregate's key. A key is the
/// aggregate's query text (40–100 characters), and written in full the keys were most of a state's bytes:
/// a profile's row passed SQLite's ~1 KB in-page limit and spilled into an overflow page, read and written
/// again at every step that touched the profile. 48 bits of SHA-256 make a collision among a workspace's
/// aggregates about as likely as none at all matters (one in 10^10 for a hundred). States written before
/// (names in full) are read too.
/// </summary>
internal sealed class StateNames
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<EngageDefinitions, StateNames> OfDefinitions = [];

    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

    public StateNames(IEnumerable<string> aggregateKeys)
    {
        foreach (var key in aggregateKeys)
        {
            var name = NameOf(key);
            _names[key] = name;
            _keys[name] = key;
            _keys[key] = key;
        }
    }

    /// <summary>The names of the aggregates <paramref name="definitions"/> use, made once per set of definitions.</summary>
    public static StateNames For(EngageDefinitions definitions) =>
        OfDefinitions.GetValue(definitions, static d => new StateNames(d.Aggregates.Select(a => a.Key)));

    /// <summary>The stored name of an aggregate these names were made for.</summary>
    public string Name(string aggregateKey) => _names[aggregateKey];

    /// <summary>The aggregate a stored name stands for (false: one these names were not made for).</summary>
    public bool TryGetKey(string storedName, out string aggregateKey) => _keys.TryGetValue(storedName, out aggregateKey!);

    public static string NameOf(string aggregateKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(aggregateKey), hash);
        return System.Buffers.Text.Base64Url.EncodeToString(hash[..6]);
    }
}
