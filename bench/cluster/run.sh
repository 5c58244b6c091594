#!/usr/bin/env bash
# Sluice on PostgreSQL, one node and three, against the embedded store, in one run: /v1/track
# requests/s, /v1/batch ingest events/s, deliveries/s and drain, ingest→delivered latency at a fixed
# rate, and the cost of an event (CPU µs of Sluice and PostgreSQL together, WAL bytes). Every
# configuration runs bench/delivery's program against the same published build; PostgreSQL is a
# throwaway cluster started here with durable settings (fsync, synchronous_commit on). See bench/README.md.
#
#   bench/cluster/run.sh
#
# Environment:
#   EVENTS=100000        events in each throughput phase
#   RATE=1000            events/s in each latency phase
#   SECONDS_AT_RATE=15   length of each latency phase
#   TRACK_SECONDS=15     length of each /v1/track phase
#   WARM_SECONDS=20      before the measures, this long of /v1/batch and then of /v1/track (the JIT's tiers)
#   CONFIGS="sqlite:1 postgres:1 postgres:3 sqlite:1"   store:nodes[:folder of another published sluice], run in this order
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/../.." && pwd)"
EVENTS="${EVENTS:-100000}"
RATE="${RATE:-1000}"
SECONDS_AT_RATE="${SECONDS_AT_RATE:-15}"
TRACK_SECONDS="${TRACK_SECONDS:-15}"
WARM_SECONDS="${WARM_SECONDS:-20}"
CONFIGS="${CONFIGS:-sqlite:1 postgres:1 postgres:3 sqlite:1}"
RESULTS_DIR="$REPO/bench/results"
mkdir -p "$RESULTS_DIR"

die() { echo "run.sh: $*" >&2; exit 1; }
source "$BENCH_DIR/postgres.sh"
[[ -x "$PGBIN/initdb" ]] || die "PostgreSQL's server binaries are missing: apt-get install postgresql"
command -v jq >/dev/null || die "jq is missing: apt-get install jq"

dotnet publish "$REPO/src/Sluice/Sluice.csproj" -c Release -o "$REPO/bench/.build/sluice" --nologo -v quiet >/dev/null
dotnet build "$REPO/bench/delivery/Sluice.Bench.Delivery.csproj" -c Release --nologo -v quiet >/dev/null

# --- a PostgreSQL cluster of our own (postgres.sh) ---
pg_folder cluster-bench
trap pg_cleanup EXIT
pg_start
POSTMASTER="$(head -n 1 "$PGDATA/postmaster.pid")"

results=()
n=0
for config in $CONFIGS; do
    IFS=: read -r store nodes build <<<"$config"; n=$((n + 1))
    args=(--sluice "${build:-$REPO/bench/.build/sluice}/sluice" --events "$EVENTS" --rate "$RATE" --seconds "$SECONDS_AT_RATE" --track-seconds "$TRACK_SECONDS" --warm-seconds "$WARM_SECONDS" --nodes "$nodes")
    if [[ "$store" == postgres ]]; then
        pg_psql -qc "CREATE DATABASE bench_$n" >/dev/null
        args+=(--postgres "Host=$PGDATA;Port=$PGPORT;Username=sluice;Database=bench_$n" --postgres-pid "$POSTMASTER")
    fi
    echo "== $store, $nodes node(s)${build:+, $build}" >&2
    results+=("$(dotnet "$REPO/bench/delivery/bin/Release/net10.0/Sluice.Bench.Delivery.dll" "${args[@]}" | jq -c --arg build "${build:-this build}" '. + {build: $build}')")
done

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
all="$(printf '%s\n' "${results[@]}" | jq -s '.')"
{
    echo "# Cluster benchmark $stamp"
    echo
    echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on the same machine (fsync and synchronous_commit on)"
    echo "- commit: $(git -C "$REPO" rev-parse --short HEAD)"
    echo "- command: EVENTS=$EVENTS RATE=$RATE SECONDS_AT_RATE=$SECONDS_AT_RATE TRACK_SECONDS=$TRACK_SECONDS WARM_SECONDS=$WARM_SECONDS CONFIGS=\"$CONFIGS\" bench/cluster/run.sh"
    echo
    echo "| build | store | nodes | track req/s | batch ingest ev/s | deliveries/s | drain/s | p50 ms | p99 ms | CPU µs/event (Sluice + PostgreSQL) | Sluice CPU µs/event | WAL bytes/event |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    jq -r '.[] | "| \(.build) | \(.store) | \(.nodes) | \(.trackRequestsPerSecond) | \(.ingestEventsPerSecond) | \(.deliveriesPerSecond) | \(.drainDeliveriesPerSecond) | \(.p50Milliseconds) | \(.p99Milliseconds) | \(.cpuMicrosecondsPerEvent) | \(.sluiceCpuMicrosecondsPerEvent) | \(.walBytesPerEvent // "") |"' <<<"$all"
    echo
    echo "Ratios to the mean of this build's SQLite runs in this run:"
    echo
    jq -r '
      (map(select(.store == "sqlite" and .build == "this build"))) as $s
      | if ($s | length) == 0 then "- (no SQLite run to compare with)"
        else
          ($s | map(.trackRequestsPerSecond) | add / length) as $t
          | ($s | map(.ingestEventsPerSecond) | add / length) as $i
          | ($s | map(.deliveriesPerSecond) | add / length) as $d
          | ($s | map(.drainDeliveriesPerSecond) | add / length) as $r
          | .[] | select(.store == "postgres" or .build != "this build")
          | "- \(.store), \(.nodes) node(s), \(.build): track \(.trackRequestsPerSecond / $t * 100 | round / 100)×, batch ingest \(.ingestEventsPerSecond / $i * 100 | round / 100)×, deliveries \(.deliveriesPerSecond / $d * 100 | round / 100)×, drain \(.drainDeliveriesPerSecond / $r * 100 | round / 100)×"
        end' <<<"$all"
    echo
    echo '```json'
    echo "$all"
    echo '```'
} | tee "$RESULTS_DIR/cluster-$stamp.md"
