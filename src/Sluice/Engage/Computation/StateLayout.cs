using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// How a set of definitions lays out a profile's stored state: each aggregate (by its slot, its index in the
/// definitions' aggregates) under a name of 8 characters, a hash of its key, and each definition's value (by
/// its slot: computed traits, then audiences in the order they are computed) under its key.
/// A key is the aggregate's query text (40–100 characters), and written in full the keys were most of a
/// state's bytes: a profile's row passed SQLite's ~1 KB in-page limit and spilled into an overflow page, read
/// and written again at every step that touched the profile. 48 bits of SHA-256 make a collision among a
/// workspace's aggregates about as likely as none at all matters (one in 10^10 for a hundred). States
/// written before (names in full) are read too.
/// </summary>
internal sealed class StateLayout
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<EngageDefinitions, StateLayout> OfDefinitions = [];

    private readonly string[] _names;
    private readonly Dictionary<string, int> _aggregateSlots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _definitionSlots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _aggregateBySpan;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _definitionBySpan;

    private StateLayout(EngageDefinitions definitions)
    {
        Definitions = definitions;
        _names = [.. definitions.Aggregates.Select(a => NameOf(a.Key))];
        for (var slot = 0; slot < _names.Length; slot++)
        {
            _aggregateSlots[_names[slot]] = slot;
            _aggregateSlots[definitions.Aggregates[slot].Key] = slot;
        }

        Keys = [.. definitions.Traits.Select(t => t.Key), .. definitions.Audiences.Select(a => a.Key)];
        for (var slot = 0; slot < Keys.Count; slot++)
        {
            _definitionSlots[Keys[slot]] = slot;
        }

        _aggregateBySpan = _aggregateSlots.GetAlternateLookup<ReadOnlySpan<char>>();
        _definitionBySpan = _definitionSlots.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The layout of <paramref name="definitions"/>' states, made once per set of definitions.</summary>
    public static StateLayout For(EngageDefinitions definitions) => OfDefinitions.GetValue(definitions, static d => new StateLayout(d));

    public EngageDefinitions Definitions { get; }

    /// <summary>The definitions' keys by slot: computed traits first, then audiences in the order they are computed.</summary>
    public IReadOnlyList<string> Keys { get; }

    public int Aggregates => _names.Length;

    /// <summary>The stored name of the aggregate in <paramref name="slot"/>.</summary>
    public string Name(int slot) => _names[slot];

    /// <summary>The slot of a definition's key (-1: none of these definitions).</summary>
    public int DefinitionSlot(string key) => _definitionSlots.GetValueOrDefault(key, -1);

    /// <summary>The slot of the aggregate whose stored name (or key, as stored before) is the property name the reader is on (-1: one these definitions do not use).</summary>
    public int AggregateSlot(ref Utf8JsonReader reader) => Slot(ref reader, _aggregateBySpan);

    /// <summary>The slot of the definition whose key is the property name the reader is on (-1: none of these definitions).</summary>
    public int DefinitionSlot(ref Utf8JsonReader reader) => Slot(ref reader, _definitionBySpan);

    public static string NameOf(string aggregateKey)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(aggregateKey), hash);
        return System.Buffers.Text.Base64Url.EncodeToString(hash[..6]);
    }

    private static int Slot(ref Utf8JsonReader reader, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> slots)
    {
        // A name is read without making it a string: names and keys are short, and a state has dozens.
        const int Short = 256;
        if (reader.HasValueSequence || reader.ValueSpan.Length > Short)
        {
            return slots.TryGetValue(reader.GetString(), out var found) ? found : -1;
        }

        Span<char> name = stackalloc char[Short];
        var length = reader.CopyString(name);
        return slots.TryGetValue(name[..length], out var slot) ? slot : -1;
    }
}
