using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Sluice.Storage.Sqlite;

/// <summary>
/// A prepared statement driven through SQLite's own API, for statements run many times in a row: the
/// ingest writer's per-message statements, the router's delivery rows and a profiles step's writes. Microsoft.Data.Sqlite creates a
/// reader and re-binds every parameter by name on each execution; measured here, the direct calls run
/// the de-duplication upsert 2.3× faster (360k against 155k rows/s).
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    private const int StackLimit = 512;

    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;

    /// <summary>The indexes of <c>$1</c>… as <see cref="BindNumbered"/> found them.</summary>
    private readonly List<int> _numbered = [];

    public SqliteStatement(SqliteConnection connection, string sql)
    {
        _database = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_database, sql, out _statement, out var rest));
        if (!string.IsNullOrWhiteSpace(rest))
        {
            // SQLite prepares the first statement of a text and returns the rest: it would never run.
            _statement.Dispose();
            throw new ArgumentException("a prepared statement is one statement; this text has more after the first", nameof(sql));
        }
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <summary>Binds a number that may be absent, NULL when it is (without boxing it, as <see cref="Bind(int, object?)"/> would).</summary>
    public void Bind(int index, long? value) => Check(value is { } number ? raw.sqlite3_bind_int64(_statement, index, number) : raw.sqlite3_bind_null(_statement, index));

    /// <summary>The index of the parameter written <paramref name="name"/> (<c>$1</c>…), 0 when the statement has none of that name.</summary>
    public int IndexOf(string name) => raw.sqlite3_bind_parameter_index(_statement, name);

    /// <summary>
    /// Binds each of <paramref name="values"/> to <c>$1</c>, <c>$2</c>… as a command binds them by name: one the
    /// statement does not use is left out. Each name is looked up once, at the first run that binds it.
    /// </summary>
    public void BindNumbered(IReadOnlyList<object?> values)
    {
        while (_numbered.Count < values.Count)
        {
            _numbered.Add(IndexOf($"${_numbered.Count + 1}"));
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (_numbered[i] > 0)
            {
                Bind(_numbered[i], values[i]);
            }
        }
    }

    /// <summary>Binds a value as Microsoft.Data.Sqlite would: null as NULL, text, integers, reals, blobs.</summary>
    public void Bind(int index, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                Check(raw.sqlite3_bind_null(_statement, index));
                break;
            case string text:
                Bind(index, text);
                break;
            case long number:
                Bind(index, number);
                break;
            case int number:
                Bind(index, number);
                break;
            case bool flag:
                Bind(index, flag ? 1L : 0L);
                break;
            case double real:
                Check(raw.sqlite3_bind_double(_statement, index, real));
                break;
            case byte[] blob:
                Bind(index, blob.AsSpan());
                break;
            case Utf8Text utf8:
                Check(raw.sqlite3_bind_text(_statement, index, utf8.Bytes));
                break;
            default:
                throw new ArgumentException($"a {value.GetType().Name} is not a value a statement takes", nameof(value));
        }
    }

    public void Bind(int index, ReadOnlySpan<byte> blob) => Check(raw.sqlite3_bind_blob(_statement, index, blob));

    public void Bind(int index, string? text)
    {
        if (text is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return;
        }

        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(text, buffer);
            Check(raw.sqlite3_bind_text(_statement, index, buffer[..written]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Runs a statement; returns how many rows it changed. A write with RETURNING makes all its changes at
    /// the first step, so rows it returns are passed over.
    /// </summary>
    public int Execute()
    {
        var result = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE)
        {
            Check(result);
        }

        return raw.sqlite3_changes(_database);
    }

    /// <summary>
    /// Steps a query to its next row: true with a row to read by <see cref="Text"/> and <see cref="Int64"/>, false
    /// at the end, where the statement is reset and may be bound and run again.
    /// </summary>
    public bool Next()
    {
        var result = raw.sqlite3_step(_statement);
        if (result == raw.SQLITE_ROW)
        {
            return true;
        }

        raw.sqlite3_reset(_statement);
        Check(result);
        return false;
    }

    /// <summary>Ends a query before its last row, so that it may be bound and run again.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    /// <summary>The current row's column as text, null where it is NULL.</summary>
    public string? Text(int column) => IsNull(column) ? null : raw.sqlite3_column_text(_statement, column).utf8_to_string();

    /// <summary>The current row's column as an integer (0 where it is NULL).</summary>
    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    /// <summary>Whether the current row's column is NULL.</summary>
    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    /// <summary>The current row's column as text in UTF-8, as the file holds it (no string made), null where it is NULL.</summary>
    public byte[]? Utf8(int column) => IsNull(column) ? null : raw.sqlite3_column_blob(_statement, column).ToArray();

    public void Dispose() => _statement.Dispose();

    private void Check(int result)
    {
        if (result is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            SqliteException.ThrowExceptionForRC(result, _database);
        }
    }
}
