#!/usr/bin/env bash
# Sluice end-to-end delivery benchmark: events in by /v1/batch, one webhook request per delivery
# out to a sink, deliveries/s and ingest→delivered latency at a fixed rate. See bench/README.md.
#
#   bench/delivery/run.sh
#
# Environment:
#   EVENTS=200000   events in the throughput phase
#   RATE=2000       events/s in the latency phase
#   SECONDS_AT_RATE=30  length of the latency phase
#   PROGRESS=1      print the delivery stats once a second (stderr)
#   PROFILES=1      with profiles on (`identity: {}`): routing and delivery beside identity resolution
#   BACKLOG=N       instead: the destination is down (the sink answers 503) while N events go in; the
#                   node's resident memory as the backlog builds (BACKLOG=1000000 for issue 17's target),
#                   then the sink answers again and the backlog drains through claims (the recovery rate)
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/../.." && pwd)"
EVENTS="${EVENTS:-200000}"
RATE="${RATE:-2000}"
SECONDS_AT_RATE="${SECONDS_AT_RATE:-30}"
RESULTS_DIR="$REPO/bench/results"
mkdir -p "$RESULTS_DIR"

dotnet publish "$REPO/src/Sluice/Sluice.csproj" -c Release -o "$REPO/bench/.build/sluice" --nologo -v quiet >/dev/null
dotnet build "$BENCH_DIR/Sluice.Bench.Delivery.csproj" -c Release --nologo -v quiet >/dev/null

extra=()
[[ -n "${PROGRESS:-}" ]] && extra+=(--progress)
[[ -n "${PROFILES:-}" ]] && extra+=(--profiles)
[[ -n "${BACKLOG:-}" ]] && extra+=(--backlog "$BACKLOG")
result="$(dotnet "$BENCH_DIR/bin/Release/net10.0/Sluice.Bench.Delivery.dll" --sluice "$REPO/bench/.build/sluice/sluice" \
    --events "$EVENTS" --rate "$RATE" --seconds "$SECONDS_AT_RATE" "${extra[@]}")"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
{
    echo "# Delivery benchmark $stamp"
    echo
    echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "- commit: $(git -C "$REPO" rev-parse --short HEAD)"
    echo "- command: EVENTS=$EVENTS RATE=$RATE SECONDS_AT_RATE=$SECONDS_AT_RATE${PROFILES:+ PROFILES=1}${BACKLOG:+ BACKLOG=$BACKLOG} bench/delivery/run.sh"
    echo
    echo '```json'
    echo "$result"
    echo '```'
} | tee "$RESULTS_DIR/delivery-$stamp.md"
