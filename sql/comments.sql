-- One line on every user-facing function that its definition does not comment: what it
-- does and what it returns (\df+ and \dd show it). The hand-written SQL next to each
-- aggregate, type, table and view comments those. Golden 15_surface fails on a
-- user-facing object without a comment. Keep sql/cltv--0.4.0--0.5.0.sql in step.
COMMENT ON FUNCTION @extschema@.cltv_train(text, regclass, text, text[], text, jsonb) IS
    'Fit a model of kind linear, logistic, bgnbd or gamma_gamma over source as the caller and store it as the model''s next version; returns (model, version, kind, n_train, n_test, metrics, deployed)';
COMMENT ON FUNCTION @extschema@.cltv_retrain(text, text) IS
    'Train the model again with its newest version''s source, target, features, kind and options (promote, if given, in place of the stored policy), as the caller; returns what cltv_train returns';
COMMENT ON FUNCTION @extschema@.cltv_evaluate(text, regclass) IS
    'The metrics of model ''name'' or ''name@N'' on every row of source (target and features bound by name), as jsonb: linear n, mse, rmse, mae, r_squared; logistic those of cltv_binary_metrics';
COMMENT ON FUNCTION @extschema@.cltv_deploy(text, integer) IS
    'Serve this version of the model from now on (to statements that start after the commit); returns the version';
COMMENT ON FUNCTION @extschema@.cltv_rollback(text) IS
    'Undo the model''s newest deployment (a training that deployed, a cltv_deploy, a promotion); returns the version that serves again';
COMMENT ON FUNCTION @extschema@.cltv_drop_model(text) IS
    'Remove the model: its versions, deployment history and training schedule';
COMMENT ON FUNCTION @extschema@.cltv_export(text) IS
    'The model''s version (''name'' deployed, or ''name@N'') as one self-describing jsonb document (format cltv-model) that cltv_import reads';
COMMENT ON FUNCTION @extschema@.cltv_import(jsonb, text) IS
    'Store an exported model document, after checking every field, as the next version of name (default: its own); returns (model, version, deployed). Its source is untrusted until cltv_confirm_source';
COMMENT ON FUNCTION @extschema@.cltv_confirm_source(text) IS
    'The owner vouches for the newest version''s stored source, so cltv_retrain and a schedule may read it; returns that version';
COMMENT ON FUNCTION @extschema@.cltv_grant(text, text) IS
    'Let a role (or public) score the model and read its catalog rows; owner only. Returns true if the grant is new';
COMMENT ON FUNCTION @extschema@.cltv_revoke(text, text) IS
    'Take back a role''s right to score the model, from the next statement on; returns true if there was a grant';
COMMENT ON FUNCTION @extschema@.cltv_schedule_training(text, text, text) IS
    'Schedule cltv_retrain(model, promote) as the caller with pg_cron (job cltv:<model>, cron syntax; promote defaults to if_better where the model holds rows out), replacing an earlier schedule; returns the job id';
COMMENT ON FUNCTION @extschema@.cltv_unschedule_training(text) IS
    'Remove the model''s training schedule; returns true if there was one';
COMMENT ON FUNCTION @extschema@.cltv_rfm(regclass, text, text, text, date, date, interval) IS
    'Per-customer RFM summary of an orders relation (CDNOW conventions): one row per customer with frequency, recency, t, monetary_value, holdout_frequency, holdout_spend';
COMMENT ON FUNCTION @extschema@.cltv_coefficients(text) IS
    'One row per term of the model (''name'' or ''name@N''): estimate, standard error, t or z, p, confidence interval, odds ratio, VIF, standardised estimate';
COMMENT ON FUNCTION @extschema@.cltv_coefficients(jsonb) IS
    'One row per term of a cltv_linreg fit: estimate, standard error, t, p, confidence interval, VIF, standardised estimate';
COMMENT ON FUNCTION @extschema@.cltv_predict(text, float8[]) IS
    'Score x (one value per term, in the model''s term order) with model ''name'' or ''name@N''; refuses models trained per group';
COMMENT ON FUNCTION @extschema@.cltv_predict_class(text, float8[], float8) IS
    'The class a logistic model predicts for x (in its term order): P(y = 1) >= threshold';
COMMENT ON FUNCTION @extschema@.cltv_expected_purchases(text, float8) IS
    'A BG/NBD model''s expected number of purchases E[X(t)] of a new customer in t time units';
COMMENT ON FUNCTION @extschema@.cltv_clv(text, text, float8, float8, float8, float8, float8, float8, float8, boolean) IS
    'Discounted CLV of a customer given as (frequency, recency, t, monetary_value): Gamma-Gamma spend per purchase times BG/NBD purchases, month by month';
COMMENT ON FUNCTION @extschema@.cltv_options(text) IS
    'Every option of cltv_train''s options for a kind (all kinds when NULL): name, kinds, JSON type, default (JSON) and description, from the table training validates against';
COMMENT ON FUNCTION @extschema@.cltv_train(text, text, text, text[], text, jsonb) IS
    'cltv_train with the source named as text (resolved as a regclass is, under the caller''s search_path); a query string is refused with a hint to make it a view';
COMMENT ON FUNCTION @extschema@.cltv_evaluate(text, text) IS
    'cltv_evaluate with the source named as text (resolved as a regclass is); a query string is refused with a hint to make it a view';
COMMENT ON FUNCTION @extschema@.cltv_tier(float8, float8[], text[]) IS
    'The tier of a value at ascending cut points (at a cut point, the higher tier), as cltv_segment: with cltv_score_quantiles over a cohort, tiers of cltv_clv values; NULL in, NULL out';
