#!/usr/bin/env bash
# Scheduled retraining with pg_cron (Debian's postgresql-15-cron, preloaded by
# scripts/cluster.sh, jobs in database cltv_cron): a schedule of every minute re-runs the
# model's training call, promoting "if_better" by default (the model was trained with the
# default "never"), and the decision is taken and recorded; every run, a failed one too, is
# logged in cltv.training_runs.
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
DROP TABLE IF EXISTS visits, doomed;
RESET client_min_messages;
CREATE EXTENSION cltv;
-- Version 1 learns from noisy data.
CREATE TABLE visits AS
SELECT i AS id, (i * 7919) % 100 / 10.0 AS x FROM generate_series(1::bigint, 5000) AS i;
ALTER TABLE visits ADD COLUMN spend float8;
UPDATE visits SET spend = 2 + 3 * x + 25 * sin(id * 0.37);
SELECT count(*) FROM cltv_train('nightly', 'visits', 'spend', ARRAY['x'], options => '{"split_key": "id"}');
-- A model whose source will be gone when its schedule runs.
CREATE TABLE doomed AS SELECT * FROM visits;
SELECT count(*) FROM cltv_train('broken', 'doomed', 'spend', ARRAY['x']);
DROP TABLE doomed;
-- Overnight the data got cleaner: a retrain fits it better than version 1 does.
UPDATE visits SET spend = 2 + 4 * x + 0.1 * sin(id * 0.37);
SQL

expect "without a schedule, unscheduling says so" "$(q "$db" -c "SELECT cltv_unschedule_training('nightly')")" "f"
job="$(q "$db" -c "SELECT cltv_schedule_training('nightly', '* * * * *')")"
expect "the schedule is a pg_cron job retraining with \"if_better\"" \
    "$(q "$db" -c "SELECT jobname || ' ' || schedule || ' ' || (command = 'SELECT cltv_internal.scheduled_retrain(''nightly''::text, ''if_better''::text)') FROM cron.job WHERE jobid = $job")" \
    "cltv:nightly * * * * * true"
broken_job="$(q "$db" -c "SELECT cltv_schedule_training('broken', '* * * * *', promote => 'always')")"

# pg_cron starts jobs at the top of each minute.
versions=1
for _ in $(seq 1 75); do
    versions="$(q "$db" -c "SELECT count(*) FROM cltv.model_versions WHERE model = 'nightly'")"
    failed="$(q "$db" -c "SELECT count(*) FROM cltv.training_runs WHERE model = 'broken'")"
    [ "$versions" -ge 2 ] && [ "$failed" -ge 1 ] && break
    sleep 1
done
expect "the scheduled job trained a new version" "$versions" "2"
expect "the job succeeded" "$(q "$db" -c "SELECT status FROM cron.job_run_details WHERE jobid = $job ORDER BY start_time LIMIT 1")" "succeeded"
expect "it compared the new version with the deployed one and promoted it" \
    "$(q "$db" -c "SELECT promotion ->> 'champion_version', promotion ->> 'promoted', (promotion ->> 'challenger')::float8 < (promotion ->> 'champion')::float8
                     FROM cltv.model_versions WHERE model = 'nightly' AND version = 2")" "1|true|t"
expect "the promoted version serves" "$(q "$db" -c "SELECT deployed_version FROM cltv.models WHERE name = 'nightly'")" "2"
expect "it trained as the user who scheduled it" "$(q "$db" -c "SELECT trained_by FROM cltv.model_versions WHERE model = 'nightly' AND version = 2")" "postgres"
expect "the run log has the scheduled run: succeeded, version 2, deployed, with its promotion decision" \
    "$(q "$db" -c "SELECT call, outcome, version, deployed, promotion ->> 'promoted', run_by, ended_at >= started_at
                     FROM cltv.training_runs WHERE model = 'nightly' ORDER BY id")" \
    "train|succeeded|1|t||postgres|t
retrain|succeeded|2|t|true|postgres|t"
expect "a failed scheduled run is logged with its SQLSTATE and message (the job itself ends with a WARNING)" \
    "$(q "$db" -c "SELECT outcome, sqlstate, message LIKE '%no longer exists%', version IS NULL
                     FROM cltv.training_runs WHERE model = 'broken' AND call = 'retrain' ORDER BY id LIMIT 1")" \
    "failed|22023|t|t"
q "$db" -c "SELECT cltv_unschedule_training('broken')" >/dev/null
expect "unscheduling removes the job" \
    "$(q "$db" -c "SELECT cltv_unschedule_training('nightly'); SELECT count(*) FROM cron.job WHERE jobname = 'cltv:nightly'")" "t
0"
done_testing
