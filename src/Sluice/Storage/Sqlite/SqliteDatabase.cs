using Microsoft.Data.Sqlite;

namespace Sluice.Storage.Sqlite;

/// <summary>
/// The embedded store's files: opens connections with the pragmas durability needs and migrates the schema.
/// <c>sluice.db</c> holds the log, deliveries, the workspace and everything else; <c>profiles.db</c> beside
/// it holds the profile store (<see cref="ProfilesFile"/>), so that a profiles step writes with a writer
/// of its own and ingest's group commits never wait for it (SQLite has one writer per file).
/// </summary>
internal sealed class SqliteDatabase
{
    private const string FileName = "sluice.db";

    public SqliteDatabase(string directory, SqliteDurability durability)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        ProfilesPath = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), ProfilesFile.FileName);
        KeepPrivate(directory, Path);
        KeepPrivate(directory, ProfilesPath);
        Durability = durability;
        ConnectionString = ConnectionStringOf(Path);
        ProfilesConnectionString = ConnectionStringOf(ProfilesPath);
        using (var connection = Open())
        {
            SqliteSchema.Migrate(connection);
        }

        using var profiles = OpenProfiles();
        ProfilesFile.Migrate(profiles);
    }

    public string Path { get; }

    /// <summary>The profile store's file (<see cref="ProfilesFile"/>).</summary>
    public string ProfilesPath { get; }

    private string ProfilesConnectionString { get; }

    private static string ConnectionStringOf(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public SqliteDurability Durability { get; }

    private string ConnectionString { get; }

    /// <summary>
    /// A folder beside the database files, the owner's alone as the data folder is, with the files already
    /// in it: the keys that encrypt destinations' settings live there. The library that writes them gives a
    /// new key file the process's default mode; the folder keeps it from other users, and the next start
    /// makes the file the owner's alone too.
    /// </summary>
    public DirectoryInfo PrivateFolder(string name)
    {
        var folder = OwnersFolder(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, name));
        if (!OperatingSystem.IsWindows())
        {
            foreach (var file in folder.EnumerateFiles())
            {
                File.SetUnixFileMode(file.FullName, OwnerOnlyFile);
            }
        }

        return folder;
    }

    /// <summary>Makes the folder (or, when it exists, sets it) readable by the server's user alone.</summary>
    private static DirectoryInfo OwnersFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }

        var folder = Directory.CreateDirectory(path, OwnerOnlyFolder);
        File.SetUnixFileMode(path, OwnerOnlyFolder);
        return folder;
    }

    public SqliteConnection Open() => Open(Durability);

    /// <summary>
    /// A connection whose commits wait for the disk as <paramref name="durability"/> says: less than the
    /// store's own for work that is done again after a power cut (a profiles step). The pool hands the handle
    /// out again, and the next open of it sets the durability asked for then.
    /// </summary>
    public SqliteConnection Open(SqliteDurability durability) => Open(ConnectionString, durability, attachStore: null);

    /// <summary>
    /// A connection to the profile store: <c>profiles.db</c> as <c>main</c>, <c>sluice.db</c> attached as
    /// <c>sluice</c> (<see cref="ProfilesFile.StoreSchema"/>), so an unqualified name finds a table in either (the profile store's first). A
    /// transaction on it must begin deferred (<see cref="SqliteConnection.BeginTransaction(bool)"/>): BEGIN
    /// IMMEDIATE would take the write lock of both files, and ingest would wait for the profiles step again.
    /// </summary>
    public SqliteConnection OpenProfiles(SqliteDurability durability) => Open(ProfilesConnectionString, durability, attachStore: Path);

    /// <inheritdoc cref="OpenProfiles(SqliteDurability)"/>
    public SqliteConnection OpenProfiles() => OpenProfiles(Durability);

    private static SqliteConnection Open(string connectionString, SqliteDurability durability, string? attachStore)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        // The pragmas hold for the handle's life, and the pool hands the same handle out again: set them on
        // a new handle only, and on a reused one the durability alone when it differs. Run at every open,
        // their statements were parsed again at every store call.
        if (Configured.TryGetValue(connection.Handle!, out var set))
        {
            if (set is not SqliteDurability current || current != durability)
            {
                Execute(connection, $"PRAGMA synchronous={Synchronous(durability)};{(attachStore is null ? "" : $" PRAGMA {ProfilesFile.StoreSchema}.synchronous={Synchronous(durability)};")}");
                Configured.AddOrUpdate(connection.Handle!, durability);
            }

            return connection;
        }

        // WAL lets the debugger read while the writer commits. FULL syncs the WAL on every commit,
        // so an acknowledged event survives power loss as well as kill -9; NORMAL survives kill -9 only.
        // secure_delete=FAST zeroes what a delete or an update frees inside the pages it writes anyway. Pages
        // freed whole (the free list) keep their bytes until reused; a deletion regulation overwrites every
        // one of them when it ends (Privacy/Erasure/StoreErasure.Scrub). ON would zero them as they are freed,
        // at every delivery's index moves: 0.86x deliveries/s (BENCHMARKS.md).
        if (attachStore is not null)
        {
            // Before the first write: a file made earlier keeps the page size it was made with.
            Execute(connection, $"PRAGMA main.page_size={ProfilesPageBytes};");
        }

        Execute(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={Synchronous(durability)}; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA secure_delete=FAST; PRAGMA wal_autocheckpoint={CheckpointPages};");
        if (attachStore is not null)
        {
            using var attach = connection.CreateCommand();
            attach.CommandText = $"ATTACH DATABASE $path AS {ProfilesFile.StoreSchema}";
            attach.Parameters.AddWithValue("$path", attachStore);
            attach.ExecuteNonQuery();
            Execute(connection, $"PRAGMA {ProfilesFile.StoreSchema}.synchronous={Synchronous(durability)}; PRAGMA {ProfilesFile.StoreSchema}.secure_delete=FAST;");
            // A connection's checkpoint threshold holds for each file it commits to: here profiles.db's (a step
            // writes sluice.db only in a deletion, and sluice.db's own connections checkpoint it at theirs).
            var pageBytes = (long)ScalarOf(connection, "PRAGMA main.page_size")!;
            Execute(connection, $"PRAGMA main.cache_size=-{ProfilesCacheKiB}; PRAGMA wal_autocheckpoint={ProfilesCheckpointBytes / pageBytes};");
        }

        Configured.AddOrUpdate(connection.Handle!, durability);
        return connection;
    }

    /// <summary>
    /// The page cache of a connection to the profile store, in KiB (SQLite's default is 2 MB). A profiles step
    /// touches a page of each random-key index for nearly every event; with the cache the pages of the last
    /// steps stay in the process instead of being read from the OS again (the file's one writer is this
    /// store's, so its cache stays valid from step to step). About 1.6x the profiles consumer at 100,000 events
    /// a round, 16 MB about 1.4x, mmap none (BENCHMARKS.md, Identity's seventh measurement). The pool keeps a
    /// handle, and its cache, between uses; pages are taken as they are read, so a handle used only for an
    /// API read holds little.
    /// </summary>
    internal const int ProfilesCacheKiB = 64 * 1024;

    /// <summary>
    /// What profiles.db's write-ahead log grows to before a commit copies it into the file, 64 MB (sluice.db's
    /// is <see cref="CheckpointPages"/> of 4 KB, 16 MB): a profiles step dirties thousands of pages, most of
    /// them again in the next step, and a checkpoint every few steps copies each once for them all (1.06x the
    /// profiles consumer; twice as much, no more). The pause it costs falls in a profiles step, not in an
    /// ingest commit (a file of its own).
    /// </summary>
    internal const long ProfilesCheckpointBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The page size of a new profiles.db (SQLite's default is 4 KB): a step's random-key rows touch fewer
    /// pages, of fewer levels, for the same bytes of cache and log; 1.15-1.2x the profiles consumer, 32 KB
    /// and 64 KB no more (BENCHMARKS.md, Identity's seventh measurement). A file made earlier keeps 4 KB
    /// (docs/configuration.md says how to change it).
    /// </summary>
    internal const int ProfilesPageBytes = 16 * 1024;

    private static string Synchronous(SqliteDurability durability) => durability == SqliteDurability.Full ? "FULL" : "NORMAL";

    /// <summary>
    /// Pages (4 KB) the write-ahead log grows to before a commit copies it into the database (SQLite's
    /// default is 1,000). A page that commit after commit rewrites (a delivery's index leaf, a profile's row)
    /// is copied once per checkpoint, so fewer, larger checkpoints copy less: 1.08–1.12x ingest and
    /// deliveries end to end, 1.18x the profiles consumer with and without Engage; the price is a larger
    /// pause in the commit that runs one, seen in p99 latency at low rates (BENCHMARKS.md). 10,000 gained
    /// no more throughput and lengthened the pauses again.
    /// </summary>
    internal const int CheckpointPages = 4_000;

    /// <summary>
    /// The handles whose pragmas are set, with the durability they were set for (the pool is shared by
    /// every <see cref="SqliteDatabase"/> of the same file in the process); an entry goes with its handle.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();

    /// <summary>
    /// The data folder holds every event (personal data), write keys and delivery answers: only the
    /// server's user may read it, as PostgreSQL does with its data folder. SQLite gives the -wal and
    /// -shm files the database file's mode, so making the database 0600 before SQLite opens it covers them.
    /// </summary>
    private static void KeepPrivate(string directory, string database)
    {
        OwnersFolder(directory);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!File.Exists(database))
        {
            using (File.Create(database))
            {
            }
        }

        foreach (var file in new[] { database, database + "-wal", database + "-shm" }.Where(File.Exists))
        {
            File.SetUnixFileMode(file, OwnerOnlyFile);
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? ScalarOf(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

/// <summary>How much a commit waits for the disk.</summary>
internal enum SqliteDurability
{
    /// <summary>fsync on every commit: survives process crashes and power loss (default).</summary>
    Full,

    /// <summary>No fsync on commit (WAL): survives process crashes, may lose the last commits on power loss.</summary>
    Normal,
}
