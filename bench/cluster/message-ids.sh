#!/usr/bin/env bash
# The messageId window's key on PostgreSQL, by pgbench: the same inserts (one transaction of 300
# messageIds, one client) into a window already holding IDS messageIds, keyed four ways, alternated
# ROUNDS times. What docs/decisions.md and BENCHMARKS.md say of schema version 12 rests on it.
#
#   bench/cluster/message-ids.sh
#
# Environment:
#   IDS=2000000    messageIds in each window before the measure
#   SECONDS_EACH=10  length of each pgbench run
#   ROUNDS=3       runs of each key, alternated
set -euo pipefail
IDS="${IDS:-2000000}"
SECONDS_EACH="${SECONDS_EACH:-10}"
ROUNDS="${ROUNDS:-3}"
die() { echo "message-ids.sh: $*" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
[[ -x "$PGBIN/pgbench" ]] || die "PostgreSQL's server binaries are missing: apt-get install postgresql"

pg_folder message-ids
trap pg_cleanup EXIT
pg_start
psql() { pg_psql -qAt "$@"; }

# Each window as Sluice's message_ids is made (partitioned by day, today's partition), keyed:
#   before   (source_id, message_id, day) under the database's collation (schema version 11)
#   c        the same columns COLLATE "C"
#   c_first  COLLATE "C", the messageId first (schema version 12)
#   hashed   a 128-bit hash of source and messageId (uuid), the alternative not taken
psql <<SQL
CREATE TABLE before (day integer NOT NULL, source_id text NOT NULL, message_id text NOT NULL, accepted_at bigint NOT NULL, PRIMARY KEY (source_id, message_id, day)) PARTITION BY RANGE (day);
CREATE TABLE c (day integer NOT NULL, source_id text COLLATE "C" NOT NULL, message_id text COLLATE "C" NOT NULL, accepted_at bigint NOT NULL, PRIMARY KEY (source_id, message_id, day)) PARTITION BY RANGE (day);
CREATE TABLE c_first (day integer NOT NULL, source_id text COLLATE "C" NOT NULL, message_id text COLLATE "C" NOT NULL, accepted_at bigint NOT NULL, PRIMARY KEY (message_id, source_id, day)) PARTITION BY RANGE (day);
CREATE TABLE hashed (day integer NOT NULL, key uuid NOT NULL, accepted_at bigint NOT NULL, PRIMARY KEY (key, day)) PARTITION BY RANGE (day);
CREATE TABLE before_1 PARTITION OF before FOR VALUES FROM (1) TO (2);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM (1) TO (2);
CREATE TABLE c_first_1 PARTITION OF c_first FOR VALUES FROM (1) TO (2);
CREATE TABLE hashed_1 PARTITION OF hashed FOR VALUES FROM (1) TO (2);
INSERT INTO before SELECT 1, 'web', 'm' || g || '-' || md5(g::text), 0 FROM generate_series(1, $IDS) g;
INSERT INTO c SELECT * FROM before;
INSERT INTO c_first SELECT * FROM before;
INSERT INTO hashed SELECT 1, md5(source_id || ':' || message_id)::uuid, 0 FROM before;
VACUUM ANALYZE;
SQL

# 300 messageIds a transaction, as a batch of SDK calls brings them (ids sent together share a prefix).
for key in before c c_first; do
    cat >"$TMP/$key.sql" <<SQL
\set r random(1, 1000000000000)
INSERT INTO $key (day, source_id, message_id, accepted_at) SELECT 1, 'web', 'b' || :r || '-' || g, 1 FROM generate_series(1, 300) g;
SQL
done
cat >"$TMP/hashed.sql" <<'SQL'
\set r random(1, 1000000000000)
INSERT INTO hashed (day, key, accepted_at) SELECT 1, md5('web:' || 'b' || :r || '-' || g)::uuid, 1 FROM generate_series(1, 300) g;
SQL

echo "| round | before | c | c_first | hashed |"
echo "| --- | --- | --- | --- | --- |"
for ((round = 1; round <= ROUNDS; round++)); do
    line="| $round |"
    for key in before c c_first hashed; do
        ms=$("$PGBIN/pgbench" -h "$PGDATA" -p "$PGPORT" -U sluice -n -c 1 -T "$SECONDS_EACH" -M prepared -f "$TMP/$key.sql" postgres 2>/dev/null | awk '/latency average/ { print $4 }')
        line="$line $ms ms |"
    done
    echo "$line"
done
echo
echo "Milliseconds a transaction of 300 inserts, its commit included; the database's collation: $(psql -c 'SHOW lc_collate')."
