#!/usr/bin/env bash
# The .NET client's benchmarks: BenchmarkDotNet for the cost and allocation of a call, then one
# thread sending to a running `sluice serve` end to end. See bench/README.md.
#
#   bench/client/run.sh
#
# Environment:
#   MESSAGES=200000   messages in the end-to-end run
#   BDN_JOB=short     BenchmarkDotNet job (short | medium | default)
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/../.." && pwd)"
MESSAGES="${MESSAGES:-200000}"
BDN_JOB="${BDN_JOB:-short}"
RESULTS_DIR="$REPO/bench/results"
WORK="$(mktemp -d)"
mkdir -p "$RESULTS_DIR"

dotnet publish "$REPO/src/Sluice/Sluice.csproj" -c Release -o "$REPO/bench/.build/sluice" --nologo -v quiet >/dev/null
dotnet build "$BENCH_DIR/Sluice.Bench.Client.csproj" -c Release --nologo -v quiet >/dev/null
BENCH="$BENCH_DIR/bin/Release/net10.0/Sluice.Bench.Client.dll"

(cd "$WORK" && dotnet "$BENCH" --filter '*' --job "$BDN_JOB" --inProcess --artifacts "$WORK/bdn" > "$WORK/bdn.log" 2>&1) || { tail -40 "$WORK/bdn.log"; exit 1; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
printf 'sources:\n  - {id: bench, writeKey: wk_bench}\n' > "$WORK/sluice.yaml"
"$REPO/bench/.build/sluice/sluice" serve --urls "http://127.0.0.1:$port" --data "$WORK/data" --config "$WORK/sluice.yaml" > "$WORK/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
dotnet "$BENCH" --e2e "http://127.0.0.1:$port" wk_bench 20000 >/dev/null   # warm-up
e2e="$(dotnet "$BENCH" --e2e "http://127.0.0.1:$port" wk_bench "$MESSAGES")"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
{
    echo "# Client benchmark $stamp"
    echo
    echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "- commit: $(git -C "$REPO" rev-parse --short HEAD)"
    echo
    echo "BenchmarkDotNet ($BDN_JOB job):"
    echo
    sed -n '/^| Method/,/^$/p' "$WORK"/bdn/results/*-report-github.md
    echo
    echo "End to end, one thread, $MESSAGES messages to sluice serve (embedded store, full durability):"
    echo '```json'
    echo "$e2e"
    echo '```'
} | tee "$RESULTS_DIR/client-$stamp.md"
