#!/usr/bin/env bash
# Identity resolution alone: the profiles consumer's throughput on SQLite, one thread. See bench/README.md.
#
#   bench/profiles/run.sh [EVENTS]     # 100,000 a round by default; about a minute
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build "$BENCH_DIR/Sluice.Bench.Profiles.csproj" -c Release --nologo -v quiet >/dev/null
dotnet "$BENCH_DIR/bin/Release/net10.0/Sluice.Bench.Profiles.dll" "$@"
