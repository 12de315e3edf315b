//! NIST StRD certified linear regression datasets
//! (https://www.itl.nist.gov/div898/strd/lls/lls.shtml). Data and certified
//! values are in tests/data/*.txt with their provenance; every certified value
//! was re-derived by exact rational arithmetic in
//! tests/reference/verify_nist.py.
//!
//! Tolerance: 1e-7 relative for estimates, standard errors and residual SD,
//! 1e-7 absolute for R². Where NIST certifies an exact zero (Wampler1/2 are
//! exact polynomial fits), a relative error is undefined: the standard errors
//! must be below 1e-7·|estimate| and the residual SD below 1e-7·sd(y), i.e.
//! zero to the precision the data are held in.

mod common;

use cltv_core::error::Error;
use cltv_core::fit::ols::{fit_ols, OlsOptions};
use cltv_core::fit::suffstats::{StateMut, SuffStats};
use common::{read_nist, rel_err, unwrap_all, NistDataset};

const TOL: f64 = 1e-7;

/// Fits the dataset and checks it against the certified values (estimates to
/// `estimate_tol`, everything else to [`TOL`]); returns the worst relative
/// error over estimates, standard errors and residual SD.
fn check_certified(set: &NistDataset, stats: &SuffStats, estimate_tol: f64) -> f64 {
    let fit = fit_ols(stats, &set.data.features, &OlsOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", set.name));
    let se = unwrap_all(&fit.std_error);
    let mut worst = 0.0_f64;
    assert_eq!(fit.estimate.len(), set.estimate.len());
    let rows = fit
        .estimate
        .iter()
        .zip(&se)
        .zip(set.estimate.iter().zip(&set.std_error));
    for (i, ((&got, &got_se), (&want, &want_se))) in rows.enumerate() {
        let err = rel_err(got, want);
        assert!(
            err <= estimate_tol,
            "{} B{i}: got {got:e}, certified {want:e}, rel err {err:e}",
            set.name
        );
        worst = worst.max(err);
        if want_se == 0.0 {
            assert!(
                got_se <= TOL * want.abs(),
                "{} SE(B{i}) = {got_se:e}, certified 0",
                set.name
            );
        } else {
            let err = rel_err(got_se, want_se);
            assert!(
                err <= TOL,
                "{} SE(B{i}): got {got_se:e}, certified {want_se:e}, rel err {err:e}",
                set.name
            );
            worst = worst.max(err);
        }
    }
    let rsd = fit.residual_std_error.unwrap();
    if set.residual_sd == 0.0 {
        let n = set.data.rows.len() as f64;
        let sd_y = (stats.cyy() / (n - 1.0)).sqrt();
        assert!(rsd <= TOL * sd_y, "{} residual SD {rsd:e}, certified 0", set.name);
    } else {
        let err = rel_err(rsd, set.residual_sd);
        assert!(
            err <= TOL,
            "{} residual SD: got {rsd:e}, certified {:e}",
            set.name,
            set.residual_sd
        );
        worst = worst.max(err);
    }
    let r2 = fit.r_squared.unwrap();
    assert!(
        (r2 - set.r_squared).abs() <= TOL,
        "{} R²: got {r2}, certified {}",
        set.name,
        set.r_squared
    );
    worst
}

fn run(file: &str) -> f64 {
    let set = read_nist(file);
    let worst = check_certified(&set, &set.data.stats(), TOL);
    println!("{:10} worst relative error {worst:.2e}", set.name);
    worst
}

#[test]
fn longley() {
    run("longley.txt");
}

#[test]
fn norris() {
    run("norris.txt");
}

#[test]
fn pontius() {
    run("pontius.txt");
}

#[test]
fn wampler1() {
    run("wampler1.txt");
}

#[test]
fn wampler2() {
    run("wampler2.txt");
}

/// Wampler3–5 (Wampler1's polynomial plus large noise): standard errors,
/// residual SD and R² meet 1e-7, the coefficients do NOT (worst 9.9e-7, B1 of
/// Wampler5). That is the limit of f64 sufficient statistics, not of the
/// solver: rounding the *exact* centred statistics to f64 and then solving in
/// exact rational arithmetic already misses B1 by 1.4e-7, because the
/// features' correlation matrix has condition number 2.7e6. These datasets are
/// therefore not counted as passing; this test only guards against
/// regressions, with the coefficient tolerance stated here, not hidden.
#[test]
fn wampler3_to_5_coefficients_within_1e_6_only() {
    for file in ["wampler3.txt", "wampler4.txt", "wampler5.txt"] {
        let set = read_nist(file);
        let worst = check_certified(&set, &set.data.stats(), 1e-6);
        println!(
            "{:10} worst relative error {worst:.2e} (estimates to 1e-6 only)",
            set.name
        );
    }
}

/// The certified fit must also come out of a state assembled by merging
/// partial states, as a parallel aggregate would.
#[test]
fn longley_from_merged_partial_states() {
    let set = read_nist("longley.txt");
    let rows = &set.data.rows;
    let mut total = set.data.state_of(&rows[..5]);
    let mut state = StateMut::new(&mut total).unwrap();
    state.merge(&set.data.state_of(&rows[5..11])).unwrap();
    state.merge(&set.data.state_of(&rows[11..])).unwrap();
    check_certified(&set, &SuffStats::from_state(&total).unwrap(), TOL);
}

/// Filip (10th-degree polynomial) needs ~30 significant digits through the
/// normal equations: its feature correlation matrix has condition number
/// ~7.5e16. The fit must refuse it as collinear rather than return digits of
/// noise; it is therefore not among the certified checks.
#[test]
fn filip_is_refused_as_collinear() {
    let set = read_nist("filip.txt");
    match fit_ols(&set.data.stats(), &set.data.features, &OlsOptions::default()) {
        Err(Error::Collinear { feature, depends_on }) => {
            assert!(feature.starts_with("x^"), "{feature}");
            assert!(!depends_on.is_empty());
        }
        other => panic!("expected a collinearity error, got {other:?}"),
    }
}

/// The condition number of the raw design [1, X] (statsmodels' "Cond. No.").
/// Not certified by NIST; the exact values come from exact XᵀX eigenvalues in
/// tests/reference/verify_nist.py (statsmodels prints 4859257015.454873 for
/// Longley). Pontius (1.4e13) checks that σ_min survives far beyond the 1e8
/// where eigenvalues of a reconstructed XᵀX would lose it.
#[test]
#[allow(clippy::excessive_precision)] // exact values, quoted as computed
fn condition_numbers_match_exact_values() {
    for (file, exact) in [
        ("longley.txt", 4859257015.4550262),
        ("norris.txt", 855.22334571639747),
        ("pontius.txt", 14230284515837.738),
        ("wampler1.txt", 6398930.0539000732),
    ] {
        let set = read_nist(file);
        let fit = fit_ols(&set.data.stats(), &set.data.features, &OlsOptions::default()).unwrap();
        let err = rel_err(fit.condition_number.unwrap(), exact);
        println!("{:10} condition number relative error {err:.1e}", set.name);
        assert!(err <= 1e-9, "{}: {:?} vs {exact}", set.name, fit.condition_number);
    }
}
