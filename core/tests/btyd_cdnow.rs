//! The BTYD models on the CDNOW data (`data/cdnow`, see its README): RFM summary,
//! BG/NBD, Gamma-Gamma and CLV against the published figures (Fader, Hardie & Lee
//! 2005; Fader & Hardie's Gamma-Gamma note; Hardie's worked example) and against
//! lifetimes 0.11.3. The literals after "verbatim output" are printed by
//! tests/reference/btyd_reference.py, which recomputes the RFM summary with pandas.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Instant;

use cltv_core::fit::bgnbd::{
    calibration_table, compress, fit_bgnbd, BgNbdFit, BgNbdParams, FitOptions, CALIBRATION_TOP_BUCKET,
};
use cltv_core::fit::clv::{clv, expected_discounted_purchases, ClvOptions, Discounting, MONTH_IN_WEEKS};
use cltv_core::fit::gamma_gamma::{fit_gamma_gamma, GammaGammaFitOptions, GammaGammaParams};
use cltv_core::fit::rfm::{rfm_merge, rfm_push, rfm_summarize, summarize, RfmOptions, RfmSummary};

// ------------------------------------------------------------------ published figures
/// FHL 2005, BG/NBD on the 2,357-customer sample (rounded to 3 decimals).
const PUBLISHED_BG: [f64; 4] = [0.243, 4.414, 0.793, 2.426];
const PUBLISHED_BG_LL: f64 = -9582.4;
/// Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (rounded to 2 decimals).
const PUBLISHED_GG: [f64; 3] = [6.25, 3.74, 15.44];
const PUBLISHED_GG_MEAN: f64 = 35.2;

// ------------------------------------------------------------------ lifetimes and pandas

// Verbatim output of tests/reference/btyd_reference.py.
#[rustfmt::skip]
mod reference {
// CDNOW sample: 2357 customers, 946 with frequency > 0, 1882 holdout purchases
// lifetimes 0.11.3 BetaGeoFitter: {'r': 0.24259454342106715, 'alpha': 4.413602716077379, 'a': 0.7929218333480146, 'b': 2.4259057287223023}
// polished (max |gradient| of -LL in log-params 1.3e-13):
pub const BG_PARAMS: [f64; 4] = [0.24259452243015717, 4.41360201901351, 0.7929220172256608, 2.425906776826583];
pub const BG_LL: f64 = -9582.42920667393;
pub const BG_SE: [f64; 4] = [0.012557378067872261, 0.37822405985380697, 0.18573382137222672, 0.7054142597950323];
// lifetimes predictions with BG_PARAMS: (customer_id, x, t_x, T, P(alive), E[Y(39)], E[Y(52.14)])
pub type Prediction = (u32, f64, f64, f64, f64, f64, f64);
pub const BG_PREDICTIONS: &[Prediction] = &[
    (1, 2.0, 30.428571428571427, 38.857142857142854, 0.7266203116623732, 1.2259944552872843, 1.5621196660270515),
    (2, 1.0, 1.7142857142857142, 38.857142857142854, 0.21239104439734324, 0.20341884752960537, 0.26070981009232136),
    (3, 0.0, 0.0, 38.857142857142854, 1.0, 0.19479363123438986, 0.2522775474602024),
    (6, 7.0, 29.428571428571427, 38.857142857142854, 0.6418347095104234, 3.337571358045992, 4.208341537143936),
    (9, 2.0, 35.714285714285715, 38.857142857142854, 0.7848729803822233, 1.3242816180736277, 1.687353764145849),
    (26, 1.0, 1.5714285714285714, 38.714285714285715, 0.20820578991309618, 0.1999839371496319, 0.2562831172339976),
    (59, 1.0, 38.42857142857143, 38.42857142857143, 0.7536613259174196, 0.7280887003669257, 0.9328804573250247),
    (320, 0.0, 0.0, 37.0, 1.0, 0.20263735603098956, 0.26217529183653243),
    (1080, 0.0, 0.0, 33.142857142857146, 1.0, 0.22115937897420643, 0.28548635732941446),
    (2357, 0.0, 0.0, 27.0, 1.0, 0.25897897621382077, 0.33283334490648625),
];
// lifetimes expected_number_of_purchases_up_to_time (E[X(t)], eq. 7): (t, value)
pub const BG_UNCONDITIONAL: &[(f64, f64)] = &[
    (1.0, 0.05318429150321248),
    (39.0, 1.1950100406517494),
    (78.0, 1.8579583901132004),
];
// hand-checkable summaries recomputed by pandas: (customer_id, x, t_x, T, m, holdout x, holdout spend)
pub type RfmCustomer = (u32, f64, f64, f64, f64, f64, f64);
pub const RFM_CUSTOMERS: &[RfmCustomer] = &[
    (1, 2.0, 30.428571428571427, 38.857142857142854, 22.345, 1.0, 26.48),
    (2, 1.0, 1.7142857142857142, 38.857142857142854, 11.77, 0.0, 0.0),
    (3, 0.0, 0.0, 38.857142857142854, 0.0, 0.0, 0.0),
    (6, 7.0, 29.428571428571427, 38.857142857142854, 73.74142857142859, 8.0, 554.86),
    (9, 2.0, 35.714285714285715, 38.857142857142854, 25.549999999999997, 2.0, 57.47),
    (26, 1.0, 1.5714285714285714, 38.714285714285715, 227.14, 0.0, 0.0),
    (59, 1.0, 38.42857142857143, 38.42857142857143, 6.49, 2.0, 49.980000000000004),
    (320, 0.0, 0.0, 37.0, 0.0, 1.0, 11.88),
    (1080, 0.0, 0.0, 33.142857142857146, 0.0, 0.0, 0.0),
    (2357, 0.0, 0.0, 27.0, 0.0, 0.0, 0.0),
];
pub const SAMPLE_TOTALS: (f64, f64, f64, f64) = (2457.0, 16135.57142857143, 77111.28571428571, 1882.0); // Σx, Σt_x, ΣT, Σ holdout x
// lifetimes GammaGammaFitter on the 946 repeat customers: {'p': 6.249572277636053, 'q': 3.7442246747582915, 'v': 15.44352101836175}
// polished (max |gradient| 5.7e-12); SE from the natural-parameter Hessian:
pub const GG_PARAMS: [f64; 3] = [6.249572271324383, 3.7442246671318795, 15.443520962586927];
pub const GG_LL: f64 = -4055.9176948018753;
pub const GG_SE: [f64; 3] = [1.1900553359641082, 0.29013306527617205, 4.159422751967449];
pub const GG_CORRELATION: f64 = 0.11388791939125481; // numpy corrcoef(x, m) over the repeat customers
pub const GG_POPULATION_MEAN: f64 = 35.170371265656236;
// lifetimes conditional_expected_average_profit: (customer_id, x, m, E[Z | x, m])
pub const GG_SPEND: &[(u32, f64, f64, f64)] = &[
    (1, 2.0, 22.345, 24.65391869822031),
    (2, 1.0, 11.77, 18.91001844678964),
    (6, 7.0, 73.74142857142859, 71.46470572270385),
    (9, 2.0, 25.549999999999997, 27.281930767460594),
    (26, 1.0, 227.14, 168.56542975810626),
    (59, 1.0, 6.49, 15.241073971125658),
];
// lifetimes customer_lifetime_value(time=12, discount_rate=0.01, freq='W'): (customer_id, CLV)
pub const LIFETIMES_CLV: &[(u32, f64)] = &[
    (1, 36.27397810634899),
    (2, 4.640936574048514),
    (6, 283.5580871191669),
    (9, 43.358692193752354),
    (26, 40.66762176452747),
    (59, 13.384736012796896),
];
// CDNOW master: 23570 customers, 9451 with frequency > 0; lifetimes: {'r': 0.251624011424104, 'alpha': 4.788945170327028, 'a': 0.7234330357288162, 'b': 2.161086981372379}; polished (max |gradient| 7.9e-12):
pub const MASTER_PARAMS: [f64; 4] = [0.25162395885212263, 4.788942961859944, 0.7234335767575099, 2.1610883589413796];
pub const MASTER_LL: f64 = -95368.44393316076;
}
use reference::*;

// ------------------------------------------------------------------ data

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn day(iso: &str) -> f64 {
    let mut parts = iso.split('-').map(|p| p.parse::<i64>().unwrap());
    let (y, m, d) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    days_from_civil(y, m, d) as f64
}

fn cdnow_options() -> RfmOptions {
    RfmOptions {
        calibration_end: day("1997-09-30"),
        holdout_end: Some(day("1998-06-30")),
        unit_days: 7.0,
    }
}

/// Each customer's (day, dollars) rows in file order.
fn read_cdnow(file: &str) -> BTreeMap<u32, Vec<(f64, f64)>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/cdnow")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, date, dollars) = (col("customer_id"), col("date"), col("dollars"));
    let mut out: BTreeMap<u32, Vec<(f64, f64)>> = BTreeMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        out.entry(f[id].parse().unwrap())
            .or_default()
            .push((day(f[date]), f[dollars].parse().unwrap()));
    }
    out
}

fn summaries_of(file: &str) -> Vec<(u32, RfmSummary)> {
    read_cdnow(file)
        .into_iter()
        .filter_map(|(id, rows)| summarize(&rows, &cdnow_options()).unwrap().map(|s| (id, s)))
        .collect()
}

fn sample() -> &'static [(u32, RfmSummary)] {
    static S: OnceLock<Vec<(u32, RfmSummary)>> = OnceLock::new();
    S.get_or_init(|| summaries_of("cdnow_sample_transactions.csv"))
}

fn sample_fit() -> &'static BgNbdFit {
    static F: OnceLock<BgNbdFit> = OnceLock::new();
    F.get_or_init(|| {
        let rows = compress(sample().iter().map(|(_, s)| (s.frequency, s.recency, s.t)));
        fit_bgnbd(&rows, &FitOptions::default()).unwrap()
    })
}

fn bg(p: [f64; 4]) -> BgNbdParams {
    BgNbdParams {
        r: p[0],
        alpha: p[1],
        a: p[2],
        b: p[3],
    }
}

fn bg_vec(p: &BgNbdParams) -> [f64; 4] {
    [p.r, p.alpha, p.a, p.b]
}

fn gg(p: [f64; 3]) -> GammaGammaParams {
    GammaGammaParams {
        p: p[0],
        q: p[1],
        v: p[2],
    }
}

fn rel(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let s = 10f64.powi(decimals);
    (v * s).round() / s
}

// ------------------------------------------------------------------ RFM

#[test]
fn rfm_summary_counts_match_the_papers() {
    let s = sample();
    // FHL 2005: 2,357 customers, of whom 946 made a repeat purchase in the 39-week calibration.
    assert_eq!(s.len(), 2357);
    assert_eq!(s.iter().filter(|(_, c)| c.frequency > 0.0).count(), 946);
    let (sx, stx, st, sh) = s.iter().fold((0.0, 0.0, 0.0, 0.0), |acc, (_, c)| {
        (
            acc.0 + c.frequency,
            acc.1 + c.recency,
            acc.2 + c.t,
            acc.3 + c.holdout_frequency.unwrap(),
        )
    });
    assert_eq!((sx, sh), (SAMPLE_TOTALS.0, SAMPLE_TOTALS.3));
    assert!(rel(stx, SAMPLE_TOTALS.1) < 1e-13 && rel(st, SAMPLE_TOTALS.2) < 1e-13);
    // Every customer was acquired in 1997Q1: T between 27 and 39 weeks.
    assert!(s
        .iter()
        .all(|(_, c)| c.t > 26.9 && c.t <= 39.0 && c.recency <= c.t));
}

#[test]
fn rfm_hand_checked_customers() {
    // By hand from the CSV: customer 26 bought on 1997-01-02 ($3.99) and twice on 1997-01-13
    // ($166.89 + $60.25, one purchase day): x = 1, t_x = 11/7, T = 271/7, m = 227.14.
    // Customer 59 bought on 1997-01-04 and on 1997-09-30, the last calibration day (counted in
    // calibration: x = 1, t_x = T = 269/7), then twice in the holdout ($12.99 + $36.99).
    // Customer 320 bought on 1997-01-14 and on 1998-06-30, the last holdout day (counted).
    let by_id: BTreeMap<u32, RfmSummary> = sample().iter().copied().collect();
    let c26 = by_id[&26];
    assert_eq!(
        (c26.frequency, c26.recency, c26.t),
        (1.0, 11.0 / 7.0, 271.0 / 7.0)
    );
    assert!((c26.monetary_value - 227.14).abs() < 1e-12);
    let c59 = by_id[&59];
    assert_eq!(
        (c59.frequency, c59.recency, c59.t),
        (1.0, 269.0 / 7.0, 269.0 / 7.0)
    );
    assert_eq!(c59.holdout_frequency, Some(2.0));
    assert!((c59.holdout_spend.unwrap() - 49.98).abs() < 1e-12);
    let c320 = by_id[&320];
    assert_eq!(
        (c320.frequency, c320.recency, c320.monetary_value),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(c320.holdout_frequency, Some(1.0));
    // And the pandas recomputation for all the listed customers.
    for &(id, x, t_x, t, m, hx, hs) in RFM_CUSTOMERS {
        let c = by_id[&id];
        assert_eq!((c.frequency, c.recency, c.t), (x, t_x, t), "customer {id}");
        assert!(
            (c.monetary_value - m).abs() <= 1e-12 * m.max(1.0),
            "customer {id}"
        );
        assert_eq!(c.holdout_frequency, Some(hx), "customer {id}");
        assert!(
            (c.holdout_spend.unwrap() - hs).abs() <= 1e-12 * hs.max(1.0),
            "customer {id}"
        );
    }
}

#[test]
fn rfm_accumulator_pushes_and_merges_like_summarize() {
    let opts = cdnow_options();
    let by_id: BTreeMap<u32, RfmSummary> = sample().iter().copied().collect();
    for (id, rows) in read_cdnow("cdnow_sample_transactions.csv") {
        // Two "parallel workers" take alternate rows, in reverse order for one of them.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (k, &(d, s)) in rows.iter().enumerate() {
            if k % 2 == 0 {
                rfm_push(&mut a, d, s).unwrap();
            }
        }
        for (k, &(d, s)) in rows.iter().enumerate().rev() {
            if k % 2 == 1 {
                rfm_push(&mut b, d, s).unwrap();
            }
        }
        let merged = rfm_merge(&a, &b);
        let mut direct = Vec::new();
        for &(d, s) in &rows {
            rfm_push(&mut direct, d, s).unwrap();
        }
        assert_eq!(merged.len(), direct.len(), "customer {id}");
        let got = rfm_summarize(&merged, &opts).unwrap();
        let want = by_id.get(&id).copied();
        match (got, want) {
            (Some(g), Some(w)) => {
                assert_eq!((g.frequency, g.recency, g.t), (w.frequency, w.recency, w.t));
                assert!(
                    (g.monetary_value - w.monetary_value).abs() < 1e-9,
                    "customer {id}"
                );
                assert!((g.holdout_spend.unwrap() - w.holdout_spend.unwrap()).abs() < 1e-9);
            }
            (None, None) => {}
            other => panic!("customer {id}: {other:?}"),
        }
    }
}

// ------------------------------------------------------------------ BG/NBD

#[test]
fn bgnbd_matches_the_published_fit_and_lifetimes() {
    let fit = sample_fit();
    assert!(fit.converged, "{fit:?}");
    assert_eq!(fit.n_customers, 2357.0);
    let got = bg_vec(&fit.params);
    for i in 0..4 {
        // Published figures are rounded to 3 decimals: the fit must round to them.
        assert_eq!(round_to(got[i], 3), PUBLISHED_BG[i], "parameter {i}: {}", got[i]);
        assert!((got[i] - PUBLISHED_BG[i]).abs() <= 1e-3);
        // lifetimes' optimum, polished: far tighter.
        assert!(
            rel(got[i], BG_PARAMS[i]) < 1e-11,
            "parameter {i}: {} vs {}",
            got[i],
            BG_PARAMS[i]
        );
    }
    assert!(
        (fit.log_likelihood - PUBLISHED_BG_LL).abs() < 0.1,
        "{}",
        fit.log_likelihood
    );
    assert!(
        rel(fit.log_likelihood, BG_LL) < 1e-12,
        "{} vs {BG_LL}",
        fit.log_likelihood
    );
    let se = fit.std_errors.expect("standard errors");
    for i in 0..4 {
        assert!(rel(se[i], BG_SE[i]) < 1e-10, "SE {i}: {} vs {}", se[i], BG_SE[i]);
    }
}

#[test]
fn bgnbd_hardie_worked_example() {
    // Hardie: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    for p in [bg(PUBLISHED_BG), sample_fit().params] {
        let e = p.expected_purchases(39.0, 2.0, 30.43, 38.86);
        assert!((e - 1.226).abs() < 1e-3, "{e} with {p:?}");
    }
}

#[test]
fn bgnbd_predictions_match_lifetimes() {
    let p = bg(BG_PARAMS);
    let fitted = sample_fit().params;
    for &(id, x, t_x, t, alive, e39, e52) in BG_PREDICTIONS {
        assert!(rel(p.p_alive(x, t_x, t), alive) < 1e-13, "P(alive) of {id}");
        assert!(
            rel(p.expected_purchases(39.0, x, t_x, t), e39) < 1e-12,
            "E[Y(39)] of {id}"
        );
        assert!(
            rel(p.expected_purchases(52.14, x, t_x, t), e52) < 1e-12,
            "E[Y(52.14)] of {id}"
        );
        assert!(
            rel(fitted.expected_purchases(39.0, x, t_x, t), e39) < 1e-8,
            "E[Y(39)] of {id}, own fit"
        );
    }
    for &(t, want) in BG_UNCONDITIONAL {
        assert!(
            rel(p.unconditional_expected_purchases(t), want) < 1e-12,
            "E[X({t})]"
        );
    }
}

#[test]
fn bgnbd_converges_to_the_same_optimum_from_several_starts() {
    let rows = compress(sample().iter().map(|(_, s)| (s.frequency, s.recency, s.t)));
    let starts = [
        None,
        // lifetimes' start: exp(0.1) for every log-parameter, time scaled to max T = 10.
        Some([
            0.1f64.exp(),
            0.1f64.exp() * 38.857 / 10.0,
            0.1f64.exp(),
            0.1f64.exp(),
        ]),
        Some([0.01, 100.0, 5.0, 0.2]),
        Some([5.0, 0.5, 0.05, 20.0]),
        Some([50.0, 1000.0, 20.0, 50.0]),
        Some([1e-3, 1e4, 1e-3, 1e3]),
    ];
    let reference = bg_vec(&sample_fit().params);
    for start in starts {
        let opts = FitOptions {
            start: start.map(bg),
            ..FitOptions::default()
        };
        let fit = fit_bgnbd(&rows, &opts).unwrap();
        assert!(fit.converged, "start {start:?}: {fit:?}");
        let got = bg_vec(&fit.params);
        for i in 0..4 {
            assert!(
                rel(got[i], reference[i]) < 1e-10,
                "start {start:?}, parameter {i}: {} vs {}",
                got[i],
                reference[i]
            );
        }
    }
}

#[test]
fn bgnbd_compressed_and_raw_rows_fit_alike() {
    let raw: Vec<((f64, f64, f64), f64)> = sample()
        .iter()
        .map(|(_, s)| ((s.frequency, s.recency, s.t), 1.0))
        .collect();
    let fit = fit_bgnbd(&raw, &FitOptions::default()).unwrap();
    let compressed = sample_fit();
    assert_eq!(fit.n_distinct, compressed.n_distinct);
    assert!(fit.n_distinct < 2357);
    for i in 0..4 {
        assert!(rel(bg_vec(&fit.params)[i], bg_vec(&compressed.params)[i]) < 1e-12);
    }
}

#[test]
fn bgnbd_fit_survives_json() {
    let fit = sample_fit();
    let json = serde_json::to_string(fit).unwrap();
    let back: BgNbdFit = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, fit);
}

#[test]
fn calibration_table_matches_a_direct_computation() {
    let p = sample_fit().params;
    let rows: Vec<(f64, f64, f64, f64)> = sample()
        .iter()
        .map(|(_, s)| (s.frequency, s.recency, s.t, s.holdout_frequency.unwrap()))
        .collect();
    let table = calibration_table(&rows, &p, 39.0).unwrap();
    assert_eq!(table.len(), 8);
    let mut total = 0;
    for bucket in &table {
        let k = bucket.frequency as f64;
        let members: Vec<&(f64, f64, f64, f64)> = rows
            .iter()
            .filter(|r| {
                if bucket.frequency == CALIBRATION_TOP_BUCKET {
                    r.0 >= k
                } else {
                    r.0 == k
                }
            })
            .collect();
        let n = members.len() as f64;
        assert_eq!(bucket.customers, members.len() as u64);
        let actual = members.iter().map(|r| r.3).sum::<f64>() / n;
        let predicted = members
            .iter()
            .map(|r| p.expected_purchases(39.0, r.0, r.1, r.2))
            .sum::<f64>()
            / n;
        assert!((bucket.mean_actual - actual).abs() < 1e-12 * actual.max(1.0));
        assert!((bucket.mean_predicted - predicted).abs() < 1e-12 * predicted);
        total += bucket.customers;
    }
    assert_eq!(total, 2357);
    // The holdout purchases add up to pandas' total.
    let actual_total: f64 = table.iter().map(|b| b.mean_actual * b.customers as f64).sum();
    assert!((actual_total - SAMPLE_TOTALS.3).abs() < 1e-9);
}

// ------------------------------------------------------------------ Gamma-Gamma

fn repeat_spend() -> Vec<(f64, f64)> {
    sample()
        .iter()
        .map(|(_, s)| (s.frequency, s.monetary_value))
        .collect()
}

#[test]
fn gamma_gamma_matches_the_published_fit_and_lifetimes() {
    // All 2,357 customers go in; the 1,411 without repeat purchase are left out.
    let fit = fit_gamma_gamma(&repeat_spend(), &GammaGammaFitOptions::default()).unwrap();
    assert!(fit.converged);
    assert_eq!((fit.n_customers, fit.n_excluded), (946.0, 1411.0));
    let got = [fit.params.p, fit.params.q, fit.params.v];
    for i in 0..3 {
        assert_eq!(round_to(got[i], 2), PUBLISHED_GG[i], "parameter {i}: {}", got[i]);
        assert!((got[i] - PUBLISHED_GG[i]).abs() <= 0.01);
        assert!(
            rel(got[i], GG_PARAMS[i]) < 1e-11,
            "parameter {i}: {} vs {}",
            got[i],
            GG_PARAMS[i]
        );
    }
    assert!(rel(fit.log_likelihood, GG_LL) < 1e-12);
    let mean = fit.params.population_mean_spend();
    assert!((mean - PUBLISHED_GG_MEAN).abs() < 0.05, "{mean}");
    assert!(rel(mean, GG_POPULATION_MEAN) < 1e-11);
    let se = fit.std_errors.unwrap();
    for i in 0..3 {
        assert!(rel(se[i], GG_SE[i]) < 1e-10, "SE {i}: {} vs {}", se[i], GG_SE[i]);
    }
    let corr = fit.frequency_spend_correlation.unwrap();
    assert!((corr - GG_CORRELATION).abs() < 1e-12, "{corr}");
}

#[test]
fn gamma_gamma_converges_from_several_starts() {
    let data = repeat_spend();
    let reference = fit_gamma_gamma(&data, &GammaGammaFitOptions::default())
        .unwrap()
        .params;
    for start in [
        [1.0, 1.0, 1.0],
        [0.1, 10.0, 300.0],
        [40.0, 1.5, 2.0],
        [2.0, 20.0, 100.0],
        [1e-3, 1e3, 1e-2],
    ] {
        let opts = GammaGammaFitOptions {
            start: Some(gg(start)),
            ..GammaGammaFitOptions::default()
        };
        let fit = fit_gamma_gamma(&data, &opts).unwrap();
        assert!(fit.converged, "start {start:?}");
        for (g, w) in
            [fit.params.p, fit.params.q, fit.params.v]
                .iter()
                .zip([reference.p, reference.q, reference.v])
        {
            assert!(rel(*g, w) < 1e-10, "start {start:?}: {g} vs {w}");
        }
    }
}

#[test]
fn conditional_spend_matches_lifetimes() {
    let p = gg(GG_PARAMS);
    for &(id, x, m, want) in GG_SPEND {
        assert!(
            rel(p.conditional_expected_spend(x, m), want) < 1e-13,
            "customer {id}"
        );
    }
}

// ------------------------------------------------------------------ CLV

#[test]
fn clv_matches_lifetimes() {
    let (b, g) = (bg(BG_PARAMS), gg(GG_PARAMS));
    let by_id: BTreeMap<u32, RfmSummary> = sample().iter().copied().collect();
    // lifetimes' default: 12 months of 4.345 weeks, 1% a month.
    let opts = ClvOptions::lifetimes(12, 0.01, MONTH_IN_WEEKS);
    for &(id, want) in LIFETIMES_CLV {
        let s = by_id[&id];
        let got = clv(&b, &g, s.frequency, s.recency, s.t, s.monetary_value, &opts).unwrap();
        assert!(rel(got, want) < 1e-12, "customer {id}: {got} vs {want}");
    }
}

#[test]
fn continuous_discounting_is_the_stieltjes_integral() {
    let b = bg(BG_PARAMS);
    let month = MONTH_IN_WEEKS;
    let delta = 1.01f64.ln() / month;
    let horizon = 24.0 * month;
    for &(id, x, t_x, t, ..) in BG_PREDICTIONS {
        let opts = ClvOptions {
            horizon,
            month_in_units: month,
            discounting: Discounting::Continuous { rate: delta },
        };
        let got = expected_discounted_purchases(&b, x, t_x, t, &opts).unwrap();
        // Midpoint Riemann–Stieltjes sum Σ e^(−δ s_mid) (E(s_k) − E(s_{k−1})), error O(h²).
        let steps = 20_000;
        let h = horizon / steps as f64;
        let mut prev = 0.0;
        let mut sum = 0.0;
        for k in 1..=steps {
            let e = b.expected_purchases(k as f64 * h, x, t_x, t);
            sum += (-delta * (k as f64 - 0.5) * h).exp() * (e - prev);
            prev = e;
        }
        assert!(rel(got, sum) < 1e-9, "customer {id}: {got} vs {sum}");
        // Continuous discounting books purchases earlier than the month-end convention.
        let monthly =
            expected_discounted_purchases(&b, x, t_x, t, &ClvOptions::lifetimes(24, 0.01, month)).unwrap();
        assert!(got > monthly && got < monthly * 1.01, "customer {id}");
    }
}

// ------------------------------------------------------------------ full cohort

#[test]
fn master_cohort_fit() {
    let s = summaries_of("cdnow_master_transactions.csv");
    assert_eq!(s.len(), 23_570);
    assert_eq!(s.iter().filter(|(_, c)| c.frequency > 0.0).count(), 9451);
    let started = Instant::now();
    let rows = compress(s.iter().map(|(_, c)| (c.frequency, c.recency, c.t)));
    let fit = fit_bgnbd(&rows, &FitOptions::default()).unwrap();
    let elapsed = started.elapsed();
    eprintln!(
        "CDNOW master: {} customers, {} distinct summaries, {} Newton iterations, compress + fit {:?}",
        fit.n_customers, fit.n_distinct, fit.iterations, elapsed
    );
    assert!(fit.converged);
    let got = bg_vec(&fit.params);
    for i in 0..4 {
        assert!(
            rel(got[i], MASTER_PARAMS[i]) < 1e-11,
            "parameter {i}: {} vs {}",
            got[i],
            MASTER_PARAMS[i]
        );
    }
    assert!(rel(fit.log_likelihood, MASTER_LL) < 1e-12);
}
