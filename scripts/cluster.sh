#!/usr/bin/env bash
# Start (creating it the first time) the PostgreSQL 15 cluster the demo, the golden tests
# and the benchmark use. It runs as `postgres` on a private socket and port.
# Usage: scripts/cluster.sh start|restart|stop|status
source "$(dirname "$0")/common.sh"

# Settings every run of this script enforces (also on a cluster made by an older version of
# it), in conf.d/cltv.conf: pg_cron for the scheduled-training test, in database cltv_cron,
# running its jobs as background workers (no connection, no password).
settings_changed=no
configure() {
    local conf="$CLTV_PGDATA/conf.d/cltv.conf" wanted
    wanted="$(cat <<CONF
shared_preload_libraries = 'pg_cron'
cron.database_name = 'cltv_cron'
cron.use_background_workers = on
max_worker_processes = 16
CONF
)"
    if ! as_postgres grep -q "^include_dir = 'conf.d'" "$CLTV_PGDATA/postgresql.conf"; then
        echo "include_dir = 'conf.d'" | as_postgres tee -a "$CLTV_PGDATA/postgresql.conf" >/dev/null
        settings_changed=yes
    fi
    as_postgres mkdir -p "$CLTV_PGDATA/conf.d"
    if [ "$(as_postgres cat "$conf" 2>/dev/null || true)" != "$wanted" ]; then
        printf '%s\n' "$wanted" | as_postgres tee "$conf" >/dev/null
        settings_changed=yes
    fi
}

# The test and demo server runs WITH RUST_BACKTRACE=1, on purpose: pgrx's own panic hook
# would then append a Rust backtrace to the DETAIL of every error that passes through Rust
# (PostgreSQL's own errors inside SPI included). cltv installs a hook that captures none,
# and the golden tests (12_bad_input above all) prove it under the worst setting.
# The server must not inherit this script's other open files: run under
# `flock /tmp/cltv-pg-install.lock …`, a postmaster started here would otherwise hold the
# install lock for as long as it runs, and every other install would wait forever.
pg_ctl() {
    (
        for fd in /proc/$BASHPID/fd/*; do
            n=${fd##*/}
            if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-"; fi
        done
        as_postgres env RUST_BACKTRACE=1 RUST_LIB_BACKTRACE=1 "$PG_BIN/pg_ctl" -D "$CLTV_PGDATA" "$@"
    )
}

start() {
    as_root install -d -o postgres -g postgres -m 0755 "$CLTV_VAR" "$CLTV_SOCKET_DIR"
    if [ ! -s "$CLTV_PGDATA/PG_VERSION" ]; then
        step "initdb $CLTV_PGDATA"
        as_root install -d -o postgres -g postgres -m 0700 "$CLTV_PGDATA"
        as_postgres "$PG_BIN/initdb" -D "$CLTV_PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat <<CONF | as_postgres tee -a "$CLTV_PGDATA/postgresql.conf" >/dev/null
# cltv test and demo cluster
port = $CLTV_PGPORT
unix_socket_directories = '$CLTV_SOCKET_DIR'
listen_addresses = ''
max_parallel_workers = 4
max_parallel_workers_per_gather = 2
shared_buffers = 512MB
work_mem = 64MB
CONF
    fi
    configure
    if pg_ctl status >/dev/null 2>&1; then
        if [ "$settings_changed" = yes ]; then
            step "settings changed: restarting PostgreSQL"
            pg_ctl -l "$CLTV_VAR/postgresql.log" -m fast -w restart >/dev/null
        fi
        return 0
    fi
    step "starting PostgreSQL 15 on $CLTV_SOCKET_DIR port $CLTV_PGPORT"
    pg_ctl -l "$CLTV_VAR/postgresql.log" -w start >/dev/null
}

case "${1:-start}" in
    start) start ;;
    restart)
        start
        pg_ctl -l "$CLTV_VAR/postgresql.log" -m fast -w restart >/dev/null
        ;;
    stop) pg_ctl -m fast -w stop ;;
    status) pg_ctl status ;;
    *) echo "usage: $0 start|restart|stop|status" >&2; exit 2 ;;
esac
