#!/usr/bin/env bash
# What one row costs SQLite on this machine (BENCHMARKS.md, identity resolution): 100,000 rows into a
# WITHOUT ROWID table keyed like profile_identifiers, three rounds of each way. See bench/README.md.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build "$BENCH_DIR/Sluice.Bench.Sqlite.csproj" -c Release --nologo -v quiet >/dev/null
dotnet "$BENCH_DIR/bin/Release/net10.0/Sluice.Bench.Sqlite.dll" "$@"
