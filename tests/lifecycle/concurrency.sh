#!/usr/bin/env bash
# Scoring while another session retrains and deploys: pgbench clients score a fixed row
# continuously for a bounded time while a loop trains and deploys new versions, and trains
# and deploys in transactions that roll back. No client sees an error; every score comes
# from exactly one committed version; no score ever comes from rolled-back work; and new
# deploys reach new statements.
source "$(dirname "$0")/../lib.sh"

seconds="${CLTV_CONCURRENCY_SECONDS:-12}"
fresh_db cltv_concurrency
q cltv_concurrency >/dev/null <<'SQL'
CREATE EXTENSION cltv;
CREATE TABLE data AS
SELECT i AS id, (i * 7919) % 100 / 10.0 AS x1, (i * 104729) % 50 / 5.0 AS x2
  FROM generate_series(1::bigint, 20000) AS i;
ALTER TABLE data ADD COLUMN y float8;
UPDATE data SET y = 3 + 2 * x1 - x2 + sin(id);
CREATE TABLE probe AS SELECT 4.5::float8 AS x1, 2.25::float8 AS x2;
SELECT count(*) FROM cltv_train('live', 'data', 'y', ARRAY['x1', 'x2'], options => '{"test_fraction": 0}');
-- The probe's score under every committed version, and under every rolled-back one.
CREATE TABLE committed AS SELECT 1 AS version, cltv_predict('live@1', p) AS score FROM probe p;
CREATE TABLE rolled_back (score float8);
CREATE UNLOGGED TABLE observed (score float8);
SQL

bench_script="$(mktemp)"
trap 'rm -f "$bench_script"' EXIT
echo "INSERT INTO observed SELECT cltv_predict('live', p) FROM probe p;" > "$bench_script"
chmod 0644 "$bench_script"

# The scorers: 4 clients, each statement a fresh snapshot.
pgbench_log="$(mktemp)"
"$PG_BIN/pgbench" -n -c 4 -j 2 -T "$seconds" -f "$bench_script" cltv_concurrency >"$pgbench_log" 2>&1 &
scorers=$!
trap 'kill "$scorers" 2>/dev/null || true; rm -f "$bench_script" "$pgbench_log"' EXIT

# The trainer: new versions, each deployed, with a distinct l2 so that each scores the probe
# differently; every third round a training and a deploy that roll back instead.
deadline=$((SECONDS + seconds - 1))
round=0
while [ "$SECONDS" -lt "$deadline" ]; do
    round=$((round + 1))
    l2=$((round * 37))
    options="{\"test_fraction\": 0, \"l2\": $l2}"
    if [ $((round % 3)) -eq 0 ]; then
        score="$(q cltv_concurrency <<SQL
BEGIN;
SELECT version FROM cltv_train('live', 'data', 'y', ARRAY['x1', 'x2'], options => '$options') \\gset
SELECT cltv_deploy('live', :version) \\g /dev/null
SELECT cltv_predict('live', p) FROM probe p;
ROLLBACK;
SQL
)"
        q cltv_concurrency -c "INSERT INTO rolled_back VALUES ($score)"
    else
        q cltv_concurrency >/dev/null <<SQL
SELECT version FROM cltv_train('live', 'data', 'y', ARRAY['x1', 'x2'], options => '$options') \\gset
SELECT cltv_deploy('live', :version);
INSERT INTO committed SELECT :version, cltv_predict('live@' || :version, p) FROM probe p;
SQL
    fi
done
pgbench_status=0
wait "$scorers" || pgbench_status=$?

expect "pgbench clients ran without an error" \
    "$pgbench_status $(grep -cE 'aborted|ERROR' "$pgbench_log")" "0 0"
sed 's/^/#   pgbench: /' "$pgbench_log" | grep -E 'transactions actually processed|failed' || true
read -r n_observed n_versions_seen n_foreign n_rolled_back_seen n_committed <<<"$(q cltv_concurrency -F ' ' -c "
    SELECT (SELECT count(*) FROM observed),
           (SELECT count(DISTINCT c.version) FROM observed o JOIN committed c USING (score)),
           (SELECT count(*) FROM observed o WHERE NOT EXISTS (SELECT 1 FROM committed c WHERE c.score = o.score)),
           (SELECT count(*) FROM observed o JOIN rolled_back r USING (score)),
           (SELECT count(*) FROM committed)")"
echo "# $n_observed scores, $n_committed committed versions, $n_versions_seen of them seen"
expect "every score comes from a committed version" "$n_foreign" "0"
expect "no score comes from a rolled-back training or deploy" "$n_rolled_back_seen" "0"
expect_true "the scorers picked up new deploys (at least 3 versions seen)" [ "$n_versions_seen" -ge 3 ]
expect_true "the scorers kept scoring (over 1,000 scores)" [ "$n_observed" -gt 1000 ]
expect "the rolled-back rounds left no version behind" "$(q cltv_concurrency -c "
    SELECT count(*) FROM cltv.model_versions v WHERE NOT EXISTS (SELECT 1 FROM committed c WHERE c.version = v.version)")" "0"

rm -f "$pgbench_log"
dropdb cltv_concurrency
done_testing
