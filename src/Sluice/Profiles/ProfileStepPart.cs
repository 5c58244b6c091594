using System.Data.Common;
using System.Text.Json;

namespace Sluice.Profiles;

/// <summary>Reads of the profile store's database by another feature (Engage), one statement with <c>$1</c>… parameters.</summary>
internal interface IProfileQueries
{
    /// <summary>Runs <paramref name="sql"/> with <paramref name="values"/> as <c>$1</c>…, and reads its rows.</summary>
    T Query<T>(string sql, Func<DbDataReader, T> read, params object[] values);
}

/// <summary>
/// Point reads where a statement is a call into the process (SQLite): one statement, prepared once, run
/// for each set of parameters through the database's own API. A statement of a hundred values binds each by
/// name, and read many times a step, that cost more than the lookups. Where a statement is a round trip
/// (PostgreSQL), reads stay batched.
/// </summary>
internal interface IPointReads
{
    /// <summary>Runs <paramref name="sql"/> with each of <paramref name="parameterSets"/> as <c>$1</c>…, handing each row to <paramref name="read"/> with the index of its set.</summary>
    void ForEachRow(string sql, IEnumerable<object?[]> parameterSets, Action<int, IStoredRow> read);
}

/// <summary>A row as a point read gives it, valid only inside the call it is handed to.</summary>
internal interface IStoredRow
{
    bool IsNull(int column);

    string? Text(int column);

    /// <summary>The column (an integer; 0 where NULL).</summary>
    long Int64(int column);

    /// <summary>A text column in UTF-8, as stored, without making a string (null where NULL).</summary>
    byte[]? Utf8(int column);
}

/// <summary>
/// A part of each profiles step that a feature built on profiles adds (Engage computes there): told of
/// the changes identity resolution makes, event by event, it adds its own, which commit in the same
/// transaction.
/// </summary>
internal interface IProfileStepPart
{
    /// <summary>
    /// Its part of a step on <paramref name="reader"/>, or null when it has nothing to do.
    /// <paramref name="recomputation"/>: the step recomputes profiles (an unmerge, a change of settings),
    /// which the part may refuse by throwing <see cref="Recompute.RecomputationRefusedException"/>.
    /// </summary>
    IProfileStepObserver? Begin(IProfileGraphReader reader, bool recomputation);
}

/// <summary>A part's work in one step.</summary>
internal interface IProfileStepObserver
{
    /// <summary>
    /// The changes from <paramref name="from"/> on, made by <paramref name="message"/> (default: a change with no
    /// message). <paramref name="stored"/>: the message's bytes in its log row, which the step holds to its end,
    /// for a part that takes the message later (empty: not at hand, the message is taken now or not at all).
    /// </summary>
    void Observe(IReadOnlyList<ProfileChange> changes, int from, JsonElement message, ReadOnlyMemory<byte> stored = default);

    /// <summary>Its own changes, once the step's events are resolved (<paramref name="identifierTypesOf"/>: a profile's identifier types, null when it is no profile now).</summary>
    IEnumerable<ProfileChange> Finish(Func<string, IReadOnlySet<string>?> identifierTypesOf);
}

/// <summary>A change another feature makes in a profiles step, which says itself how it is written.</summary>
internal abstract record WrittenChange : ProfileChange
{
    /// <summary>Its statements, with <c>$1</c>… parameters (text, long, int or null).</summary>
    public abstract IEnumerable<(string Sql, object?[] Values)> Statements();
}
