-- The model catalog. Users read these tables; only cltv functions write them.
CREATE SCHEMA IF NOT EXISTS cltv;
COMMENT ON SCHEMA cltv IS 'cltv model catalog: models, their versions and statistics';

CREATE TABLE cltv.models (
    name             text PRIMARY KEY
                     CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_.\-]*$' AND length(name) <= 200),
    deployed_version integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE cltv.models IS 'One row per model name; deployed_version is the version cltv_predict(''name'', ...) serves';

CREATE TABLE cltv.model_versions (
    model         text NOT NULL REFERENCES cltv.models (name) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version > 0),
    kind          text NOT NULL,
    target        text,
    features      text[] NOT NULL,
    -- Intercept first, then one per feature: what scoring needs, kept apart from the bulky statistics.
    coefficients  float8[] NOT NULL,
    -- Per-term statistics (std_error, t, p, CI) and the overall fit statistics.
    fit           jsonb NOT NULL,
    -- Preprocessing the scorer must replay (missing-value policy; later imputation, vocabularies, scaling).
    preprocessing jsonb NOT NULL DEFAULT '{}',
    options       jsonb NOT NULL DEFAULT '{}',
    metrics       jsonb NOT NULL DEFAULT '{}',
    n_train       bigint NOT NULL,
    n_test        bigint NOT NULL,
    n_dropped     bigint NOT NULL DEFAULT 0,
    source        text NOT NULL,
    trained_by    name NOT NULL DEFAULT current_user,
    trained_at    timestamptz NOT NULL DEFAULT now(),
    -- Champion/challenger: the policy, both scores on the same held-out rows, the decision.
    promotion     jsonb,
    -- May cltv_retrain repeat this version's call (source, options)? Not for an imported
    -- version until the model's owner confirms it (cltv_confirm_source) or trains anew.
    source_trusted boolean NOT NULL DEFAULT true,
    PRIMARY KEY (model, version)
);
COMMENT ON TABLE cltv.model_versions IS 'One row per trained model version; rows are immutable once written';

-- No foreign key from models.deployed_version back to model_versions: the cycle would
-- break pg_restore's table-at-a-time data load. cltv functions keep it consistent.

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

-- Keep trained models and their history across pg_dump / pg_restore.
SELECT pg_catalog.pg_extension_config_dump('cltv.models', '');
SELECT pg_catalog.pg_extension_config_dump('cltv.model_versions', '');
SELECT pg_catalog.pg_extension_config_dump('cltv.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('cltv.deployments_id_seq', '');

-- Who else may score a model and read its catalog rows: cltv_grant / cltv_revoke.
-- `owner` repeats the model's owner so that this table's own visibility needs no lookup
-- in cltv.models (whose visibility depends on this table).
CREATE TABLE cltv.model_grants (
    model      text NOT NULL REFERENCES cltv.models (name) ON DELETE CASCADE,
    grantee    name NOT NULL,
    owner      name NOT NULL,
    granted_by name NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model, grantee)
);
COMMENT ON TABLE cltv.model_grants IS 'Roles granted the right to score a model and read its catalog rows (cltv_grant); grantee public means every role';
SELECT pg_catalog.pg_extension_config_dump('cltv.model_grants', '');

-- Helpers of the row-level security below. Their bodies are parsed when created (BEGIN
-- ATOMIC), so no caller's search_path can change what they call.
CREATE SCHEMA cltv_internal;
COMMENT ON SCHEMA cltv_internal IS 'cltv internals: functions cltv''s own queries call by qualified name; not for direct use';
GRANT USAGE ON SCHEMA cltv_internal TO PUBLIC;

CREATE FUNCTION cltv_internal.has_role(role name) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT role = 'public'
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname = role AND pg_catalog.pg_has_role(r.oid, 'USAGE'));
END;
COMMENT ON FUNCTION cltv_internal.has_role(name) IS
    'Does the current user have the privileges of this role (public: everyone)? False for a role that no longer exists';

CREATE FUNCTION cltv_internal.may_read(model text, owner name) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT cltv_internal.has_role(owner)
        OR EXISTS (SELECT 1 FROM cltv.model_grants g
                    WHERE g.model = may_read.model AND cltv_internal.has_role(g.grantee));
END;
COMMENT ON FUNCTION cltv_internal.may_read(text, name) IS
    'May the current user see this model: its owner, a member of the owner''s role, or a grantee';

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

-- A model is visible to its owner (and the members of the owner's role) and to the roles
-- it was granted to; superusers and the extension's owner see every row. Scoring reads
-- the catalog as the caller, so these policies decide who may score a model too.
ALTER TABLE cltv.models ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_models ON cltv.models FOR SELECT
    USING (cltv_internal.may_read(name, created_by));
ALTER TABLE cltv.model_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_versions ON cltv.model_versions FOR SELECT
    USING (EXISTS (SELECT 1 FROM cltv.models m WHERE m.name = model));
ALTER TABLE cltv.deployments ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_deployments ON cltv.deployments FOR SELECT
    USING (EXISTS (SELECT 1 FROM cltv.models m WHERE m.name = model));
ALTER TABLE cltv.training_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_runs ON cltv.training_runs FOR SELECT
    USING (cltv_internal.has_role(run_by) OR EXISTS (SELECT 1 FROM cltv.models m WHERE m.name = model));
ALTER TABLE cltv.model_grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_grants ON cltv.model_grants FOR SELECT
    USING (cltv_internal.has_role(owner) OR cltv_internal.has_role(grantee));

-- Everyone may read the catalog rows the policies above show them; nobody but its owner
-- may write it directly. cltv's own functions write it on the caller's behalf, after
-- checking that the caller owns the model.
GRANT USAGE ON SCHEMA cltv TO PUBLIC;
GRANT SELECT ON cltv.models, cltv.model_versions, cltv.deployments, cltv.model_grants, cltv.training_runs TO PUBLIC;

-- One row per model for BI tools: plain columns only.
-- security_invoker: the view reads the catalog as its user, so it shows only the models
-- the policies above let them see.
CREATE VIEW cltv.model_summary WITH (security_invoker = true) AS
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
