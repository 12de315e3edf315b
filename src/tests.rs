//! Wiring tests: run inside PostgreSQL by `cargo pgrx test`. The numbers themselves are
//! checked against independent references in the core's tests and the golden SQL tests.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;
    use pgrx::JsonB;

    /// 200,000 rows of a known linear model with deterministic noise.
    fn make_table() {
        Spi::run(
            "CREATE TABLE lr AS
             SELECT i AS id, (i % 7)::text AS grp,
                    sin(i)::float8 * 10 AS x1, cos(i * 0.7)::float8 * 3 AS x2, ((i * 37) % 101)::float8 AS x3,
                    0 AS y
               FROM generate_series(1, 200000) AS i;
             UPDATE lr SET y = 5 + 2 * x1 - 3 * x2 + 0.5 * x3 + sin(id * 1.3) * 2;
             ANALYZE lr;",
        )
        .unwrap();
    }

    fn estimates(fit: &serde_json::Value) -> Vec<f64> {
        serde_json::from_value(fit["estimate"].clone()).unwrap()
    }

    fn fit_query() -> &'static str {
        "SELECT cltv_linreg(y, ARRAY[x1, x2, x3]) FROM lr"
    }

    #[pg_test]
    fn parallel_fit_equals_serial_fit() {
        make_table();
        Spi::run("SET max_parallel_workers_per_gather = 0").unwrap();
        let serial = Spi::get_one::<JsonB>(fit_query()).unwrap().unwrap().0;

        Spi::run(
            "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
             SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;",
        )
        .unwrap();
        let plan = Spi::explain(fit_query()).unwrap().0.to_string();
        assert!(
            plan.contains("\"Partial Mode\":\"Partial\""),
            "no partial aggregate: {plan}"
        );
        assert!(
            plan.contains("\"Partial Mode\":\"Finalize\""),
            "no finalize aggregate: {plan}"
        );
        let parallel = Spi::get_one::<JsonB>(fit_query()).unwrap().unwrap().0;

        assert_eq!(serial["n"], parallel["n"]);
        for key in ["estimate", "std_error"] {
            let (a, b): (Vec<f64>, Vec<f64>) = (
                serde_json::from_value(serial[key].clone()).unwrap(),
                serde_json::from_value(parallel[key].clone()).unwrap(),
            );
            for (a, b) in a.iter().zip(&b) {
                assert!(((a - b) / a).abs() < 1e-12, "{key}: serial {a} vs parallel {b}");
            }
        }
        // The generating model, recovered: noise is small and uncorrelated with x.
        let beta = estimates(&serial);
        assert!(
            (beta[1] - 2.0).abs() < 0.01 && (beta[2] + 3.0).abs() < 0.01,
            "{beta:?}"
        );
    }

    #[pg_test]
    fn one_model_per_group_equals_a_filtered_fit() {
        make_table();
        let grouped = Spi::get_one::<JsonB>(
            "SELECT fit FROM (SELECT grp, cltv_linreg(y, ARRAY[x1, x2, x3]) AS fit FROM lr GROUP BY grp) g
              WHERE grp = '3'",
        )
        .unwrap()
        .unwrap()
        .0;
        let filtered =
            Spi::get_one::<JsonB>("SELECT cltv_linreg(y, ARRAY[x1, x2, x3]) FROM lr WHERE grp = '3'")
                .unwrap()
                .unwrap()
                .0;
        assert_eq!(estimates(&grouped), estimates(&filtered));
    }

    #[pg_test]
    fn empty_input_gives_null_and_nulls_are_counted() {
        make_table();
        let empty = Spi::get_one::<JsonB>("SELECT cltv_linreg(y, ARRAY[x1]) FROM lr WHERE false").unwrap();
        assert!(empty.is_none());
        let fit = Spi::get_one::<JsonB>(
            "SELECT cltv_linreg(CASE WHEN id <= 10 THEN NULL ELSE y END, ARRAY[x1, x2, x3]) FROM lr",
        )
        .unwrap()
        .unwrap()
        .0;
        assert_eq!(fit["rows_skipped_null"], 10);
        assert_eq!(fit["n"], 199_990);
    }

    #[pg_test]
    fn train_predict_by_name_by_position_and_by_fit_agree() {
        make_table();
        let version = Spi::get_one::<i32>(
            "SELECT version FROM cltv_train('m', 'lr', 'y', ARRAY['x1', 'x2', 'x3'],
                                            options => '{\"split_key\": \"id\"}')",
        )
        .unwrap()
        .unwrap();
        assert_eq!(version, 1);
        let max_disagreement = Spi::get_one::<f64>(
            "SELECT max(greatest(abs(by_name - by_position), abs(by_name - by_fit), abs(by_name - by_sql)))
               FROM (SELECT cltv_predict('m', lr) AS by_name,
                            cltv_predict('m@1', ARRAY[x1, x2, x3]) AS by_position,
                            cltv_predict(f.fit, ARRAY[x1, x2, x3]) AS by_fit,
                            c[1] + c[2] * x1 + c[3] * x2 + c[4] * x3 AS by_sql
                       FROM lr,
                            (SELECT fit, coefficients AS c FROM cltv.model_versions WHERE model = 'm') f) s",
        )
        .unwrap()
        .unwrap();
        assert!(max_disagreement < 1e-9, "{max_disagreement}");
    }

    /// The call-site memo is keyed by the model argument: when it changes from row to row,
    /// each row is scored (and explained) by its own model, as computed in SQL from each
    /// model's coefficients.
    #[pg_test]
    fn a_model_reference_that_changes_per_row_scores_each_row_with_its_model() {
        make_table();
        Spi::run("SELECT cltv_train('a', 'lr', 'y', ARRAY['x1', 'x2', 'x3'])").unwrap();
        Spi::run("SELECT cltv_train('b', 'lr', 'y', ARRAY['x1'])").unwrap();
        let (rows, worst) = Spi::get_two::<i64, f64>(
            "SELECT count(*), max(greatest(abs(by_name - by_sql), abs(by_position - by_sql),
                                           abs(baseline + contributions - by_sql)))
               FROM (SELECT cltv_predict(m, lr) AS by_name,
                            cltv_predict(m, CASE m WHEN 'a' THEN ARRAY[x1, x2, x3] ELSE ARRAY[x1] END)
                                AS by_position,
                            (e->>'baseline')::float8 AS baseline,
                            (SELECT coalesce(sum((t->>'contribution')::float8), 0)
                               FROM jsonb_array_elements(e->'contributions') t) AS contributions,
                            c[1] + c[2] * x1 + coalesce(c[3] * x2 + c[4] * x3, 0) AS by_sql
                       FROM (SELECT *, CASE WHEN id % 3 = 0 THEN 'b' ELSE 'a' END AS m FROM lr
                              WHERE id <= 300) lr,
                            LATERAL (SELECT coefficients AS c FROM cltv.model_versions v
                                      WHERE v.model = lr.m) f,
                            LATERAL (SELECT cltv_explain(m, lr, 10)::jsonb AS e) x) s",
        )
        .unwrap();
        assert_eq!(rows, Some(300));
        let worst = worst.unwrap();
        assert!(worst < 1e-9, "{worst}");
    }

    #[pg_test]
    fn a_deployed_version_is_served_to_the_next_statement_and_versions_can_be_pinned() {
        make_table();
        let predict = |model: &str| {
            Spi::get_one_with_args::<f64>("SELECT cltv_predict($1, ARRAY[1.0])", &[model.into()])
                .unwrap()
                .unwrap()
        };
        Spi::run("SELECT cltv_train('m', 'lr', 'y', ARRAY['x1'])").unwrap();
        let first = predict("m");
        // A later version is stored, not served, until deployed.
        Spi::run("SELECT cltv_train('m', 'lr', 'y', ARRAY['x1'], options => '{\"l2\": 1e6}')").unwrap();
        assert_eq!(predict("m"), first);
        Spi::run("SELECT cltv_deploy('m', 2)").unwrap();
        let second = predict("m");
        assert_ne!(first, second);
        assert_eq!(second, predict("m@2"));
        assert_eq!(first, predict("m@1"));
        // "promote": "always" deploys at once; rollback goes back to version 2.
        Spi::run("SELECT cltv_train('m', 'lr', 'y', ARRAY['x1'], options => '{\"l2\": 1e7, \"promote\": \"always\"}')").unwrap();
        assert_eq!(predict("m"), predict("m@3"));
        assert_eq!(Spi::get_one::<i32>("SELECT cltv_rollback('m')").unwrap(), Some(2));
        assert_eq!(predict("m"), second);
    }

    #[pg_test]
    fn training_rows_dropped_under_missing_drop_are_counted() {
        make_table();
        Spi::run("UPDATE lr SET x2 = NULL WHERE id <= 100").unwrap();
        let (n_train, n_test) = Spi::get_two::<i64, i64>(
            "SELECT n_train, n_test FROM cltv_train('m', 'lr', 'y', ARRAY['x1', 'x2'],
                                                     options => '{\"missing\": \"drop\"}')",
        )
        .unwrap();
        assert_eq!(n_train.unwrap() + n_test.unwrap(), 200_000 - 100);
        let dropped = Spi::get_one::<i64>("SELECT n_dropped FROM cltv.model_versions WHERE model = 'm'")
            .unwrap()
            .unwrap();
        assert_eq!(dropped, 100);
        // Scoring a row with the NULL feature gives NULL under the same policy.
        let scored = Spi::get_one::<f64>("SELECT cltv_predict('m', lr) FROM lr WHERE id = 1").unwrap();
        assert!(scored.is_none());
    }

    #[pg_test]
    fn parallel_irls_passes_equal_serial_ones() {
        make_table();
        Spi::run(
            "ALTER TABLE lr ADD COLUMN churned boolean; UPDATE lr SET churned = y + sin(id * 3.1) * 8 > 30;",
        )
        .unwrap();
        let train = "SELECT cltv_train('churn', 'lr', 'churned', ARRAY['x1', 'x2', 'x3'], kind => 'logistic',
                                        options => '{\"test_fraction\": 0}')";
        Spi::run("SET max_parallel_workers_per_gather = 0").unwrap();
        Spi::run(train).unwrap();
        Spi::run(
            "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
             SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;",
        )
        .unwrap();
        // Every form of the pass that cltv_train runs gets partial (parallel) aggregation.
        for pass in [
            "cltv_internal.logreg_state(churned, ARRAY[x1, x2, x3], ARRAY[0, 0, 0, 0]::float8[])",
            "cltv_internal.logreg_first_pass_columns(churned::int::float8, ARRAY[0, 0, 0, 0]::float8[], false, x1, x2, x3)",
            "cltv_internal.logreg_state_columns(churned, ARRAY[0, 0, 0, 0]::float8[], x1, x2, x3)",
            "cltv_internal.logreg_scored_pass(churned, ARRAY[0, 0, 0, 0]::float8[], id % 5 = 0, ARRAY[1, 1]::float8[], x1, x2, x3)",
        ] {
            let plan = Spi::explain(&format!("SELECT {pass} FROM lr")).unwrap().0.to_string();
            assert!(
                plan.contains("\"Partial Mode\":\"Partial\""),
                "no partial aggregate for {pass}: {plan}"
            );
        }
        Spi::run(train).unwrap();
        let worst = Spi::get_one::<f64>(
            "SELECT max(abs(a.estimate / b.estimate - 1))
               FROM cltv_coefficients('churn@1') a JOIN cltv_coefficients('churn@2') b USING (term)",
        )
        .unwrap()
        .unwrap();
        assert!(worst < 1e-10, "serial and parallel IRLS differ by {worst}");
    }

    #[pg_test]
    fn text_levels_and_groups_bind_by_name_and_the_grouped_pass_runs_in_parallel() {
        make_table();
        Spi::run("ALTER TABLE lr ADD COLUMN channel text; UPDATE lr SET channel = CASE WHEN id % 3 = 0 THEN 'web' ELSE 'store' END; ANALYZE lr")
            .unwrap();
        Spi::run(
            "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
             SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;",
        )
        .unwrap();
        // The shape of a grouped training pass: GROUP BY the raw group column, partial states.
        let plan =
            Spi::explain("SELECT grp, cltv_internal.linreg_state(y, ARRAY[x1, x2]) FROM lr GROUP BY grp")
                .unwrap()
                .0
                .to_string();
        assert!(
            plan.contains("\"Partial Mode\":\"Partial\""),
            "no partial aggregate: {plan}"
        );
        Spi::run(
            "SELECT cltv_train('by_grp', 'lr', 'y', ARRAY['x1', 'channel'],
                               options => '{\"test_fraction\": 0, \"group_by\": \"grp\"}')",
        )
        .unwrap();
        // A row of group 3 with channel 'web' scores with group 3's coefficients, the 'web' term on.
        let by_hand = Spi::get_one::<f64>(
            "SELECT (g -> 'estimate' ->> 0)::float8 + 2 * (g -> 'estimate' ->> 1)::float8 + (g -> 'estimate' ->> 2)::float8
               FROM cltv.model_versions, jsonb_array_elements(fit -> 'groups') AS g
              WHERE model = 'by_grp' AND g -> 'group' ->> 'grp' = '3'",
        )
        .unwrap()
        .unwrap();
        let scored = Spi::get_one::<f64>(
            "SELECT cltv_predict('by_grp', r) FROM (SELECT 'web' AS channel, '3' AS grp, 2.0::float8 AS x1) r",
        )
        .unwrap()
        .unwrap();
        assert!(
            (scored - by_hand).abs() < 1e-9,
            "scored {scored}, by hand {by_hand}"
        );
        let terms =
            Spi::get_one::<Vec<String>>("SELECT features FROM cltv.model_versions WHERE model = 'by_grp'")
                .unwrap()
                .unwrap();
        assert_eq!(terms, ["x1", "channel=web"]);
    }
}
