#!/usr/bin/env bash
# What PostgreSQL's statements cost over SECONDS, from pg_stat_statements: calls, rows, execution and
# planning ms, µs a call and WAL bytes, the costliest first; for the throwaway PostgreSQL of a running
# ingest-alone.sh started with PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements" (run this
# from another shell once its measured phase begins; planning is counted only with
# -c pg_stat_statements.track_planning=on as well). See bench/README.md.
#
#   bench/cluster/statements.sh [SECONDS]    # 10 by default
set -euo pipefail
SECONDS_TO_COUNT="${1:-10}"
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
pg_attach ingest-alone
query() { pg_psql -At -F ' | ' -c "$1"; }
[[ "$(query "SHOW shared_preload_libraries")" == *pg_stat_statements* ]] \
    || { echo "statements.sh: start ingest-alone.sh with PG_OPTIONS=\"-c shared_preload_libraries=pg_stat_statements\"" >&2; exit 1; }
query "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
query "SELECT pg_stat_statements_reset()" >/dev/null
sleep "$SECONDS_TO_COUNT"
echo "| calls | rows | execution ms | planning ms | µs a call | WAL bytes | statement |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
query "SELECT '| ' || calls, rows, round(total_exec_time), round(total_plan_time), round(total_exec_time * 1000 / greatest(calls, 1)), wal_bytes,
           replace(left(query, 80), E'\n', ' ') || ' |'
       FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 15"
