# Sourced by the cluster benchmarks: a throwaway PostgreSQL of their own, in a temporary folder, run as the
# postgres user when run as root (initdb refuses root).
#
#   pg_folder NAME       makes TMP (the script's temporary folder, NAME in its name) and PGDATA below it
#   pg_start [OPTION...] initdb and start it on PGPORT, a random port, with durable settings (fsync and
#                        synchronous_commit as shipped), the settings docs/deploy.md recommends
#                        (PG_DEPLOY_SETTINGS) and the server options given (-c name=value), which come last and win;
#                        then its WAL files made ahead (pg_warm_wal) unless PG_FRESH_WAL=1
#   pg_warm_wal          PG_WARM_WAL_FILES (160) WAL files of 16 MB made and recycled, as a server that has run a
#                        while has them: a new cluster makes and zero-fills each file as its WAL reaches it, which
#                        took 6 % of the machine's CPU samples at 114,000 events/s (BENCHMARKS.md)
#   pg_wal_bytes         the WAL written since initdb, in bytes
#   pg_attach NAME       PGDATA and PGPORT of the PostgreSQL another script (pg_folder NAME) is running now
#   pg_psql ARG...       psql into its database postgres as sluice
#   pg_cleanup           stops it if it runs and removes TMP (for the script's EXIT trap)
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
AS=()
PGPORT=$(( 20000 + RANDOM % 40000 ))
# docs/deploy.md's settings: with PostgreSQL's own max_wal_size (1 GB) a load of 100,000 events/s
# checkpoints every 20-30 s, and each page's first change after a checkpoint writes the whole page to the WAL.
# min_wal_size keeps that many bytes of WAL files for reuse at each checkpoint, so pg_warm_wal's files stay.
PG_DEPLOY_SETTINGS=(-c shared_buffers=512MB -c min_wal_size=3GB -c max_wal_size=8GB -c checkpoint_timeout=30min -c max_connections=200)

pg_folder() {
    TMP="$(mktemp -d "${TMPDIR:-/tmp}/sluice-$1.XXXXXX")"
    chmod 755 "$TMP"
    if [[ "$(id -u)" == 0 ]]; then chown postgres "$TMP"; AS=(runuser -u postgres --); fi
    PGDATA="$TMP/pg"
}

pg_start() {
    "${AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U sluice -E UTF8 >/dev/null
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$TMP/pg.log" -w start -o "-p $PGPORT -k $PGDATA -c listen_addresses='' ${PG_DEPLOY_SETTINGS[*]} $*" >/dev/null
    [[ "${PG_FRESH_WAL:-0}" == 1 ]] || pg_warm_wal
}

# Each switch starts a WAL file, which the next insert makes; the checkpoint then renames the files it has
# passed to names ahead of the WAL's end (min_wal_size keeps them), and sync writes them out before any
# measurement starts.
pg_warm_wal() {
    pg_psql -q -c "CREATE TABLE wal_warm (i integer)"
    for i in $(seq 1 "${PG_WARM_WAL_FILES:-160}"); do echo "INSERT INTO wal_warm VALUES ($i); SELECT pg_switch_wal();"; done | pg_psql -q -At >/dev/null
    pg_psql -q -c "DROP TABLE wal_warm" -c "CHECKPOINT"
    sync
}

pg_psql() { command psql -h "$PGDATA" -p "$PGPORT" -U sluice -d postgres "$@"; }

pg_wal_bytes() { pg_psql -Atc "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"; }

pg_attach() {
    PGDATA="$(ls -d "${TMPDIR:-/tmp}"/sluice-"$1".*/pg 2>/dev/null | head -n 1)"
    [[ -n "$PGDATA" && -f "$PGDATA/postmaster.pid" ]] || { echo "no $1 PostgreSQL is running" >&2; exit 1; }
    PGPORT="$(sed -n 4p "$PGDATA/postmaster.pid")"
}

pg_cleanup() {
    [[ -f "$PGDATA/postmaster.pid" ]] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
