-- Categorical features: text, varchar and enum columns are one-hot encoded with the first
-- level (in byte order; an enum's first declared value) as the dropped reference. The
-- vocabulary comes from the training rows and is stored with the version; coefficients are
-- named column=level. Reference numbers: statsmodels OLS and Logit on the same rows encoded
-- by pandas (core/tests/reference/categorical_reference.py).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cltv CASCADE;
CREATE EXTENSION cltv;
DROP TYPE IF EXISTS loyalty_tier;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TYPE loyalty_tier AS ENUM ('gold', 'silver', 'bronze');
CREATE TABLE orders_cat AS
SELECT i AS id, (i * 7919 % 97) / 10.0::float8 AS x,
       CASE WHEN i % 50 = 0 THEN 'fax' WHEN i % 77 = 0 THEN 'telex'
            ELSE (ARRAY['web', 'email', 'direct', 'social'])[1 + (i * 7 % 11) % 4] END AS channel,
       (ARRAY['gold', 'silver', 'bronze'])[1 + i % 3]::loyalty_tier AS tier
  FROM generate_series(1, 600) AS i;
ALTER TABLE orders_cat ADD COLUMN spend float8, ADD COLUMN churned boolean;
UPDATE orders_cat SET
  spend = 1 + 2 * x + CASE channel WHEN 'web' THEN 1 WHEN 'email' THEN 3 WHEN 'fax' THEN -2 WHEN 'telex' THEN 0.5 ELSE 0 END
        + CASE tier WHEN 'silver' THEN -1 WHEN 'bronze' THEN -2.5 ELSE 0 END + sin(id),
  churned = x / 10 + 0.8 * (channel = 'email')::int - 0.6 * (tier = 'bronze')::int + 0.9 * sin(id * 12.9898) > 0.5;
SELECT channel, count(*) FROM orders_cat GROUP BY channel ORDER BY channel;

-- Every level: 'direct' (first in byte order) and 'gold' (first declared) are the references.
SELECT n_train FROM cltv_train('spend_by_channel', 'orders_cat', 'spend', ARRAY['x', 'channel', 'tier'],
                               options => '{"test_fraction": 0}');
SELECT term FROM cltv_coefficients('spend_by_channel');
SELECT preprocessing -> 'inputs' AS inputs, preprocessing -> 'categorical' AS vocabulary
  FROM cltv.model_versions WHERE model = 'spend_by_channel';
WITH reference(term, estimate, std_error) AS (VALUES
       ('(intercept)', 0.999191651843758, 0.0848576885738071),
       ('x', 2.00429485150957, 0.0103978136748579),
       ('channel=email', 2.99087629308308, 0.0788868689001232),
       ('channel=fax', -2.65454746044257, 0.212872149913762),
       ('channel=social', -0.00987997677977945, 0.0878341797734452),
       ('channel=telex', 0.464039820830298, 0.272904439384356),
       ('channel=web', 0.992290477007139, 0.0797993914573915),
       ('tier=silver', -0.995773278349683, 0.0706705600184151),
       ('tier=bronze', -2.49549148931161, 0.0706844733521776))
SELECT count(*) AS terms,
       bool_and(abs(c.estimate - r.estimate) < 1e-9 * greatest(1, abs(r.estimate))) AS estimates_match_statsmodels,
       bool_and(abs(c.std_error - r.std_error) < 1e-9 * r.std_error) AS std_errors_match_statsmodels
  FROM cltv_coefficients('spend_by_channel') c JOIN reference r USING (term);

-- Scoring binds the text and the enum column by name: a row scores as the intercept plus
-- its levels' coefficients, the reference levels adding nothing.
WITH b AS (SELECT jsonb_object_agg(term, estimate) AS c FROM cltv_coefficients('spend_by_channel'))
SELECT abs(cltv_predict('spend_by_channel', o)
           - ((c ->> '(intercept)')::float8 + (c ->> 'x')::float8 * o.x
              + coalesce((c ->> ('channel=' || o.channel))::float8, 0)
              + coalesce((c ->> ('tier=' || o.tier))::float8, 0))) < 1e-9 AS scores_by_hand
  FROM orders_cat o, b WHERE o.id IN (3, 50, 77, 100) ORDER BY o.id;

-- A level training never saw scores as the reference level by default ("unseen": "reference")...
SELECT cltv_predict('spend_by_channel', r) = cltv_predict('spend_by_channel', d) AS unseen_scores_as_reference
  FROM (SELECT 2.0::float8 AS x, 'carrier pigeon' AS channel, 'silver'::loyalty_tier AS tier) r,
       (SELECT 2.0::float8 AS x, 'direct' AS channel, 'silver'::loyalty_tier AS tier) d;
-- ...and is an error naming the column and the level under "unseen": "error".
SELECT n_train FROM cltv_train('strict_channel', 'orders_cat', 'spend', ARRAY['x', 'channel'],
                               options => '{"test_fraction": 0, "unseen": "error"}');
SELECT cltv_predict('strict_channel', r) FROM (SELECT 2.0::float8 AS x, 'carrier pigeon' AS channel) r;
-- The column may be text, varchar or char(n) when scoring: the level is its text.
SELECT cltv_predict('strict_channel', r) = cltv_predict('strict_channel', t) AS varchar_and_char_bind
  FROM (SELECT 2.0::float8 AS x, 'email'::varchar(10) AS channel) r, (SELECT 2.0::float8 AS x, 'email'::char(8) AS channel) t;

-- min_frequency folds levels rarer than it (a row count, or a share below 1) into "other":
-- fax (12 rows) and telex (7 rows) here.
SELECT n_train FROM cltv_train('spend_folded', 'orders_cat', 'spend', ARRAY['x', 'channel', 'tier'],
                               options => '{"test_fraction": 0, "min_frequency": 15}');
SELECT preprocessing -> 'categorical' -> 'channel' AS vocabulary FROM cltv.model_versions WHERE model = 'spend_folded';
WITH reference(term, estimate, std_error) AS (VALUES
       ('(intercept)', 1.03617546503485, 0.0906051799555963),
       ('x', 1.99584755535427, 0.0110714076951103),
       ('channel=email', 2.99077131678447, 0.084323765981836),
       ('channel=social', -0.00749179058279062, 0.09388732177573),
       ('channel=web', 0.992608413737141, 0.0852991727145084),
       ('channel=other', -1.49460972169595, 0.183786810722258),
       ('tier=silver', -0.996457509338261, 0.0755411469559085),
       ('tier=bronze', -2.48644846127315, 0.0755488210734296))
SELECT count(*) AS terms,
       bool_and(abs(c.estimate - r.estimate) < 1e-9 * greatest(1, abs(r.estimate))) AS estimates_match_statsmodels,
       bool_and(abs(c.std_error - r.std_error) < 1e-9 * r.std_error) AS std_errors_match_statsmodels
  FROM cltv_coefficients('spend_folded') c JOIN reference r USING (term);
-- A folded level scores as "other".
SELECT cltv_predict('spend_folded', f) = cltv_predict('spend_folded', t) AS fax_scores_as_other
  FROM (SELECT 2.0::float8 AS x, 'fax' AS channel, 'gold'::loyalty_tier AS tier) f,
       (SELECT 2.0::float8 AS x, 'telex' AS channel, 'gold'::loyalty_tier AS tier) t;

-- Logistic regression on the same encoding.
SELECT n_train FROM cltv_train('churn_by_channel', 'orders_cat', 'churned', ARRAY['x', 'channel', 'tier'],
                               kind => 'logistic', options => '{"test_fraction": 0, "min_frequency": 0.025}');
WITH reference(term, estimate, std_error) AS (VALUES
       ('(intercept)', -0.712117297319789, 0.267370774801686),
       ('x', 0.203021928683984, 0.034971655949648),
       ('channel=email', 1.64976071198981, 0.270718974593239),
       ('channel=social', 0.103660626907246, 0.275681821968083),
       ('channel=web', -0.209872680012679, 0.252720041071393),
       ('channel=other', 0.0576160123935172, 0.530983674680486),
       ('tier=silver', -0.178772456452414, 0.222672812790235),
       ('tier=bronze', -1.79781142530099, 0.241846230243791))
SELECT count(*) AS terms,
       bool_and(abs(c.estimate - r.estimate) < 1e-7 * greatest(1, abs(r.estimate))) AS estimates_match_statsmodels,
       bool_and(abs(c.std_error - r.std_error) < 1e-7 * r.std_error) AS std_errors_match_statsmodels
  FROM cltv_coefficients('churn_by_channel') c JOIN reference r USING (term);
SELECT abs((fit ->> 'log_likelihood')::float8 - (-337.047629401007)) < 1e-8 AS log_likelihood_matches
  FROM cltv.model_versions WHERE model = 'churn_by_channel';
-- Explanations name the level's term.
SELECT jsonb_path_query_array(cltv_explain('churn_by_channel', o), '$.contributions[*].feature') AS terms
  FROM orders_cat o WHERE id = 3;

-- NULL levels follow "missing": imputing policies fill the most frequent training level
-- (scikit-learn's "most_frequent"); the fit equals one on the NULLs filled in SQL.
CREATE TABLE orders_gappy AS SELECT id, x, CASE WHEN id % 9 = 0 THEN NULL ELSE channel END AS channel, spend FROM orders_cat;
SELECT n_train, metrics -> 'n_imputed' AS n_imputed
  FROM cltv_train('spend_gappy', 'orders_gappy', 'spend', ARRAY['x', 'channel'],
                  options => '{"test_fraction": 0, "missing": "mean"}');
SELECT preprocessing -> 'categorical' -> 'channel' ->> 'imputed' AS imputed_level,
       (SELECT channel FROM orders_gappy WHERE channel IS NOT NULL GROUP BY channel ORDER BY count(*) DESC, channel LIMIT 1) AS most_frequent
  FROM cltv.model_versions WHERE model = 'spend_gappy';
CREATE VIEW orders_filled AS SELECT id, x, coalesce(channel, 'direct') AS channel, spend FROM orders_gappy;
SELECT n_train FROM cltv_train('spend_filled', 'orders_filled', 'spend', ARRAY['x', 'channel'], options => '{"test_fraction": 0}');
SELECT bool_and(abs(a.estimate - b.estimate) < 1e-9 * greatest(1, abs(b.estimate))) AS same_as_filled_in_sql
  FROM cltv_coefficients('spend_gappy') a JOIN cltv_coefficients('spend_filled') b USING (term);
SELECT abs(cltv_predict('spend_gappy', g) - cltv_predict('spend_filled', f)) < 1e-12 AS null_scores_as_most_frequent
  FROM orders_gappy g JOIN orders_filled f USING (id) WHERE g.id = 9;
-- Under the default "error" a NULL level is refused, naming the column.
SELECT n_train FROM cltv_train('spend_refused', 'orders_gappy', 'spend', ARRAY['x', 'channel']);
SELECT cltv_predict('spend_by_channel', r) FROM (SELECT 2.0::float8 AS x, NULL::text AS channel, 'gold'::loyalty_tier AS tier) r;

-- The vocabulary travels with an exported model; a vocabulary that does not make the
-- model's terms is refused.
SELECT model, version FROM cltv_import(cltv_export('spend_folded'), 'spend_folded_copy');
SELECT bool_and(cltv_predict('spend_folded', o) = cltv_predict('spend_folded_copy', o)) AS same_scores FROM orders_cat o;
SELECT model FROM cltv_import(jsonb_set(cltv_export('spend_folded'), '{preprocessing,categorical,channel,levels}', '["email", "web"]'), 'broken');

-- Retraining repeats the call with the input columns, not the terms.
SELECT version, n_train FROM cltv_retrain('spend_folded');

-- Bad input: too many categories names the column and its count (max_categories, default
-- 100); a column with one level cannot inform the model; wrong option values.
SELECT n_train FROM cltv_train('too_many', 'orders_cat', 'spend', ARRAY['x', 'channel'], options => '{"max_categories": 4}');
SELECT n_train FROM cltv_train('one_level', 'orders_cat', 'spend', ARRAY['x', 'channel'],
                               options => '{"min_frequency": 0.9}');
SELECT n_train FROM cltv_train('bad', 'orders_cat', 'spend', ARRAY['x', 'channel'], options => '{"unseen": "ignore"}');
SELECT n_train FROM cltv_train('bad', 'orders_cat', 'spend', ARRAY['x', 'channel'], options => '{"min_frequency": -1}');
SELECT n_train FROM cltv_train('bad', 'orders_cat', 'spend', ARRAY['x', 'channel'], options => '{"max_categories": "ten"}');
