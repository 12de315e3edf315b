#!/usr/bin/env bash
# Scheduled retraining with pg_cron (Debian's postgresql-15-cron, preloaded by
# scripts/cluster.sh, jobs in database cltv_cron): a schedule of every minute re-runs the
# model's training call, and its "promote": "if_better" decision is taken and recorded.
source "$(dirname "$0")/../lib.sh"

db=cltv_cron  # cron.database_name
if [ "$(q postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
    createdb "$db"
fi
q "$db" >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'cltv:%';
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
DROP TABLE IF EXISTS visits;
RESET client_min_messages;
CREATE EXTENSION cltv;
-- Version 1 learns from noisy data.
CREATE TABLE visits AS
SELECT i AS id, (i * 7919) % 100 / 10.0 AS x FROM generate_series(1::bigint, 5000) AS i;
ALTER TABLE visits ADD COLUMN spend float8;
UPDATE visits SET spend = 2 + 3 * x + 25 * sin(id * 0.37);
SELECT count(*) FROM cltv_train('nightly', 'visits', 'spend', ARRAY['x'],
                                options => '{"split_key": "id", "promote": "if_better"}');
-- Overnight the data got cleaner: a retrain fits it better than version 1 does.
UPDATE visits SET spend = 2 + 4 * x + 0.1 * sin(id * 0.37);
SQL

expect "without a schedule, unscheduling says so" "$(q "$db" -c "SELECT cltv_unschedule_training('nightly')")" "f"
job="$(q "$db" -c "SELECT cltv_schedule_training('nightly', '* * * * *')")"
expect "the schedule is a pg_cron job running cltv_retrain" \
    "$(q "$db" -c "SELECT jobname || ' ' || schedule || ' ' || (command LIKE '%.cltv_retrain(''nightly''::text)%') FROM cron.job WHERE jobid = $job")" \
    "cltv:nightly * * * * * true"

# pg_cron starts jobs at the top of each minute.
versions=1
for _ in $(seq 1 75); do
    versions="$(q "$db" -c "SELECT count(*) FROM cltv.model_versions WHERE model = 'nightly'")"
    [ "$versions" -ge 2 ] && break
    sleep 1
done
expect "the scheduled job trained a new version" "$versions" "2"
expect "the job succeeded" "$(q "$db" -c "SELECT status FROM cron.job_run_details WHERE jobid = $job ORDER BY start_time LIMIT 1")" "succeeded"
expect "it compared the new version with the deployed one and promoted it" \
    "$(q "$db" -c "SELECT promotion ->> 'champion_version', promotion ->> 'promoted', (promotion ->> 'challenger')::float8 < (promotion ->> 'champion')::float8
                     FROM cltv.model_versions WHERE model = 'nightly' AND version = 2")" "1|true|t"
expect "the promoted version serves" "$(q "$db" -c "SELECT deployed_version FROM cltv.models WHERE name = 'nightly'")" "2"
expect "it trained as the user who scheduled it" "$(q "$db" -c "SELECT trained_by FROM cltv.model_versions WHERE model = 'nightly' AND version = 2")" "postgres"
expect "unscheduling removes the job" \
    "$(q "$db" -c "SELECT cltv_unschedule_training('nightly'); SELECT count(*) FROM cron.job WHERE jobname = 'cltv:nightly'")" "t
0"
done_testing
