using Sluice.Infrastructure;
using Sluice.Storage.Sqlite;

namespace Sluice.Storage;

/// <summary>Statements run through SQLite's own API store what Microsoft.Data.Sqlite's commands store, and refuse what they would not run.</summary>
public sealed class SqliteStatementTests
{
    [Fact]
    public void Each_kind_of_value_is_stored_as_a_command_stores_it()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Full);
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, "CREATE TABLE kinds (id INTEGER PRIMARY KEY, value)");
        object?[] values = [null, DBNull.Value, "é text", 1L << 40, 7, true, 2.5, new byte[] { 0, 1, 2 }];

        using (var statement = new SqliteStatement(connection, "INSERT INTO kinds (id, value) VALUES ($2, $1)"))
        {
            for (var i = 0; i < values.Length; i++)
            {
                statement.Bind(statement.IndexOf("$1"), values[i]);
                statement.Bind(statement.IndexOf("$2"), (long)i);
                Assert.Equal(1, statement.Execute());
            }
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT typeof(value), value FROM kinds ORDER BY id";
        using var rows = read.ExecuteReader();
        var stored = new List<(string, object)>();
        while (rows.Read())
        {
            var value = rows.GetValue(1);
            stored.Add((rows.GetString(0), value is byte[] blob ? Convert.ToHexString(blob) : value));
        }

        Assert.Equal(
            [("null", DBNull.Value), ("null", DBNull.Value), ("text", "é text"), ("integer", 1L << 40), ("integer", 7L), ("integer", 1L), ("real", 2.5), ("blob", "000102")],
            stored);
    }

    [Fact]
    public void A_number_that_may_be_absent_is_stored_as_null_when_absent_and_as_an_integer_when_present()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Full);
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, value)");
        int? absent = null;
        int? status = 503;

        using (var statement = new SqliteStatement(connection, "INSERT INTO t (id, value) VALUES (?1, ?2)"))
        {
            statement.Bind(1, 1L);
            statement.Bind(2, absent);
            statement.Execute();
            statement.Bind(1, 2L);
            statement.Bind(2, status);
            statement.Execute();
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT group_concat(typeof(value) || ':' || coalesce(value, ''), ',') FROM (SELECT value FROM t ORDER BY id)";
        Assert.Equal("null:,integer:503", read.ExecuteScalar());
    }

    [Fact]
    public void A_text_of_two_statements_is_refused_rather_than_half_run()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Full);
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, "CREATE TABLE t (x)");

        var refused = Assert.Throws<ArgumentException>(() => new SqliteStatement(connection, "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"));

        Assert.Contains("one statement", refused.Message, StringComparison.Ordinal);
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM t";
        Assert.Equal(0L, count.ExecuteScalar());
    }

    [Fact]
    public void An_update_returning_rows_makes_every_change_and_its_rows_are_passed_over()
    {
        var database = new SqliteDatabase(Path.Combine(TestPaths.NewTemporaryDirectory(), "data"), SqliteDurability.Full);
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)");

        using (var statement = new SqliteStatement(connection, "UPDATE t SET x = x + 10 RETURNING x"))
        {
            Assert.Equal(3, statement.Execute());
        }

        using var sum = connection.CreateCommand();
        sum.CommandText = "SELECT sum(x) FROM t";
        Assert.Equal(36L, sum.ExecuteScalar());
    }
}
