#!/usr/bin/env bash
# pglz against lz4 on log rows like Sluice's, in PostgreSQL alone: a throwaway cluster (postgres.sh), ROWS
# rows of 15 batched events' JSON (about 5.9 KB) inserted ROUNDS times into a table of each compression,
# alternated. Prints ms an insert of all the rows, and each table's size. See bench/README.md.
#
#   bench/cluster/compression.sh    # ROWS=20000 ROUNDS=2; under a minute
set -euo pipefail
ROWS="${ROWS:-20000}"
ROUNDS="${ROUNDS:-2}"
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
[[ -x "$PGBIN/initdb" ]] || { echo "compression.sh: PostgreSQL's server binaries are missing: apt-get install postgresql" >&2; exit 1; }
pg_folder compression
trap pg_cleanup EXIT
pg_start

# The source rows are stored compressed; "|| '\x20'" makes each insert build, and so compress, a new value.
pg_psql -qAt <<SQL
CREATE TABLE source AS SELECT convert_to('[' || string_agg(format(
    '{"type":"track","event":"Order Completed","userId":"user-%s","messageId":"b0-1765123456-1-%s","properties":{"t0":1.5,"order_id":"o-%s","total":42.5,"currency":"EUR"},"context":{"library":{"name":"bench","version":"1"}},"timestamp":"2026-12-07T17:00:00.123Z","receivedAt":"2026-12-07T17:00:00.125Z","sentAt":"2026-12-07T17:00:00.100Z","originalTimestamp":"2026-12-07T17:00:00.100Z"}',
    (g * 7 + i) % 5000, g * 100 + i, g * 100 + i), ','), 'UTF8') AS messages
FROM generate_series(1, $ROWS) g, generate_series(1, 15) i GROUP BY g;
CREATE TABLE rows_pglz (messages bytea COMPRESSION pglz);
CREATE TABLE rows_lz4 (messages bytea COMPRESSION lz4);
SQL
echo "| round | method | ms to insert $ROWS rows |"
echo "| --- | --- | --- |"
for ((round = 1; round <= ROUNDS; round++)); do
    for method in pglz lz4; do
        ms=$(pg_psql -qAt -c '\timing on' -c "INSERT INTO rows_$method SELECT messages || '\x20'::bytea FROM source" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
        echo "| $round | $method | $ms |"
    done
done
pg_psql -qAt -c "SELECT 'Average row ' || round(avg(length(messages))) || ' bytes; table sizes: pglz ' || pg_size_pretty(pg_total_relation_size('rows_pglz')) || ', lz4 ' || pg_size_pretty(pg_total_relation_size('rows_lz4')) FROM source"
