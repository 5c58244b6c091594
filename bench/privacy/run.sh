#!/usr/bin/env bash
# A deletion regulation over a store of stored events and deliveries, on SQLite: how long Sluice's own part
# takes (the log's scan, the deliveries' scan). See bench/README.md.
#
#   bench/privacy/run.sh [EVENTS] [DELIVERIES]   # 1,000,000 events, 200,000 deliveries; about a minute
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build "$BENCH_DIR/Sluice.Bench.Privacy.csproj" -c Release --nologo -v quiet >/dev/null
dotnet "$BENCH_DIR/bin/Release/net10.0/Sluice.Bench.Privacy.dll" "$@"
