//! OLS against statsmodels and ridge against scikit-learn, on a generated
//! CLV-like dataset (n = 200, features on scales from 0.3 to 5000, two of
//! them correlated) and on Brownlee's stack-loss data (n = 21) as shipped with
//! statsmodels. The literals below are the verbatim output of
//! tests/reference/ols_reference.py, which also wrote the CSV files.

mod common;

use cltv_core::fit::ols::{fit_ols, OlsOptions};
use common::{assert_all_rel, assert_rel, read_csv, unwrap_all, Dataset};

// statsmodels 0.15.0, scikit-learn 1.9.1, numpy 2.4.6:
// output of tests/reference/ols_reference.py
const GEN_ESTIMATE: &[f64] = &[
    100.08906651379198,
    2.092614101799599,
    0.035776652945315277,
    -1.6048739126996443,
    84.67110169602809,
];
const GEN_STD_ERROR: &[f64] = &[
    35.89723793351014,
    0.3250550515906393,
    0.007194372336581409,
    0.5392865107827755,
    22.940816525489577,
];
const GEN_T_VALUE: &[f64] = &[
    2.7882108004849764,
    6.437722138325509,
    4.97286646722478,
    -2.97592074085103,
    3.6908495215046027,
];
const GEN_P_VALUE: &[f64] = &[
    0.005824881995217632,
    9.214981066452588e-10,
    1.4422916275170827e-06,
    0.003290795108812822,
    0.0002899721998188701,
];
const GEN_CI_LOWER: &[f64] = &[
    29.292388431976036,
    1.4515392121672674,
    0.021587882676775805,
    -2.668456954059857,
    39.42713040505149,
];
const GEN_CI_UPPER: &[f64] = &[
    170.88574459560792,
    2.733688991431931,
    0.04996542321385475,
    -0.5412908713394315,
    129.9150729870047,
];
const GEN_COV_PARAMS: &[f64] = &[
    1288.6116912550397,
    10.152596396306256,
    -0.25125934021084306,
    -1.5343343840571992,
    -79.88102256804594,
    10.152596396306256,
    0.10566078656459318,
    -0.002188350773119835,
    0.023080966791977707,
    -0.30422777135334006,
    -0.25125934021084306,
    -0.002188350773119835,
    5.1758993317367834e-05,
    -0.00040165772600517116,
    0.004536366980801249,
    -1.5343343840571992,
    0.023080966791977707,
    -0.00040165772600517116,
    0.29082994071226054,
    -1.2607773382506944,
    -79.88102256804594,
    -0.30422777135334006,
    0.004536366980801249,
    -1.2607773382506944,
    526.2810628561757,
];
const GEN_R_SQUARED: f64 = 0.8452247788464737;
const GEN_ADJ_R_SQUARED: f64 = 0.8420499025151194;
const GEN_F_STATISTIC: f64 = 266.2228983533053;
const GEN_F_P_VALUE: f64 = 8.262373447322871e-78;
const GEN_RESIDUAL_STD_ERROR: f64 = 27.17996117587988;
const GEN_LOG_LIKELIHOOD: f64 = -941.7519219053696;
const GEN_AIC: f64 = 1893.5038438107392;
const GEN_BIC: f64 = 1909.9954306434795;
const GEN_CONDITION_NUMBER: f64 = 118261.50481610473;
const GEN_SSR: f64 = 144056.30645685582;
const GEN_DF_MODEL: f64 = 4.0;
const GEN_DF_RESID: f64 = 195.0;
const STACK_ESTIMATE: &[f64] = &[
    -39.919674420124025,
    0.7156402004852846,
    1.2952861243885716,
    -0.1521225191486526,
];
const STACK_STD_ERROR: &[f64] = &[
    11.895996850644247,
    0.1348581853553723,
    0.3680242652727039,
    0.15629404324862103,
];
const STACK_T_VALUE: &[f64] = &[
    -3.355723351419861,
    5.306613006837229,
    3.5195671769870174,
    -0.9733097691168391,
];
const STACK_P_VALUE: &[f64] = &[
    0.0037503068322601845,
    5.7990247242527076e-05,
    0.002630054396488982,
    0.34404609669643565,
];
const STACK_CI_LOWER: &[f64] = &[
    -65.01803388946932,
    0.43111430022418745,
    0.5188227964955604,
    -0.4818741263171472,
];
const STACK_CI_UPPER: &[f64] = &[
    -14.821314950778731,
    1.0001661007463818,
    2.071749452281583,
    0.177629088019842,
];
const STACK_COV_PARAMS: &[f64] = &[
    141.51474107053784,
    0.28758710565985035,
    -0.6517943687400873,
    -1.6763207972991168,
    0.28758710565985035,
    0.018186730157343952,
    -0.03651067468267573,
    -0.007143521470254401,
    -0.6517943687400873,
    -0.03651067468267573,
    0.1354418598295135,
    1.0476827473972193e-05,
    -1.6763207972991168,
    -0.007143521470254401,
    1.0476827473972193e-05,
    0.02442782795500182,
];
const STACK_R_SQUARED: f64 = 0.9135769044606818;
const STACK_ADJ_R_SQUARED: f64 = 0.8983257699537434;
const STACK_F_STATISTIC: f64 = 59.902225899656884;
const STACK_F_P_VALUE: f64 = 3.016327243421157e-09;
const STACK_RESIDUAL_STD_ERROR: f64 = 3.243363918185223;
const STACK_LOG_LIKELIHOOD: f64 = -52.28779550239973;
const STACK_AIC: f64 = 112.57559100479946;
const STACK_BIC: f64 = 116.75368075569315;
const STACK_CONDITION_NUMBER: f64 = 1811.5281229173838;
const STACK_SSR: f64 = 178.8299615983586;
const STACK_DF_MODEL: f64 = 3.0;
const STACK_DF_RESID: f64 = 17.0;
const RIDGE_SMALL_ALPHA: f64 = 2.5;
const RIDGE_SMALL_INTERCEPT: f64 = 108.238526564535;
const RIDGE_SMALL_COEF: &[f64] = &[
    2.1233144202336436,
    0.03532299229363489,
    -1.4736931323454794,
    30.444975887082474,
];
const RIDGE_SMALL_R_SQUARED: f64 = 0.8407900498205657;
const RIDGE_SMALL_EFFECTIVE_DF: f64 = 3.358253488474417;
const RIDGE_LARGE_ALPHA: f64 = 5000000.0;
const RIDGE_LARGE_INTERCEPT: f64 = -96.31560033334085;
const RIDGE_LARGE_COEF: &[f64] = &[
    0.004786776740145307,
    0.07647764871468496,
    -0.0009871548298646588,
    2.3513888068613076e-05,
];
const RIDGE_LARGE_R_SQUARED: f64 = 0.789057544554467;
const RIDGE_LARGE_EFFECTIVE_DF: f64 = 0.9603715941709154;
const RIDGE_STACK_ALPHA: f64 = 10.0;
const RIDGE_STACK_INTERCEPT: f64 = -39.62655755342188;
const RIDGE_STACK_COEF: &[f64] = &[0.7424489761270074, 1.1703667291647346, -0.14375414078548035];
const RIDGE_STACK_R_SQUARED: f64 = 0.9129607339711393;
const RIDGE_STACK_EFFECTIVE_DF: f64 = 2.8482926228641667;

/// statsmodels solves by pseudo-inverse (SVD); its own error is ~κ(X)·ε with
/// κ ≈ 1e5 here, so agreement to 1e-9 is well inside both methods' accuracy.
const COEF_TOL: f64 = 1e-9;
/// Overall statistics are smooth functions of the same sums.
const STAT_TOL: f64 = 1e-10;
/// The condition number is a ratio of singular values; statsmodels' σ_min
/// carries ~κ·ε relative error itself.
const COND_TOL: f64 = 1e-8;

struct Expected<'a> {
    estimate: &'a [f64],
    std_error: &'a [f64],
    t_value: &'a [f64],
    p_value: &'a [f64],
    ci_lower: &'a [f64],
    ci_upper: &'a [f64],
    cov_params: &'a [f64],
    r_squared: f64,
    adj_r_squared: f64,
    f_statistic: f64,
    f_p_value: f64,
    residual_std_error: f64,
    log_likelihood: f64,
    aic: f64,
    bic: f64,
    condition_number: f64,
    ssr: f64,
    df_model: f64,
    df_resid: f64,
}

fn check_against_statsmodels(data: &Dataset, want: &Expected) {
    let fit = fit_ols(&data.stats(), &data.features, &OlsOptions::default()).unwrap();
    assert_all_rel(&fit.estimate, want.estimate, COEF_TOL, "estimate");
    assert_all_rel(&unwrap_all(&fit.std_error), want.std_error, COEF_TOL, "std_error");
    assert_all_rel(&unwrap_all(&fit.t_value), want.t_value, COEF_TOL, "t_value");
    assert_all_rel(&unwrap_all(&fit.p_value), want.p_value, COEF_TOL, "p_value");
    assert_all_rel(&unwrap_all(&fit.ci_lower), want.ci_lower, COEF_TOL, "ci_lower");
    assert_all_rel(&unwrap_all(&fit.ci_upper), want.ci_upper, COEF_TOL, "ci_upper");
    assert_all_rel(
        fit.cov_params.as_ref().unwrap(),
        want.cov_params,
        COEF_TOL,
        "cov_params",
    );
    assert_rel(fit.r_squared.unwrap(), want.r_squared, STAT_TOL, "r_squared");
    assert_rel(
        fit.adj_r_squared.unwrap(),
        want.adj_r_squared,
        STAT_TOL,
        "adj_r_squared",
    );
    assert_rel(
        fit.f_statistic.unwrap(),
        want.f_statistic,
        STAT_TOL,
        "f_statistic",
    );
    assert_rel(fit.f_p_value.unwrap(), want.f_p_value, COEF_TOL, "f_p_value");
    assert_rel(
        fit.residual_std_error.unwrap(),
        want.residual_std_error,
        STAT_TOL,
        "residual_std_error",
    );
    assert_rel(
        fit.log_likelihood.unwrap(),
        want.log_likelihood,
        STAT_TOL,
        "log_likelihood",
    );
    assert_rel(fit.aic.unwrap(), want.aic, STAT_TOL, "aic");
    assert_rel(fit.bic.unwrap(), want.bic, STAT_TOL, "bic");
    assert_rel(
        fit.condition_number.unwrap(),
        want.condition_number,
        COND_TOL,
        "condition_number",
    );
    assert_rel(fit.ssr, want.ssr, STAT_TOL, "ssr");
    assert_eq!(fit.df_model, want.df_model);
    assert_eq!(fit.df_resid, want.df_resid);
    assert_eq!(fit.n, data.rows.len() as u64);
    assert_eq!(fit.l2, 0.0);
    // Predictions agree with b₀ + Σbᵢxᵢ on the input rows.
    for (_, x) in data.rows.iter().take(5) {
        let direct = want.estimate[0] + x.iter().zip(&want.estimate[1..]).map(|(a, b)| a * b).sum::<f64>();
        assert_rel(fit.predict(x), direct, 1e-9, "predict");
    }
}

#[test]
fn generated_ols_matches_statsmodels() {
    check_against_statsmodels(
        &read_csv("generated_ols.csv"),
        &Expected {
            estimate: GEN_ESTIMATE,
            std_error: GEN_STD_ERROR,
            t_value: GEN_T_VALUE,
            p_value: GEN_P_VALUE,
            ci_lower: GEN_CI_LOWER,
            ci_upper: GEN_CI_UPPER,
            cov_params: GEN_COV_PARAMS,
            r_squared: GEN_R_SQUARED,
            adj_r_squared: GEN_ADJ_R_SQUARED,
            f_statistic: GEN_F_STATISTIC,
            f_p_value: GEN_F_P_VALUE,
            residual_std_error: GEN_RESIDUAL_STD_ERROR,
            log_likelihood: GEN_LOG_LIKELIHOOD,
            aic: GEN_AIC,
            bic: GEN_BIC,
            condition_number: GEN_CONDITION_NUMBER,
            ssr: GEN_SSR,
            df_model: GEN_DF_MODEL,
            df_resid: GEN_DF_RESID,
        },
    );
}

#[test]
fn stackloss_ols_matches_statsmodels() {
    check_against_statsmodels(
        &read_csv("stackloss.csv"),
        &Expected {
            estimate: STACK_ESTIMATE,
            std_error: STACK_STD_ERROR,
            t_value: STACK_T_VALUE,
            p_value: STACK_P_VALUE,
            ci_lower: STACK_CI_LOWER,
            ci_upper: STACK_CI_UPPER,
            cov_params: STACK_COV_PARAMS,
            r_squared: STACK_R_SQUARED,
            adj_r_squared: STACK_ADJ_R_SQUARED,
            f_statistic: STACK_F_STATISTIC,
            f_p_value: STACK_F_P_VALUE,
            residual_std_error: STACK_RESIDUAL_STD_ERROR,
            log_likelihood: STACK_LOG_LIKELIHOOD,
            aic: STACK_AIC,
            bic: STACK_BIC,
            condition_number: STACK_CONDITION_NUMBER,
            ssr: STACK_SSR,
            df_model: STACK_DF_MODEL,
            df_resid: STACK_DF_RESID,
        },
    );
}

fn check_ridge(data: &Dataset, alpha: f64, intercept: f64, coef: &[f64], r_squared: f64, effective_df: f64) {
    let fit = fit_ols(
        &data.stats(),
        &data.features,
        &OlsOptions {
            l2: alpha,
            ..Default::default()
        },
    )
    .unwrap();
    assert_rel(fit.estimate[0], intercept, COEF_TOL, "ridge intercept");
    assert_all_rel(&fit.estimate[1..], coef, COEF_TOL, "ridge coef");
    assert_rel(fit.r_squared.unwrap(), r_squared, STAT_TOL, "ridge r_squared");
    assert_rel(fit.df_model, effective_df, STAT_TOL, "ridge effective df");
    assert_rel(
        fit.df_resid,
        data.rows.len() as f64 - 1.0 - effective_df,
        STAT_TOL,
        "ridge df_resid",
    );
    // No classical inference under ridge.
    assert!(fit
        .std_error
        .iter()
        .chain(&fit.p_value)
        .chain(&fit.ci_lower)
        .all(Option::is_none));
    assert!(fit.cov_params.is_none() && fit.f_statistic.is_none());
    assert_eq!(fit.l2, alpha);
}

#[test]
fn ridge_matches_scikit_learn() {
    let generated = read_csv("generated_ols.csv");
    check_ridge(
        &generated,
        RIDGE_SMALL_ALPHA,
        RIDGE_SMALL_INTERCEPT,
        RIDGE_SMALL_COEF,
        RIDGE_SMALL_R_SQUARED,
        RIDGE_SMALL_EFFECTIVE_DF,
    );
    check_ridge(
        &generated,
        RIDGE_LARGE_ALPHA,
        RIDGE_LARGE_INTERCEPT,
        RIDGE_LARGE_COEF,
        RIDGE_LARGE_R_SQUARED,
        RIDGE_LARGE_EFFECTIVE_DF,
    );
    check_ridge(
        &read_csv("stackloss.csv"),
        RIDGE_STACK_ALPHA,
        RIDGE_STACK_INTERCEPT,
        RIDGE_STACK_COEF,
        RIDGE_STACK_R_SQUARED,
        RIDGE_STACK_EFFECTIVE_DF,
    );
}
