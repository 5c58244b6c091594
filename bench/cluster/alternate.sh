#!/usr/bin/env bash
# Two or more published builds of sluice, ingest alone on PostgreSQL, run in turns in one sitting: on
# these noisy machines only runs alternated side by side compare (BENCHMARKS.md). Each run is one
# ingest-alone.sh of one request kind; prints its result line, named by the build's folder.
# See bench/README.md.
#
#   bench/cluster/alternate.sh BUILD_DIR BUILD_DIR...
#   KIND=batch CONNECTIONS=30 NODES=3 bench/cluster/alternate.sh /tmp/before /tmp/after
#
# A build is a `dotnet publish src/Sluice/Sluice.csproj -c Release -o DIR` folder (of another commit's
# worktree, or with temporary code). Environment:
#   KIND=track          track (single-event /v1/track requests) or batch (/v1/batch, 100 events a request)
#   CONNECTIONS=300     client connections in all, shared between the nodes
#   NODES=1             nodes on the one PostgreSQL database
#   PAIRS=2             rounds of one run of each build, in the order given
# Other variables (WARM_SECONDS, SECONDS_EACH, PG_OPTIONS, and any the builds read) reach ingest-alone.sh.
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KIND="${KIND:-track}"
CONNECTIONS="${CONNECTIONS:-300}"
[[ "$KIND" == track || "$KIND" == batch ]] || { echo "alternate.sh: KIND is track or batch, not $KIND" >&2; exit 1; }
for ((pair = 1; pair <= ${PAIRS:-2}; pair++)); do
    for build in "$@"; do
        row=$(env SLUICE="$build" STORES=postgres KINDS="$KIND" NODES="${NODES:-1}" "${KIND^^}_CONNECTIONS=$CONNECTIONS" "$BENCH_DIR/ingest-alone.sh" | tail -n 1)
        echo "$(basename "$build") $row"
    done
done
