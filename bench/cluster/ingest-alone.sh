#!/usr/bin/env bash
# Ingest alone: single-event /v1/track requests (wrk, 2 threads, 32 connections), then /v1/batch
# requests of 100 events (4 connections, as bench/delivery sends them), to one node with no
# destination, its data folder in the default place (./sluice-data under the working directory), on
# the embedded store and on a throwaway PostgreSQL. Prints events/s and, per event, CPU µs of Sluice
# and of PostgreSQL, WAL bytes, and Sluice's context switches. PostgreSQL runs with docs/deploy.md's
# settings (postgres.sh). See bench/README.md.
#
#   bench/cluster/ingest-alone.sh
#
# Environment:
#   SECONDS_EACH=8            length of each measured wrk run
#   WARM_SECONDS=20           an unmeasured wrk run before each: tiered compilation reaches its last tier
#                             (90 by default with several nodes: three processes on two cores take about 60 s)
#   STORES="sqlite postgres"  in this order
#   TRACK_CONNECTIONS=32      wrk's connections for /v1/track, and BATCH_CONNECTIONS=4 for /v1/batch
#   KINDS="track batch"       the request kinds measured, in this order
#   NODES=1                   nodes on PostgreSQL (ports 18090 on), each sent its share of the connections by a wrk of its own;
#                             on SQLite, that many separate Sluices, each with its own store (nothing shared but the machine)
#   ROUNDS=0                  after the warm-up, that many runs of SECONDS_EACH before the measured one, each
#                             printed on stderr (events/s, CPU µs an event of Sluice and of PostgreSQL): how far the warm-up was
#                             from the steady state (three nodes on two cores: about 60 s at 90 batch connections)
#   SLUICE=DIR                a published sluice to run instead of this build (another commit's, to compare)
#   PG_OPTIONS="-c name=value ..."  server settings for PostgreSQL beside the shipped ones (to try one)
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/../.." && pwd)"
SECONDS_EACH="${SECONDS_EACH:-8}"
STORES="${STORES:-sqlite postgres}"
KINDS="${KINDS:-track batch}"
NODES="${NODES:-1}"
WARM_SECONDS="${WARM_SECONDS:-$(( NODES > 1 ? 90 : 20 ))}"
ROUNDS="${ROUNDS:-0}"
TRACK_CONNECTIONS="${TRACK_CONNECTIONS:-32}"
BATCH_CONNECTIONS="${BATCH_CONNECTIONS:-4}"
die() { echo "ingest-alone.sh: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is missing: apt-get install wrk"
source "$BENCH_DIR/postgres.sh"

if [[ -z "${SLUICE:-}" ]]; then
    dotnet publish "$REPO/src/Sluice/Sluice.csproj" -c Release -o "$REPO/bench/.build/sluice" --nologo -v quiet >/dev/null
    SLUICE="$REPO/bench/.build/sluice"
fi
SLUICE="$(cd "$SLUICE" && pwd)"

pg_folder ingest-alone
NODE_PIDS=()
cleanup() {
    for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    pg_cleanup
}
trap cleanup EXIT

cat >"$TMP/workspace.yaml" <<'EOF'
sources:
  - {id: alone, writeKey: wk_alone}
EOF
# Both scripts: a thread number for messageIds, and the source's write key.
lua_header() {
    cat <<'EOF'
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("tid", threads) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic d2tfYWxvbmU6"
counter = 0
-- One wrk per node: its node number keeps messageIds apart across them.
init = function(args) node = args[1] or "0" end
EOF
}
{ lua_header; cat <<'EOF'; } >"$TMP/track.lua"
request = function()
  counter = counter + 1
  local body = '{"type":"track","event":"Page Viewed","userId":"user-' .. (counter % 5000) .. '","messageId":"' .. node .. '-' .. os.time() .. '-' .. tid .. '-' .. counter .. '","properties":{"n":' .. counter .. '}}'
  return wrk.format(nil, "/v1/track", nil, body)
end
EOF

{ lua_header; cat <<'EOF'; } >"$TMP/batch.lua"
request = function()
  local parts = {}
  for i = 1, 100 do
    counter = counter + 1
    parts[i] = '{"type":"track","event":"Order Completed","userId":"user-' .. (counter % 5000) .. '","messageId":"b' .. node .. '-' .. os.time() .. '-' .. tid .. '-' .. counter .. '","properties":{"t0":1.5,"order_id":"o-' .. counter .. '","total":42.5,"currency":"EUR"},"context":{"library":{"name":"bench","version":"1"}}}'
  end
  return wrk.format(nil, "/v1/batch", nil, '{"batch":[' .. table.concat(parts, ",") .. ']}')
end
EOF

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { s += $2 } END { print s + 0 }'; }
postgres_ticks() { local t=0; for p in $(pgrep -u postgres -f "$PGDATA" 2>/dev/null; pgrep -P "$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || echo 0)" 2>/dev/null); do t=$((t + $(ticks "$p" 2>/dev/null || echo 0))); done; echo "$t"; }
HZ="$(getconf CLK_TCK)"

# Each node's wrk runs at once, the connections split between them (a load balancer's round robin).
load() {
    local seconds=$1 kind=$2 connections=$3 i pids=() total threads=1
    (( ${#NODE_PIDS[@]} == 1 )) && threads=2
    for ((i = 0; i < ${#NODE_PIDS[@]}; i++)); do
        wrk -t"$threads" -c"$(( connections / ${#NODE_PIDS[@]} ))" -d"${seconds}s" -s "$TMP/$kind.lua" "http://127.0.0.1:$((18090 + i))" -- "$i" >"$TMP/wrk-$i.txt" &
        pids+=($!)
    done
    wait "${pids[@]}"
    # Only 2xx answers count: a node that answers 503 (its queue full) or fails a commit is fast at
    # saying no, and wrk's Requests/sec counts those too. The refused are said on stderr. In wrk's
    # report the request count and the non-2xx line come before Requests/sec.
    local refused
    read -r total refused < <(awk '/requests in/ { n = $1 } /Non-2xx or 3xx responses/ { bad = $5 }
        /Requests\/sec/ { if (n > 0) ok += $2 * (n - bad) / n; refused += bad; n = bad = 0 }
        END { printf "%.2f %d\n", ok, refused }' "$TMP"/wrk-*.txt)
    (( refused > 0 )) && echo "ingest-alone.sh: $refused answers were not 2xx (not counted)" >&2
    echo "$total"
}
node_ticks() { local t=0 pid; for pid in "${NODE_PIDS[@]}"; do t=$((t + $(ticks "$pid"))); done; echo "$t"; }
# PostgreSQL's CPU ticks when the store is PostgreSQL, else 0.
store_ticks() { if [[ "$store" == postgres ]]; then postgres_ticks; else echo 0; fi; }
node_switches() { local t=0 pid; for pid in "${NODE_PIDS[@]}"; do t=$((t + $(switches "$pid"))); done; echo "$t"; }

echo "| store | nodes | requests | events/s | Sluice CPU µs/event | PostgreSQL CPU µs/event | WAL bytes/event | Sluice context switches/event |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for store in $STORES; do
    # On SQLite, NODES are that many separate Sluices, each with its own embedded store: nothing is
    # shared but the machine, so their ratio to one is what several processes on these cores cost alone.
    nodes=$NODES
    args=(serve --config "$TMP/workspace.yaml")
    if [[ "$store" == postgres ]]; then
        [[ -x "$PGBIN/initdb" ]] || die "PostgreSQL's server binaries are missing: apt-get install postgresql"
        [[ -d "$PGDATA" ]] || pg_start ${PG_OPTIONS:-}
        args+=(--store postgres --postgres "Host=$PGDATA;Port=$PGPORT;Username=sluice;Database=postgres")
    fi

    # The working directory holds the data folder, as for `sluice serve` run without --data.
    NODE_PIDS=()
    for ((i = 0; i < nodes; i++)); do
        mkdir -p "$TMP/run-$store-$i"
        (cd "$TMP/run-$store-$i" && exec "$SLUICE/sluice" "${args[@]}" --urls "http://127.0.0.1:$((18090 + i))") >"$TMP/$store-$i.log" 2>&1 &
        NODE_PIDS+=($!)
    done
    for ((i = 0; i < nodes; i++)); do
        for _ in $(seq 100); do curl -sf "http://127.0.0.1:$((18090 + i))/health" >/dev/null && break; sleep 0.2; done
    done
    for kind in $KINDS; do
        if [[ "$kind" == track ]]; then connections=$TRACK_CONNECTIONS; per=1; else connections=$BATCH_CONNECTIONS; per=100; fi
        # Connections the nodes cannot share evenly are rounded up (32 to three nodes is 33); to compare
        # with one node, give it as many (TRACK_CONNECTIONS=33 BATCH_CONNECTIONS=6).
        (( connections % nodes != 0 )) && connections=$(( (connections / nodes + 1) * nodes ))
        [[ "$WARM_SECONDS" -gt 0 ]] && load "$WARM_SECONDS" "$kind" "$connections" >/dev/null
        for ((round = 1; round <= ROUNDS; round++)); do
            sluice0=$(node_ticks); pg0=$(store_ticks)
            rate=$(load "$SECONDS_EACH" "$kind" "$connections")
            sluice1=$(node_ticks); pg1=$(store_ticks)
            awk -v store="$store" -v round="$round" -v at="$(( WARM_SECONDS + (round - 1) * SECONDS_EACH ))" -v r="$rate" -v per="$per" -v s="$((sluice1 - sluice0))" -v p="$((pg1 - pg0))" -v secs="$SECONDS_EACH" -v hz="$HZ" \
                'BEGIN { n = r * per * secs; printf "round %d (from %d s): %.0f events/s, CPU µs/event Sluice %.1f%s\n", round, at, r * per, s * 1e6 / hz / n, (store == "postgres" ? sprintf(", PostgreSQL %.1f", p * 1e6 / hz / n) : "") }' >&2
        done
        # What the warm-up wrote would be written out by the kernel all at once about 30 s later, inside
        # the measured run, and on ext4 every commit's fsync waits for it: flushed now, the run measures its own writes.
        sync
        sluice0=$(node_ticks); pg0=$(store_ticks); switches0=$(node_switches)
        wal0=$([[ "$store" == postgres ]] && pg_wal_bytes || echo 0)
        rate=$(load "$SECONDS_EACH" "$kind" "$connections")
        sluice1=$(node_ticks); pg1=$(store_ticks); switches1=$(node_switches)
        wal1=$([[ "$store" == postgres ]] && pg_wal_bytes || echo 0)
        events=$(awk -v r="$rate" -v s="$SECONDS_EACH" -v per="$per" 'BEGIN { print r * s * per }')
        awk -v store="$store" -v nodes="$nodes" -v kind="$kind" -v r="$rate" -v per="$per" -v n="$events" -v s="$((sluice1 - sluice0))" -v p="$((pg1 - pg0))" -v c="$((switches1 - switches0))" -v w="$((wal1 - wal0))" -v hz="$HZ" \
            'BEGIN { pg = store == "postgres"; printf "| %s | %s | %s | %.0f | %.1f | %s | %s | %.2f |\n", store, nodes, kind, r * per, s * 1e6 / hz / n, (pg ? sprintf("%.1f", p * 1e6 / hz / n) : "—"), (pg ? sprintf("%.0f", w / n) : "—"), c / n }'
    done
    for pid in "${NODE_PIDS[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
    NODE_PIDS=()
done
