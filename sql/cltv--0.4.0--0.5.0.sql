-- cltv 0.4.0 -> 0.5.0: everyday use.
-- tests/lifecycle/upgrade.sh checks that an updated database has exactly the objects of a
-- fresh install.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.5.0'" to load this file. \quit

-- Retraining (issue 13 §3): a run log, a scheduled retrain that promotes "if_better" and
-- logs its failures, cltv_retrain's promotion override.
-- The run log: every committed cltv_train / cltv_retrain, and every scheduled retrain,
-- whether it succeeded or failed (a scheduled run records its failure in a subtransaction,
-- so the row survives; an interactive call that fails rolls back with its transaction).
CREATE TABLE cltv.training_runs (
    id          bigserial PRIMARY KEY,
    model       text NOT NULL,
    call        text NOT NULL CHECK (call IN ('train', 'retrain')),
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    sqlstate    text,
    message     text,
    -- The version the run made, whether it serves now, and the champion/challenger
    -- decision with both scores.
    version     integer,
    deployed    boolean,
    promotion   jsonb,
    run_by      name NOT NULL
);
CREATE INDEX ON cltv.training_runs (model, id);
COMMENT ON TABLE cltv.training_runs IS 'One row per training run (cltv_train, cltv_retrain, scheduled retrains), with the outcome, the SQLSTATE and message of a failure, the version made and the promotion decision';
SELECT pg_catalog.pg_extension_config_dump('cltv.training_runs', '');
SELECT pg_catalog.pg_extension_config_dump('cltv.training_runs_id_seq', '');

ALTER TABLE cltv.training_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_runs ON cltv.training_runs FOR SELECT
    USING (cltv_internal.has_role(run_by) OR EXISTS (SELECT 1 FROM cltv.models m WHERE m.name = model));
GRANT SELECT ON cltv.training_runs TO PUBLIC;

DROP FUNCTION @extschema@.cltv_retrain(text);
CREATE  FUNCTION "cltv_retrain"(
	"model" TEXT, /* & str */
	"promote" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS TABLE (
	"model" TEXT,  /* String */
	"version" INT,  /* i32 */
	"kind" TEXT,  /* String */
	"n_train" bigint,  /* i64 */
	"n_test" bigint,  /* i64 */
	"metrics" jsonb,  /* JsonB */
	"deployed" bool  /* bool */
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_retrain_wrapper';

DROP FUNCTION @extschema@.cltv_schedule_training(text, text);
CREATE  FUNCTION "cltv_schedule_training"(
	"model" TEXT, /* & str */
	"schedule" TEXT, /* & str */
	"promote" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS bigint /* i64 */
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_schedule_training_wrapper';

-- What a pg_cron job runs: cltv_retrain, whose failure is logged in cltv.training_runs by a
-- subtransaction (the EXCEPTION block) so that the row survives, and reported as a WARNING
-- in the job's output. A cancel or a lost connection is not caught.
CREATE FUNCTION cltv_internal.record_failed_run(model text, started_at text, sqlstate text, message text)
    RETURNS void LANGUAGE c STRICT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'cltv_record_failed_run_wrapper';
CREATE FUNCTION cltv_internal.scheduled_retrain(model text, promote text) RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    started timestamptz := clock_timestamp();
    code text;
    reason text;
BEGIN
    PERFORM * FROM @extschema@.cltv_retrain(model, promote);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, reason = MESSAGE_TEXT;
    PERFORM cltv_internal.record_failed_run(model, started::text, code, reason);
    RAISE WARNING 'scheduled training of model "%" failed: % (SQLSTATE %)', model, reason, code;
END
$$;
