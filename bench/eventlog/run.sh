#!/usr/bin/env bash
# The event log's writer alone: what a row per (source, partition) costs against fewer, larger rows.
# See BENCHMARKS.md ("Re-run after the event log of issue 12").
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build "$BENCH_DIR/Sluice.Bench.EventLog.csproj" -c Release --nologo -v quiet >/dev/null
dotnet "$BENCH_DIR/bin/Release/net10.0/Sluice.Bench.EventLog.dll"
