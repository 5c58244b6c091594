using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Engage.Store;
using Sluice.Workspace;

namespace Sluice.Engage.Computation;

/// <summary>
/// How a set of definitions lays out a profile's stored state: each aggregate (by its slot, its index in the
/// definitions' aggregates) under the name of its registration (<see cref="EngageAggregateRow.Name"/>), and
/// each definition's value (by its slot: computed traits, then audiences in the order they are computed)
/// under its key. An aggregate registered again (after a time no definition used it) has a new name, so what
/// states hold of its earlier registration is left out instead of counted with the events computed anew.
/// A key is the aggregate's query text (40–100 characters), and written in full the keys were most of a
/// state's bytes: a profile's row passed SQLite's ~1 KB in-page limit and spilled into an overflow page, read
/// and written again at every step that touched the profile. A name is 8 characters: 48 bits, random for a
/// registration, of SHA-256 of the key for one made before names were stored (whose states may also hold it
/// under its key in full, as written before that): a collision among a workspace's aggregates is about as
/// likely as none at all matters (one in 10^10 for a hundred).
/// </summary>
internal sealed class StateLayout
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<EngageDefinitions, StateLayout> LastOfDefinitions = [];

    /// <summary>By slot: the name states keep the aggregate under (null: not registered, nothing stored is its).</summary>
    private readonly string?[] _names;
    private readonly Dictionary<string, int> _aggregateSlots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _definitionSlots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _aggregateBySpan;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _definitionBySpan;

    private StateLayout(EngageDefinitions definitions, string?[] names, IReadOnlyDictionary<string, EngageAggregateRow> registry)
    {
        Definitions = definitions;
        _names = names;
        for (var slot = 0; slot < _names.Length; slot++)
        {
            if (_names[slot] is not { } name)
            {
                continue;
            }

            _aggregateSlots[name] = slot;
            if (registry[definitions.Aggregates[slot].Key].Name is null)
            {
                _aggregateSlots[definitions.Aggregates[slot].Key] = slot;
            }
        }

        Keys = [.. definitions.Traits.Select(t => t.Key), .. definitions.Audiences.Select(a => a.Key)];
        for (var slot = 0; slot < Keys.Count; slot++)
        {
            _definitionSlots[Keys[slot]] = slot;
        }

        _aggregateBySpan = _aggregateSlots.GetAlternateLookup<ReadOnlySpan<char>>();
        _definitionBySpan = _definitionSlots.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// The layout of <paramref name="definitions"/>' states with the aggregates registered as
    /// <paramref name="registry"/> has them; the last one made for a set of definitions is made once.
    /// </summary>
    public static StateLayout For(EngageDefinitions definitions, IReadOnlyDictionary<string, EngageAggregateRow> registry)
    {
        var names = new string?[definitions.Aggregates.Count];
        for (var slot = 0; slot < names.Length; slot++)
        {
            var key = definitions.Aggregates[slot].Key;
            names[slot] = registry.TryGetValue(key, out var registered) ? registered.Name ?? NameOf(key) : null;
        }

        if (LastOfDefinitions.TryGetValue(definitions, out var last) && last._names.AsSpan().SequenceEqual(names))
        {
            return last;
        }

        var layout = new StateLayout(definitions, names, registry);
        LastOfDefinitions.AddOrUpdate(definitions, layout);
        return layout;
    }

    /// <summary>A name for a new registration of an aggregate.</summary>
    public static string NewName() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(6));

    public EngageDefinitions Definitions { get; }

    /// <summary>The definitions' keys by slot: computed traits first, then audiences in the order they are computed.</summary>
    public IReadOnlyList<string> Keys { get; }

    public int Aggregates => _names.Length;

    /// <summary>The stored name of the aggregate in <paramref name="slot"/>; a step registers every aggregate it writes first.</summary>
    public string Name(int slot) => _names[slot] ?? throw new InvalidOperationException($"the aggregate {Definitions.Aggregates[slot].Key} is not registered: its state has no name to be stored under");

    /// <summary>The slot of a definition's key (-1: none of these definitions).</summary>
    public int DefinitionSlot(string key) => _definitionSlots.GetValueOrDefault(key, -1);

    /// <summary>The slot of the aggregate whose stored name (or key, as stored before) is the property name the reader is on (-1: one these definitions do not use).</summary>
    public int AggregateSlot(ref Utf8JsonReader reader) => Slot(ref reader, _aggregateBySpan);

    /// <summary>The slot of the definition whose key is the property name the reader is on (-1: none of these definitions).</summary>
    public int DefinitionSlot(ref Utf8JsonReader reader) => Slot(ref reader, _definitionBySpan);

    /// <summary>The name of a registration made before names were stored.</summary>
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
