# Helpers of the shell tests under tests/: TAP-style "ok N - ..." / "not ok N - ..." lines,
# which scripts/test.sh counts. Sourced, not run.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

tap_count=0
tap_failed=0

# q DB [psql args...]: run SQL quietly, unaligned, stop at the first error.
q() {
    local db="$1"
    shift
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# fresh_db NAME: an empty database of that name.
fresh_db() {
    dropdb --if-exists "$1"
    createdb "$1"
}

# expect DESCRIPTION ACTUAL EXPECTED: one test, passing when the two strings are equal.
expect() {
    tap_count=$((tap_count + 1))
    if [ "$2" == "$3" ]; then
        echo "ok $tap_count - $1"
    else
        echo "not ok $tap_count - $1"
        printf '#   got:      %s\n#   expected: %s\n' "$2" "$3"
        tap_failed=$((tap_failed + 1))
    fi
}

# expect_true DESCRIPTION COMMAND...: one test, passing when the command succeeds.
expect_true() {
    local description="$1"
    shift
    tap_count=$((tap_count + 1))
    if "$@"; then
        echo "ok $tap_count - $description"
    else
        echo "not ok $tap_count - $description"
        tap_failed=$((tap_failed + 1))
    fi
}

# done_testing: the exit status of the script.
done_testing() {
    echo "# $tap_count tests, $tap_failed failed"
    [ "$tap_failed" -eq 0 ]
}
