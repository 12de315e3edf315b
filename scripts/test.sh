#!/usr/bin/env bash
# Every test of cltv: lint, the core's unit tests, the pgrx tests, the golden SQL tests and
# the lifecycle tests.
# Closes with one line counting every test run: "N passed, M failed".
source "$(dirname "$0")/common.sh"
cd "$CLTV_ROOT"

"$CLTV_ROOT/scripts/setup.sh"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
passed=0
failed=0

# run_counted <name> <command...>: run, show output, add its test counts to the totals.
# cargo prints "test result: ok. N passed; M failed"; pg_regress (PostgreSQL 15) prints
# "test NAME ... ok" or "... FAILED" per test (newer releases: "ok N - NAME" / "not ok").
run_counted() {
    local name="$1"
    shift
    step "$name"
    set +e
    "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    set -e
    local p f
    p=$( (grep -oE '[0-9]+ passed' "$log" || true) | awk '{s += $1} END {print s + 0}')
    f=$( (grep -oE '[0-9]+ failed' "$log" || true) | awk '{s += $1} END {print s + 0}')
    p=$((p + $(grep -cE '^test .* \.\.\. ok +[0-9]+ ms|^ok [0-9]+ ' "$log" || true)))
    f=$((f + $(grep -cE '^test .* \.\.\. FAILED +[0-9]+ ms|^not ok [0-9]+ ' "$log" || true)))
    # A step that fails without reporting a failed test (a build or lint error) counts as one.
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
}

run_counted "cargo fmt --check" cargo fmt --all -- --check
run_counted "cargo clippy -D warnings" \
    cargo clippy --workspace --all-targets --no-default-features --features "pg15 pg_test" -- -D warnings
run_counted "core unit tests (no PostgreSQL)" cargo test -p cltv-core
as_root install -d -o postgres -g postgres "$CLTV_VAR" "$CLTV_VAR/pgrx-test"
run_counted "pgrx tests (as the postgres user)" \
    cargo pgrx test pg15 --runas postgres --pgdata "$CLTV_VAR/pgrx-test"

# `cargo pgrx test` installed its test build; the golden tests run against a normal one,
# in fresh backends.
step "cargo pgrx install"
cargo pgrx install --pg-config "$PG_CONFIG" >/dev/null
"$CLTV_ROOT/scripts/cluster.sh" restart
run_counted "golden SQL tests (pg_regress)" "$CLTV_ROOT/tests/pg_regress/run.sh"
run_counted "lifecycle tests (upgrade, dump/restore, concurrency, security, cancel, memory, progress, pg_cron)" \
    "$CLTV_ROOT/tests/lifecycle/run.sh"

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
