-- The SQL surface describes itself: what users call is in the extension's schema (and the
-- catalog in schema cltv), each with a comment saying what it does and returns; what only
-- cltv calls (training passes, state functions) is in cltv_internal. cltv_options() lists
-- every training option from the table training validates against.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
RESET client_min_messages;
CREATE TEMP VIEW cltv_objects AS
SELECT p.pronamespace::regnamespace::text AS schema,
       CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'function' END AS kind,
       p.oid::regprocedure::text AS name, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_extension e
  JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e'
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
 WHERE e.extname = 'cltv'
UNION ALL
SELECT t.typnamespace::regnamespace::text, 'type', t.oid::regtype::text, obj_description(t.oid, 'pg_type')
  FROM pg_extension e
  JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e'
  JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
 WHERE e.extname = 'cltv'
UNION ALL
SELECT c.relnamespace::regnamespace::text, CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END,
       c.oid::regclass::text, obj_description(c.oid, 'pg_class')
  FROM pg_extension e
  JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e'
  JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
 WHERE e.extname = 'cltv' AND c.relkind IN ('r', 'v');

-- Every user-facing function, aggregate, type, table and view has a comment: none lacks one.
SELECT kind, name FROM cltv_objects
 WHERE schema IN ((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'cltv'), 'cltv')
   AND comment IS NULL
 ORDER BY 1, 2;

-- No state function or training pass is left among them: those are cltv_internal's.
SELECT kind, name FROM cltv_objects
 WHERE schema <> 'cltv_internal' AND name ~ '_(sfunc|combine|final|state|state_columns|pass|pass_columns)\('
 ORDER BY 1, 2;

-- The documented API: what \df cltv* shows, by name, with its number of forms.
SELECT kind, split_part(name, '(', 1) AS name, count(*) AS forms
  FROM cltv_objects
 WHERE schema = (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'cltv')
 GROUP BY 1, 2
 ORDER BY 1, 2;

-- The catalog users read, and what cltv keeps to itself.
SELECT schema, kind, count(*) FROM cltv_objects WHERE schema IN ('cltv', 'cltv_internal') GROUP BY 1, 2 ORDER BY 1, 2;

-- What one of them says about itself.
SELECT obj_description('cltv_train(text, regclass, text, text[], text, jsonb)'::regprocedure, 'pg_proc') AS cltv_train;

-- The options of a logistic model: name, the kinds that take it, its JSON type, its default
-- for this kind (as JSON; NULL: none, the description says what happens) and what it does.
\x on
SELECT * FROM cltv_options('logistic');
\x off

-- Options by kind: the shared ones, and those of one family only.
SELECT option, kinds FROM cltv_options() WHERE cardinality(kinds) < 4 ORDER BY kinds, option;
SELECT count(*) AS options, count(*) FILTER (WHERE 'bgnbd' = ANY (kinds)) AS bgnbd_options FROM cltv_options();

-- A kind's default where it differs from the general one: the promotion metric.
SELECT k.kind, o.default_value
  FROM unnest(ARRAY['linear', 'logistic']) AS k(kind), cltv_options(k.kind) o
 WHERE o.option = 'metric';

-- What training refuses, the table says it does not take: an option of another kind is an
-- error naming it, and an unknown kind is an error too.
SELECT 'solver' = ANY (SELECT option FROM cltv_options('linear')) AS linear_takes_solver;
CREATE TABLE surface_t AS SELECT i::float8 AS x, 2.0 * i + (i % 3) AS y FROM generate_series(1, 20) i;
SELECT * FROM cltv_train('s', 'surface_t', 'y', ARRAY['x'], options => '{"solver": "lbfgs"}');
SELECT * FROM cltv_options('tree');
