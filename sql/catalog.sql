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
    PRIMARY KEY (model, version)
);
COMMENT ON TABLE cltv.model_versions IS 'One row per trained model version; rows are immutable once written';

-- No foreign key from models.deployed_version back to model_versions: the cycle would
-- break pg_restore's table-at-a-time data load. cltv functions keep it consistent.

-- Keep trained models across pg_dump / pg_restore.
SELECT pg_catalog.pg_extension_config_dump('cltv.models', '');
SELECT pg_catalog.pg_extension_config_dump('cltv.model_versions', '');

GRANT USAGE ON SCHEMA cltv TO PUBLIC;
GRANT SELECT ON cltv.models, cltv.model_versions TO PUBLIC;
