# Shared settings of the cltv scripts. Sourced, not run.
# shellcheck shell=bash
set -euo pipefail

CLTV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG="$PG_BIN/pg_config"
# Everything PostgreSQL writes lives here, owned by the unprivileged `postgres` user,
# because PostgreSQL refuses to run as root.
CLTV_VAR="${CLTV_VAR:-/var/tmp/cltv}"
CLTV_PGDATA="$CLTV_VAR/pgdata"
CLTV_SOCKET_DIR="$CLTV_VAR/run"
CLTV_PGPORT="${CLTV_PGPORT:-5499}"
export PGHOST="$CLTV_SOCKET_DIR" PGPORT="$CLTV_PGPORT" PGUSER=postgres

# Root runs apt and cargo; anyone else needs sudo for those steps.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Run a command as the `postgres` user.
as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else as_root runuser -u postgres -- "$@"; fi
}

step() { printf '\n==> %s\n' "$*"; }
