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

-- Everyone may read the catalog; nobody but its owner may write it directly. cltv's own
-- functions write it on the caller's behalf, after checking that the caller owns the model.
GRANT USAGE ON SCHEMA cltv TO PUBLIC;
GRANT SELECT ON cltv.models, cltv.model_versions, cltv.deployments TO PUBLIC;

-- One row per model for BI tools: plain columns only.
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
