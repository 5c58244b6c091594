#!/usr/bin/env bash
# Three nodes against one on PostgreSQL, ingest alone, over a range of load: for each count of client
# connections, one node and then three (the connections shared between them as a load balancer's round
# robin would), each run by ingest-alone.sh on a fresh database, the pair repeated. Prints every run,
# the medians at each count, and each configuration's capacity: the highest median over the counts.
# See bench/README.md.
#
#   bench/cluster/nodes.sh
#
# Environment:
#   KIND=track                track (single-event /v1/track requests) or batch (/v1/batch, 100 events a request)
#   CONNECTIONS="33 99 300"   client connections in all, for each configuration (for batch e.g. "30 90")
#   REPEATS=2                 pairs (one node, three nodes) at each count, alternated
#   NODES=3                   the nodes compared with one
#   WARM_SECONDS=90           unmeasured load before each run: three processes on two cores under load
#                             take about 60 s to reach their steady CPU an event, one process about 15 s
#                             (ROUNDS in ingest-alone.sh shows it)
#   SECONDS_EACH=60           length of each measured run: long enough to span the phases of PostgreSQL's
#                             checkpoints (8 s runs fell in one phase or another and spread 0.7-1.0)
#   SLUICE=DIR                a published sluice to run instead of this build
#   STORE=postgres            sqlite runs separate nodes, each with its own embedded store: nothing shared but
#                             the machine, the control for what several processes on two cores cost alone
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/../.." && pwd)"
KIND="${KIND:-track}"
CONNECTIONS="${CONNECTIONS:-33 99 300}"
REPEATS="${REPEATS:-2}"
NODES="${NODES:-3}"
export WARM_SECONDS="${WARM_SECONDS:-90}" SECONDS_EACH="${SECONDS_EACH:-60}"
die() { echo "nodes.sh: $*" >&2; exit 1; }
[[ "$KIND" == track || "$KIND" == batch ]] || die "KIND is track or batch, not $KIND"

if [[ -z "${SLUICE:-}" ]]; then
    dotnet publish "$REPO/src/Sluice/Sluice.csproj" -c Release -o "$REPO/bench/.build/sluice" --nologo -v quiet >/dev/null
    SLUICE="$REPO/bench/.build/sluice"
fi
export SLUICE STORES="${STORE:-postgres}" KINDS="$KIND"

RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT

# One run: its events/s, CPU µs an event (Sluice's, PostgreSQL's) and WAL bytes an event, from ingest-alone.sh's row.
run() {
    env NODES="$1" "${KIND^^}_CONNECTIONS=$2" "$BENCH_DIR/ingest-alone.sh" | tail -n 1 | awk -F'|' '{ gsub(/ /, ""); print $5, $6, $7, $8 }'
}

echo "| connections | nodes | events/s | Sluice CPU µs/event | PostgreSQL CPU µs/event | WAL bytes/event |"
echo "| --- | --- | --- | --- | --- | --- |"
for connections in $CONNECTIONS; do
    (( connections % NODES == 0 )) || die "$connections connections can't be shared evenly by $NODES nodes"
    for ((repeat = 0; repeat < REPEATS; repeat++)); do
        for nodes in 1 "$NODES"; do
            read -r rate sluice postgres wal < <(run "$nodes" "$connections")
            echo "| $connections | $nodes | $rate | $sluice | $postgres | $wal |"
            echo "$connections $nodes $rate" >>"$RESULTS"
        done
    done
done

# Medians at each count, the ratio, and each configuration's best median.
echo
echo "| connections | one node, median events/s | $NODES nodes, median events/s | ratio |"
echo "| --- | --- | --- | --- |"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
best_one=0; best_many=0
for connections in $CONNECTIONS; do
    one=$(awk -v c="$connections" '$1 == c && $2 == 1 { print $3 }' "$RESULTS" | median)
    many=$(awk -v c="$connections" -v n="$NODES" '$1 == c && $2 == n { print $3 }' "$RESULTS" | median)
    awk -v c="$connections" -v a="$one" -v b="$many" 'BEGIN { printf "| %s | %.0f | %.0f | %.2f |\n", c, a, b, b / a }'
    best_one=$(awk -v a="$one" -v b="$best_one" 'BEGIN { print (a > b ? a : b) }')
    best_many=$(awk -v a="$many" -v b="$best_many" 'BEGIN { print (a > b ? a : b) }')
done
awk -v a="$best_one" -v b="$best_many" -v n="$NODES" 'BEGIN { printf "\nCapacity (the best median): one node %.0f events/s, %s nodes %.0f: %.2f\n", a, n, b, b / a }'
