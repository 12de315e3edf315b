-- cltv 0.1.0 -> 0.2.0: the model lifecycle.
-- Catalog: deployment history, the champion/challenger record, and the BI summary view;
-- functions: deploy/rollback/drop, evaluate, export/import, retrain and pg_cron scheduling,
-- and cltv_train's new "deployed" column. tests/upgrade/run.sh checks that an updated
-- database has exactly the objects of a fresh 0.2.0 install and predicts as before.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.2.0'" to load this file. \quit

ALTER TABLE cltv.model_versions ADD COLUMN promotion jsonb;

CREATE TABLE cltv.deployments (
    id             bigserial PRIMARY KEY,
    model          text NOT NULL REFERENCES cltv.models (name) ON DELETE CASCADE,
    version        integer NOT NULL,
    action         text NOT NULL CHECK (action IN ('train', 'deploy', 'promote', 'import')),
    deployed_by    name NOT NULL,
    deployed_at    timestamptz NOT NULL DEFAULT now(),
    -- Set by cltv_rollback: this deployment was undone, and the one before it serves again.
    rolled_back_at timestamptz,
    rolled_back_by name
);
CREATE INDEX ON cltv.deployments (model, id);
COMMENT ON TABLE cltv.deployments IS 'Every change of a model''s deployed version, newest last; cltv_rollback undoes the newest one not yet undone';
-- 0.1.0 kept no history: each model's deployed version starts it.
INSERT INTO cltv.deployments (model, version, action, deployed_by, deployed_at)
SELECT m.name, m.deployed_version, 'train', v.trained_by, v.trained_at
  FROM cltv.models m JOIN cltv.model_versions v ON v.model = m.name AND v.version = m.deployed_version
 ORDER BY v.trained_at;
SELECT pg_catalog.pg_extension_config_dump('cltv.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('cltv.deployments_id_seq', '');
GRANT SELECT ON cltv.deployments TO PUBLIC;

CREATE VIEW cltv.model_summary AS
SELECT m.name AS model,
       v.kind,
       m.deployed_version,
       (SELECT max(version) FROM cltv.model_versions a WHERE a.model = m.name) AS latest_version,
       (SELECT count(*) FROM cltv.model_versions a WHERE a.model = m.name) AS versions,
       v.target,
       array_to_string(v.features, ', ') AS features,
       v.trained_at,
       v.trained_by,
       v.n_train,
       v.n_test,
       v.n_dropped,
       (v.metrics -> 'test' ->> 'rmse')::float8 AS test_rmse,
       (v.metrics -> 'test' ->> 'r_squared')::float8 AS test_r_squared,
       (v.metrics -> 'test' ->> 'auc')::float8 AS test_auc,
       (v.metrics -> 'test' ->> 'log_loss')::float8 AS test_log_loss,
       (v.metrics -> 'train' ->> 'log_likelihood')::float8 AS train_log_likelihood,
       (v.promotion ->> 'promoted')::boolean AS promoted,
       m.created_by AS owner
  FROM cltv.models m
  LEFT JOIN cltv.model_versions v ON v.model = m.name AND v.version = m.deployed_version;
COMMENT ON VIEW cltv.model_summary IS 'One row per model: kind, deployed version, when and on how many rows it was trained, headline metrics (NULL where the kind has none)';
GRANT SELECT ON cltv.model_summary TO PUBLIC;

GRANT SELECT ON cltv.model_summary TO PUBLIC;
GRANT SELECT ON cltv.model_summary TO PUBLIC;
-- cltv::sql_api::lifecycle::cltv_deploy
CREATE  FUNCTION "cltv_deploy"(
	"model" TEXT, /* & str */
	"version" INT /* i32 */
) RETURNS INT /* i32 */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_deploy_wrapper';
-- cltv::sql_api::lifecycle::cltv_drop_model
CREATE  FUNCTION "cltv_drop_model"(
	"model" TEXT /* & str */
) RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_drop_model_wrapper';
-- cltv::sql_api::train::evaluate::cltv_evaluate
CREATE  FUNCTION "cltv_evaluate"(
	"model" TEXT, /* & str */
	"source" regclass /* PgRelation */
) RETURNS jsonb /* JsonB */
STRICT STABLE PARALLEL RESTRICTED
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_evaluate_wrapper';
-- cltv::sql_api::lifecycle::cltv_export
CREATE  FUNCTION "cltv_export"(
	"model" TEXT /* & str */
) RETURNS jsonb /* JsonB */
STRICT STABLE PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_export_wrapper';
-- cltv::sql_api::lifecycle::cltv_import
CREATE  FUNCTION "cltv_import"(
	"document" jsonb, /* JsonB */
	"name" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS TABLE (
	"model" TEXT,  /* String */
	"version" INT,  /* i32 */
	"deployed" bool  /* bool */
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_import_wrapper';
-- cltv::sql_api::train::cltv_retrain
CREATE  FUNCTION "cltv_retrain"(
	"model" TEXT /* & str */
) RETURNS TABLE (
	"model" TEXT,  /* String */
	"version" INT,  /* i32 */
	"kind" TEXT,  /* String */
	"n_train" bigint,  /* i64 */
	"n_test" bigint,  /* i64 */
	"metrics" jsonb,  /* JsonB */
	"deployed" bool  /* bool */
)
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_retrain_wrapper';
-- cltv::sql_api::lifecycle::cltv_rollback
CREATE  FUNCTION "cltv_rollback"(
	"model" TEXT /* & str */
) RETURNS INT /* i32 */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_rollback_wrapper';
-- cltv::sql_api::lifecycle::cltv_schedule_training
CREATE  FUNCTION "cltv_schedule_training"(
	"model" TEXT, /* & str */
	"schedule" TEXT /* & str */
) RETURNS bigint /* i64 */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_schedule_training_wrapper';
-- cltv_train gained the column "deployed": its row type changed, so it is re-created.
DROP FUNCTION cltv_train(text, regclass, text, text[], text, jsonb);
-- cltv::sql_api::train::cltv_train
CREATE  FUNCTION "cltv_train"(
	"model" TEXT, /* Option < & str > */
	"source" regclass, /* Option < PgRelation > */
	"target" TEXT DEFAULT NULL, /* Option < & str > */
	"features" TEXT[] DEFAULT NULL, /* :: std :: option :: Option < Vec < Option < String > > > */
	"kind" TEXT DEFAULT 'linear', /* Option < & str > */
	"options" jsonb DEFAULT '{}' /* Option < JsonB > */
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
AS 'MODULE_PATHNAME', 'cltv_train_wrapper';
-- cltv::sql_api::lifecycle::cltv_unschedule_training
CREATE  FUNCTION "cltv_unschedule_training"(
	"model" TEXT /* & str */
) RETURNS bool /* bool */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_unschedule_training_wrapper';
