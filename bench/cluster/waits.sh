#!/usr/bin/env bash
# What PostgreSQL's active server processes wait on, sampled every 10 ms for SECONDS from one psql
# session, counted by wait and statement; for the throwaway PostgreSQL of a running ingest-alone.sh
# (started from another shell once its measured phase begins). See bench/README.md.
#
#   bench/cluster/waits.sh [SECONDS]    # 6 by default
set -euo pipefail
SECONDS_TO_SAMPLE="${1:-6}"
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
pg_attach ingest-alone
echo "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' ' || replace(left(query, 30), E'\n', ' ') FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() \watch 0.01" \
    | { timeout "$SECONDS_TO_SAMPLE" psql -h "$PGDATA" -p "$PGPORT" -U sluice -d postgres -At 2>/dev/null || true; } \
    | grep -v -e '^$' -e '^[A-Z][a-z][a-z] ' | sort | uniq -c | sort -rn
