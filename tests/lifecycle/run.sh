#!/usr/bin/env bash
# The lifecycle tests that need more than one session or database: upgrade, dump and
# restore, concurrency, two-role races, cancellation, memory limits and pg_cron. Each
# prints TAP lines.
# Needs the cluster of scripts/cluster.sh with cltv installed.
here="$(dirname "$0")"
status=0
for test in upgrade dump_restore concurrency security cancel memory progress cron; do
    echo "# $test"
    bash "$here/$test.sh" || status=1
done
exit "$status"
