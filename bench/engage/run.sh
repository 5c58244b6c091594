#!/usr/bin/env bash
# Engage: computed traits and audiences beside identity resolution, a new audience over stored events,
# and previews, on SQLite. See bench/README.md.
#
#   bench/engage/run.sh [EVENTS] [STORED]   # 100,000 events a round, 1,000,000 stored; a few minutes
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build "$BENCH_DIR/Sluice.Bench.Engage.csproj" -c Release --nologo -v quiet >/dev/null
dotnet "$BENCH_DIR/bin/Release/net10.0/Sluice.Bench.Engage.dll" "$@"
