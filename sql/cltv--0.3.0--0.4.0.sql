-- cltv 0.3.0 -> 0.4.0: security. Models are visible only to their owners and the roles
-- they are granted to (row-level security on the catalog; cltv_grant, cltv_revoke); an
-- imported version's stored source is not retrained until the owner confirms it
-- (cltv_confirm_source); cltv's own queries call its aggregates from the schema
-- cltv_internal, where nobody else can plant an overload.
-- tests/lifecycle/upgrade.sh checks that an updated database has exactly the objects of a
-- fresh install.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.4.0'" to load this file. \quit

-- Versions imported before 0.4.0 carry someone else's source: not trusted until confirmed.
ALTER TABLE cltv.model_versions ADD COLUMN source_trusted boolean NOT NULL DEFAULT true;
UPDATE cltv.model_versions SET source_trusted = false WHERE metrics ? 'imported_from';

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
ALTER TABLE cltv.model_grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_grants ON cltv.model_grants FOR SELECT
    USING (cltv_internal.has_role(owner) OR cltv_internal.has_role(grantee));

GRANT SELECT ON cltv.model_grants TO PUBLIC;

ALTER VIEW cltv.model_summary SET (security_invoker = true);

CREATE  FUNCTION "cltv_confirm_source"(
	"model" TEXT /* & str */
) RETURNS INT /* i32 */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_confirm_source_wrapper';

CREATE  FUNCTION "cltv_grant"(
	"model" TEXT, /* & str */
	"role" TEXT /* & str */
) RETURNS bool /* bool */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_grant_wrapper';

CREATE  FUNCTION "cltv_revoke"(
	"model" TEXT, /* & str */
	"role" TEXT /* & str */
) RETURNS bool /* bool */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'cltv_revoke_wrapper';

-- cltv_internal: the functions cltv's own queries call. Training passes, evaluation and the
-- metrics run SQL that calls cltv's aggregates; called by a name in a schema other roles
-- can create in (public, usually), a better-matching overload planted there would run
-- inside another role's training. Nobody but the extension's owner creates in this schema,
-- and cltv calls these by their qualified names. They share the C functions of the
-- documented aggregates in the extension's schema, which stay for users.
CREATE AGGREGATE cltv_internal.linreg_state(y float8, x float8[]) (
    SFUNC = @extschema@.cltv_linreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_linreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.linreg_state_columns(y float8, VARIADIC x "any") (
    SFUNC = @extschema@.cltv_linreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_linreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_first_pass(y float8, x float8[], beta float8[], is_test boolean) (
    SFUNC = @extschema@.cltv_logreg_first_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_first_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_first_pass_columns(y float8, beta float8[], is_test boolean, VARIADIC x "any") (
    SFUNC = @extschema@.cltv_logreg_first_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_first_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_state(y boolean, x float8[], beta float8[]) (
    SFUNC = @extschema@.cltv_logreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_state_columns(y boolean, beta float8[], VARIADIC x "any") (
    SFUNC = @extschema@.cltv_logreg_columns_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.logreg_scored_pass(y boolean, beta float8[], is_test boolean, sample_fractions float8[], VARIADIC x "any") (
    SFUNC = @extschema@.cltv_logreg_scored_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_logreg_scored_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8) (
    SFUNC = @extschema@.cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_binary_metrics_combine,
    FINALFUNC = @extschema@.cltv_binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8, sample_fraction float8) (
    SFUNC = @extschema@.cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_binary_metrics_combine,
    FINALFUNC = @extschema@.cltv_binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.binary_metrics(y boolean, p float8, sample_fraction float8, quantiles float8[]) (
    SFUNC = @extschema@.cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_binary_metrics_combine,
    FINALFUNC = @extschema@.cltv_binary_metrics_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE cltv_internal.score_quantiles(score float8, quantiles float8[]) (
    SFUNC = @extschema@.cltv_score_quantiles_sfunc,
    STYPE = float8[],
    COMBINEFUNC = @extschema@.cltv_score_quantiles_combine,
    FINALFUNC = @extschema@.cltv_score_quantiles_final,
    PARALLEL = SAFE
);
CREATE FUNCTION cltv_internal.predict(model text, "row" record) RETURNS float8
    LANGUAGE c STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_predict_row';
