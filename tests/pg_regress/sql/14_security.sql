-- Two ordinary roles: alice owns models and the data they read; bob does not. Each block
-- replays an attack on cltv 0.3.0 and shows it fail. (The race of two first trainings of
-- one name needs two sessions: tests/lifecycle/security.sh.)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
DROP SCHEMA IF EXISTS cltv_bob CASCADE;
DROP SCHEMA IF EXISTS shop CASCADE;
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'cltv_alice') THEN
        DROP OWNED BY cltv_alice, cltv_bob, cltv_bi;
        DROP ROLE cltv_alice, cltv_bob, cltv_bi;
    END IF;
END $$;
RESET client_min_messages;
CREATE ROLE cltv_alice;
CREATE ROLE cltv_bob;
CREATE ROLE cltv_bi;
-- cltv in a schema of its own, as CREATE EXTENSION ... SCHEMA allows; the data in another.
CREATE SCHEMA cltv_ext;
GRANT USAGE ON SCHEMA cltv_ext TO PUBLIC;
CREATE EXTENSION cltv SCHEMA cltv_ext;
CREATE SCHEMA shop AUTHORIZATION cltv_alice;
CREATE SCHEMA cltv_bob AUTHORIZATION cltv_bob;
-- As in a database upgraded from PostgreSQL 14 or older: everyone may create in public.
GRANT CREATE ON SCHEMA public TO PUBLIC;

-- Runs a statement and shows its error.
CREATE FUNCTION pg_temp.error_of(statement text)
RETURNS TABLE (code text, message text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    code := 'none'; message := 'no error';
    RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
    RETURN NEXT;
END $$;

-- alice's data, with a column bob may not read, and her model trained on it.
SET ROLE cltv_alice;
CREATE TABLE shop.customers AS
SELECT i AS id, (i % 10)::float8 AS visits, ((i * 7) % 13)::float8 AS basket,
       (i % 10) * 3.5 + (i * 7) % 13 + sin(i) AS spend, 'diagnosis-' || (i % 3) AS secret
  FROM generate_series(1, 200) AS i;
-- Training works with cltv's schema on the path and public off it (42883 in 0.3.0)...
SET search_path = cltv_ext;
SELECT model, version FROM cltv_train('spend', 'shop.customers', 'spend', ARRAY['visits', 'basket', 'secret'],
                                      options => '{"test_fraction": 0}');
-- ...and with public first, where bob may create.
SET search_path = public, cltv_ext;
SELECT model, version, deployed FROM cltv_train('spend', 'shop.customers', 'spend', ARRAY['visits', 'basket'],
                                                options => '{"test_fraction": 0, "promote": "never"}');
RESET ROLE;

-- 1. Operator shadowing: bob's "=" that is always true, first on his path. Every change
-- to alice's model is refused, and nothing changed.
SET ROLE cltv_bob;
CREATE FUNCTION cltv_bob.always(name, name) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION cltv_bob.always(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR cltv_bob.= (LEFTARG = name, RIGHTARG = name, FUNCTION = cltv_bob.always);
CREATE OPERATOR cltv_bob.= (LEFTARG = text, RIGHTARG = text, FUNCTION = cltv_bob.always);
CREATE TABLE cltv_bob.mine AS SELECT * FROM generate_series(1, 50) AS i, LATERAL (SELECT i::float8 AS visits, (i % 3)::float8 AS basket, i * 2.0::float8 + i % 5 AS spend) AS v;
SET search_path = cltv_bob, pg_catalog, cltv_ext;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_deploy('spend', 2) $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_rollback('spend') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_drop_model('spend') $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_train('spend', 'cltv_bob.mine', 'spend', ARRAY['visits', 'basket'],
                                                           options => '{"test_fraction": 0, "promote": "always"}') $$);
SELECT model FROM cltv_train('bobs', 'cltv_bob.mine', 'spend', ARRAY['visits', 'basket'], options => '{"test_fraction": 0}');
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_import(cltv_export('bobs'), name => 'spend') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_grant('spend', 'cltv_bob') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_confirm_source('spend') $$);
RESET search_path;
RESET ROLE;
SELECT m.name, m.created_by, m.deployed_version, count(v.*) AS versions
  FROM cltv.models m JOIN cltv.model_versions v ON v.model = m.name
 WHERE m.name = 'spend' GROUP BY 1, 2, 3;

-- 2. An overload planted in public, a better match than cltv's own aggregate: in 0.3.0 it
-- ran as alice inside her training and copied her rows into bob's table. cltv's queries
-- call their aggregates by qualified name now: alice's training does not touch it.
SET ROLE cltv_bob;
CREATE TABLE cltv_bob.loot (y float8, x float8);
GRANT INSERT ON cltv_bob.loot TO PUBLIC;
GRANT USAGE ON SCHEMA cltv_bob TO PUBLIC;
CREATE FUNCTION public.steal(s float8[], y float8, x1 float8, x2 float8) RETURNS float8[]
LANGUAGE plpgsql AS $$ BEGIN INSERT INTO cltv_bob.loot VALUES (y, x1); RETURN s; END $$;
CREATE AGGREGATE public.cltv_linreg_state_columns(float8, float8, float8) (SFUNC = public.steal, STYPE = float8[]);
CREATE AGGREGATE public.linreg_state_columns(float8, float8, float8) (SFUNC = public.steal, STYPE = float8[]);
RESET ROLE;
SET ROLE cltv_alice;
SET search_path = public, cltv_ext;
SELECT model, version FROM cltv_train('spend', 'shop.customers', 'spend', ARRAY['visits', 'basket'],
                                      options => '{"test_fraction": 0, "promote": "never"}');
RESET search_path;
RESET ROLE;
SELECT count(*) AS rows_stolen FROM cltv_bob.loot;

-- 3. A scheduled retrain runs only what the owner trained. bob hands alice a model
-- document whose source is his view over a function that copies her table (it would run
-- as the caller). She may import it (she owns the model), but cltv_retrain will not read
-- that source with her privileges until she confirms it.
SET ROLE cltv_bob;
CREATE FUNCTION cltv_bob.copy_all() RETURNS float8 LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO cltv_bob.loot SELECT spend, visits FROM shop.customers;
    RETURN 1;
END $$;
CREATE VIEW cltv_bob.bait AS SELECT spend, visits * cltv_bob.copy_all() AS visits, basket FROM cltv_bob.mine;
GRANT SELECT ON cltv_bob.bait TO PUBLIC;
RESET ROLE;
SET ROLE cltv_alice;
SELECT model, version, deployed
  FROM cltv_ext.cltv_import(cltv_ext.cltv_export('spend') || '{"source": "cltv_bob.bait"}', name => 'gift');
SELECT version, source, trained_by, source_trusted FROM cltv.model_versions WHERE model = 'gift';
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_ext.cltv_retrain('gift') $$);
RESET ROLE;
SELECT count(*) AS rows_stolen FROM cltv_bob.loot;
-- bob cannot confirm it for her.
SET ROLE cltv_bob;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_ext.cltv_confirm_source('gift') $$);
RESET ROLE;

-- 4. Who may read a model. Without a grant, bob sees none of alice's catalog rows (her
-- categorical levels, group keys and statistics come from data he may not read), and
-- scoring or exporting her model is a 42501 naming it.
SET ROLE cltv_bob;
SELECT count(*) AS models, (SELECT count(*) FROM cltv.model_versions) AS versions,
       (SELECT count(*) FROM cltv.deployments) AS deployments, (SELECT count(*) FROM cltv.model_summary) AS summary_rows
  FROM cltv.models;
SELECT * FROM pg_temp.error_of($$ SELECT cltv_ext.cltv_export('spend') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_ext.cltv_predict('spend', r) FROM (SELECT 1::float8 AS visits, 2::float8 AS basket) r $$);
SELECT * FROM pg_temp.error_of($$ SELECT * FROM cltv_ext.cltv_coefficients('spend') $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_ext.cltv_predict('nothing_here', r) FROM (SELECT 1::float8 AS visits) r $$);
RESET ROLE;

-- A BI role: alice grants it her model; it scores through a plain view alice owns and
-- reads the catalog's rows of that model, and nothing else.
SET ROLE cltv_alice;
CREATE VIEW shop.customer_value AS
SELECT id, cltv_ext.cltv_predict('spend', c) AS predicted_spend FROM shop.customers c;
GRANT USAGE ON SCHEMA shop TO cltv_bi;
GRANT SELECT ON shop.customer_value TO cltv_bi;
SELECT cltv_ext.cltv_grant('spend', 'cltv_bi') AS granted;
RESET ROLE;
SET ROLE cltv_bi;
SELECT count(*) AS scored, round(avg(predicted_spend)::numeric, 6) AS mean_prediction FROM shop.customer_value;
SELECT model, deployed_version, versions FROM cltv.model_summary ORDER BY model;
SELECT model, grantee FROM cltv.model_grants;
SELECT * FROM pg_temp.error_of($$ SELECT * FROM shop.customers $$);
SELECT * FROM pg_temp.error_of($$ SELECT cltv_ext.cltv_deploy('spend', 1) $$);
RESET ROLE;
-- The mean of the view's scores equals the training target's mean (least squares with an
-- intercept, over the same rows): an independent check that the BI role scored the model.
SELECT round(avg(spend)::numeric, 6) AS mean_spend FROM shop.customers;
-- Revoked, the view fails for the BI role with the model's name.
SET ROLE cltv_alice;
SELECT cltv_ext.cltv_revoke('spend', 'cltv_bi') AS revoked;
RESET ROLE;
SET ROLE cltv_bi;
SELECT * FROM pg_temp.error_of($$ SELECT sum(predicted_spend) FROM shop.customer_value $$);
RESET ROLE;

SET client_min_messages = warning;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DROP FUNCTION public.steal(float8[], float8, float8, float8) CASCADE;
DROP EXTENSION cltv CASCADE;
DROP SCHEMA cltv_ext, cltv_bob, shop CASCADE;
DROP OWNED BY cltv_alice, cltv_bob, cltv_bi;
DROP ROLE cltv_alice, cltv_bob, cltv_bi;
CREATE EXTENSION cltv;
