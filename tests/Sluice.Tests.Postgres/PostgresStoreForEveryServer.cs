using System.Runtime.CompilerServices;
using Sluice.Infrastructure;

namespace Sluice;

/// <summary>Every server this assembly starts runs on PostgreSQL, unless its test chose a store.</summary>
internal static class PostgresStoreForEveryServer
{
    [ModuleInitializer]
    internal static void Choose() => TestStore.Postgres = true;
}
