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

# From another database pg_cron cannot be reached: cltv_schedule_training says so (55000)
# and gives, in its hint, the command to run in the pg_cron database; run there, it
# retrains the model in this one.
shop=cltv_cron_shop
fresh_db "$shop"
q "$shop" >/dev/null <<'SQL'
CREATE EXTENSION cltv;
CREATE TABLE visits AS
SELECT i AS id, (i * 7919) % 100 / 10.0 AS x, 1 + 2 * ((i * 7919) % 100 / 10.0) + sin(i) AS spend
  FROM generate_series(1::bigint, 2000) AS i;
ALTER TABLE visits ADD PRIMARY KEY (id);
SELECT count(*) FROM cltv_train('remote', 'visits', 'spend', ARRAY['x']);
SQL
remote_error="$(q "$shop" -v VERBOSITY=verbose -c "SELECT cltv_schedule_training('remote', '* * * * *')" 2>&1 || true)"
expect "from another database: 55000 naming the pg_cron database" \
    "$(echo "$remote_error" | grep -o '55000: pg_cron runs in database "cltv_cron", not this one')" \
    '55000: pg_cron runs in database "cltv_cron", not this one'
in_cron_db="$(echo "$remote_error" | sed -n 's/^HINT:  .* run: \(SELECT cron.schedule_in_database(.*)\); the job retrains in this database\.$/\1/p')"
remote_job="$(q "$db" -c "$in_cron_db")"
expect_true "the hint's command schedules the job in the pg_cron database ($remote_job)" [ -n "$remote_job" ]

# pg_cron starts jobs at the top of each minute.
versions=1
for _ in $(seq 1 75); do
    versions="$(q "$db" -c "SELECT count(*) FROM cltv.model_versions WHERE model = 'nightly'")"
    failed="$(q "$db" -c "SELECT count(*) FROM cltv.training_runs WHERE model = 'broken'")"
    remote="$(q "$shop" -c "SELECT count(*) FROM cltv.model_versions WHERE model = 'remote'")"
    [ "$versions" -ge 2 ] && [ "$failed" -ge 1 ] && [ "$remote" -ge 2 ] && break
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
expect "the job made in the pg_cron database retrained the model in the other database" \
    "$(q "$shop" -c "SELECT count(*), bool_and(outcome = 'succeeded') FROM cltv.training_runs WHERE model = 'remote' AND call = 'retrain'")" "1|t"
expect "unscheduling from the other database gives the command too" \
    "$(q "$shop" -v VERBOSITY=verbose -c "SELECT cltv_unschedule_training('remote')" 2>&1 | sed -n 's/^HINT:  .* run: \(.*\); the job.*/\1/p')" \
    "SELECT cron.unschedule('cltv:remote')"
q "$db" -c "SELECT cron.unschedule('cltv:remote')" >/dev/null
dropdb "$shop"
expect "unscheduling removes the job" \
    "$(q "$db" -c "SELECT cltv_unschedule_training('nightly'); SELECT count(*) FROM cron.job WHERE jobname = 'cltv:nightly'")" "t
0"
done_testing
