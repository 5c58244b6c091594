# Sourced by the cluster benchmarks: a throwaway PostgreSQL of their own, in a temporary folder, run as the
# postgres user when run as root (initdb refuses root).
#
#   pg_folder NAME       makes TMP (the script's temporary folder, NAME in its name) and PGDATA below it
#   pg_start [OPTION...] initdb and start it on PGPORT, a random port, with durable settings (fsync and
#                        synchronous_commit as shipped) and the server options given (-c name=value)
#   pg_cleanup           stops it if it runs and removes TMP (for the script's EXIT trap)
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
AS=()
PGPORT=$(( 20000 + RANDOM % 40000 ))

pg_folder() {
    TMP="$(mktemp -d "${TMPDIR:-/tmp}/sluice-$1.XXXXXX")"
    chmod 755 "$TMP"
    if [[ "$(id -u)" == 0 ]]; then chown postgres "$TMP"; AS=(runuser -u postgres --); fi
    PGDATA="$TMP/pg"
}

pg_start() {
    "${AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U sluice -E UTF8 >/dev/null
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$TMP/pg.log" -w start -o "-p $PGPORT -k $PGDATA -c listen_addresses='' $*" >/dev/null
}

pg_cleanup() {
    [[ -f "$PGDATA/postmaster.pid" ]] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
