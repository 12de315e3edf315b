#!/usr/bin/env bash
# Every test of cltv: the core's unit tests, the pgrx tests and the golden SQL tests.
# Prints one closing line: "N passed, M failed".
source "$(dirname "$0")/common.sh"
cd "$CLTV_ROOT"

"$CLTV_ROOT/scripts/setup.sh"

passed=0
failed=0
record() { # record <name> <exit status>
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS: $1"; else failed=$((failed + 1)); echo "FAIL: $1"; fi
}

step "cargo fmt --check"
cargo fmt --all -- --check; record "cargo fmt" $?

step "cargo clippy -D warnings"
set +e
cargo clippy --workspace --all-targets --features "pg15 pg_test" --no-default-features -- -D warnings
record "cargo clippy" $?

step "core unit tests (no PostgreSQL)"
cargo test -p cltv-core
record "core unit tests" $?

step "pgrx tests (as the postgres user)"
as_root install -d -o postgres -g postgres "$CLTV_VAR" "$CLTV_VAR/pgrx-test"
cargo pgrx test pg15 --runas postgres --pgdata "$CLTV_VAR/pgrx-test"
record "pgrx tests" $?
set -e

# `cargo pgrx test` installed its test build; the golden tests run against a normal one.
step "cargo pgrx install"
cargo pgrx install --pg-config "$PG_CONFIG" >/dev/null
"$CLTV_ROOT/scripts/cluster.sh" start

step "golden SQL tests (pg_regress)"
set +e
"$CLTV_ROOT/tests/pg_regress/run.sh"
record "golden SQL tests" $?
set -e

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
