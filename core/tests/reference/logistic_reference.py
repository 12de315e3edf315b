"""Reference values for tests/logistic_reference.rs and tests/logistic_metrics.rs.

Writes the input data to ../data/ (full repr precision, so Rust reads the
identical doubles) and prints the Rust literals that the tests paste verbatim:
  * unpenalised fits: statsmodels Logit(y, add_constant(X)).fit(method="newton", tol=1e-12)
    on a generated churn-like dataset (generated_logit.csv, n = 500, features on
    scales from ~1 to ~8000) and on Spector & Mazzeo's grade data as shipped with
    statsmodels (spector_logit.csv, n = 32); plus the closed-form null log-likelihood
    and the LR test and McFadden R^2 from it (numpy/scipy), because statsmodels' own
    llnull comes from a numerical optimiser and is ~1e-7 off on the generated data;
  * penalised fits: scikit-learn LogisticRegression(C=1/l2, tol=1e-10, max_iter=10000)
    with solver="newton-cholesky" (exact Newton; the default "lbfgs" is printed as a
    cross-check of the reference itself), whose objective 1/2 |w|^2 + C sum(logloss)
    times l2 is cltv's  -loglik + l2/2 |b|^2  (intercept not penalised);
  * classification metrics: scikit-learn roc_auc_score, log_loss, brier_score_loss,
    accuracy_score, precision_score, recall_score, f1_score (threshold 0.5, p >= 0.5
    is positive) on probabilities with many ties (binary_metrics_logit.csv).
  * separated data (separated_logit.csv, quasi_separated_logit.csv): scikit-learn as
    above with l2 = 1, where the penalised estimate exists; and the small dataset of the
    step-halving test (halving_logit.csv): statsmodels as above.
Re-run: python3 logistic_reference.py > /tmp/ref.rs   (numpy, statsmodels, scikit-learn)
"""
import pathlib
import warnings

import numpy as np
import scipy
from scipy import stats
import sklearn
import statsmodels
import statsmodels.api as sm
from sklearn import metrics
from sklearn.linear_model import LogisticRegression

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def generated():
    """Churn-like: tenure (months), monthly charges, support calls, total spend."""
    rng = np.random.default_rng(20240611)
    n = 500
    tenure = rng.integers(1, 73, n).astype(float)
    charges = np.round(rng.uniform(20, 120, n), 2)
    calls = rng.poisson(1.5, n).astype(float)
    total = np.round(tenure * charges * rng.uniform(0.9, 1.1, n), 2)
    eta = -1.0 - 0.05 * tenure + 0.025 * charges + 0.45 * calls - 0.0001 * total
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    X = np.column_stack([tenure, charges, calls, total])
    return ["tenure", "monthly_charges", "support_calls", "total_spend"], X, y


def spector():
    d = sm.datasets.spector.load_pandas().data
    names = ["GPA", "TUCE", "PSI"]
    return names, d[names].to_numpy(float), d["GRADE"].to_numpy(float)


def write_csv(path, names, X, y):
    with open(path, "w") as f:
        f.write(",".join(["y"] + names) + "\n")
        for yi, xi in zip(y, X):
            f.write(",".join(repr(float(v)) for v in [yi, *xi]) + "\n")


def lit(v):
    return "&[" + ", ".join(repr(float(x)) for x in np.ravel(v)) + "]"


def emit_logit(prefix, X, y):
    r = sm.Logit(y, sm.add_constant(X)).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    assert r.mle_retvals["converged"]
    ci = r.conf_int(0.05)
    print(f"const {prefix}_ESTIMATE: &[f64] = {lit(r.params)};")
    print(f"const {prefix}_STD_ERROR: &[f64] = {lit(r.bse)};")
    print(f"const {prefix}_Z_VALUE: &[f64] = {lit(r.tvalues)};")
    print(f"const {prefix}_P_VALUE: &[f64] = {lit(r.pvalues)};")
    print(f"const {prefix}_CI_LOWER: &[f64] = {lit(ci[:, 0])};")
    print(f"const {prefix}_CI_UPPER: &[f64] = {lit(ci[:, 1])};")
    print(f"const {prefix}_COV_PARAMS: &[f64] = {lit(r.cov_params())};")
    for name, v in [("LOG_LIKELIHOOD", r.llf), ("NULL_LOG_LIKELIHOOD", r.llnull), ("LR_CHI2", r.llr),
                    ("LR_P_VALUE", r.llr_pvalue), ("PSEUDO_R_SQUARED", r.prsquared), ("AIC", r.aic),
                    ("BIC", r.bic)]:
        print(f"const {prefix}_{name}: f64 = {float(v)!r};")
    # statsmodels gets llnull by fitting the constant-only model numerically (Nelder-Mead, then
    # BFGS), which is ~1e-7 off; the intercept-only MLE has the closed form n1 ln(n1/n) + n0 ln(n0/n).
    n, n1 = len(y), float(np.sum(y))
    n0 = n - n1
    llnull = n1 * np.log(n1 / n) + n0 * np.log(n0 / n)
    llr = 2 * (r.llf - llnull)
    print(f"// statsmodels' llnull is {r.llnull - llnull:.1e} off the closed form")
    print(f"const {prefix}_NULL_LOG_LIKELIHOOD_EXACT: f64 = {float(llnull)!r};")
    print(f"const {prefix}_LR_CHI2_EXACT: f64 = {float(llr)!r};")
    print(f"const {prefix}_LR_P_VALUE_EXACT: f64 = {float(stats.chi2.sf(llr, r.df_model))!r};")
    print(f"const {prefix}_PSEUDO_R_SQUARED_EXACT: f64 = {float(1 - r.llf / llnull)!r};")


def emit_penalised(prefix, X, y, l2):
    m = LogisticRegression(C=1 / l2, tol=1e-10, max_iter=10000, solver="newton-cholesky").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check = LogisticRegression(C=1 / l2, tol=1e-10, max_iter=10000).fit(X, y)
    est = np.concatenate([m.intercept_, m.coef_.ravel()])
    alt = np.concatenate([check.intercept_, check.coef_.ravel()])
    print(f"// solver=\"lbfgs\" differs from these by at most {np.max(np.abs(alt - est) / np.abs(est)):.1e} relative")
    print(f"const {prefix}_L2: f64 = {float(l2)!r};")
    print(f"const {prefix}_ESTIMATE: &[f64] = {lit(est)};")


def separated():
    """"spend" > 50 exactly when y = 1 (complete separation); "visits" is noise."""
    rng = np.random.default_rng(11)
    n = 40
    spend = np.round(rng.uniform(0, 100, n), 1)
    spend[spend == 50.0] = 50.5
    visits = rng.poisson(3, n).astype(float)
    y = (spend > 50).astype(float)
    return ["spend", "visits"], np.column_stack([spend, visits]), y


def quasi_separated():
    """Every row with "promo" = 1 has y = 1; "promo" = 0 rows have both classes."""
    rng = np.random.default_rng(12)
    n = 60
    promo = (rng.uniform(size=n) < 0.3).astype(float)
    tenure = np.round(rng.uniform(1, 36, n))
    y = np.where(promo == 1, 1.0, (rng.uniform(size=n) < 0.4).astype(float))
    return ["promo", "tenure"], np.column_stack([promo, tenure]), y


def halving():
    """Ten points with a mild slope; Newton started at slope 3 overshoots (see the test)."""
    x = np.array([-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1, 0, 1.0])
    return ["x"], x[:, None], y


def metrics_data():
    """Probabilities rounded to 0.05 steps in [0.05, 0.95]: many ties, one at 0.5 exactly."""
    rng = np.random.default_rng(7)
    n = 400
    u = rng.uniform(size=n)
    y = (rng.uniform(size=n) < 0.15 + 0.7 * u).astype(float)
    p = np.clip(np.round(u * 20) / 20, 0.05, 0.95)
    return y, p


def emit_metrics(prefix, y, p):
    pred = (p >= 0.5).astype(float)
    for name, v in [("AUC", metrics.roc_auc_score(y, p)), ("LOG_LOSS", metrics.log_loss(y, p)),
                    ("BRIER", metrics.brier_score_loss(y, p)), ("ACCURACY", metrics.accuracy_score(y, pred)),
                    ("PRECISION", metrics.precision_score(y, pred)), ("RECALL", metrics.recall_score(y, pred)),
                    ("F1", metrics.f1_score(y, pred)), ("BASE_RATE", y.mean())]:
        print(f"const {prefix}_{name}: f64 = {float(v)!r};")


def main():
    print(f"// statsmodels {statsmodels.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}:")
    print("// output of tests/reference/logistic_reference.py")
    for prefix, (names, X, y), file in [("GEN", generated(), "generated_logit.csv"),
                                        ("SPECTOR", spector(), "spector_logit.csv")]:
        write_csv(DATA / file, names, X, y)
        emit_logit(prefix, X, y)
    names, X, y = generated()
    emit_penalised("GEN_L2_SMALL", X, y, 2.0)
    emit_penalised("GEN_L2_LARGE", X, y, 500.0)
    names, X, y = spector()
    emit_penalised("SPECTOR_L2", X, y, 0.5)
    # Separated data: no maximum-likelihood estimate, but the penalised one exists.
    for prefix, (names, X, y), file in [("SEPARATED", separated(), "separated_logit.csv"),
                                        ("QUASI", quasi_separated(), "quasi_separated_logit.csv")]:
        write_csv(DATA / file, names, X, y)
        emit_penalised(f"{prefix}_L2", X, y, 1.0)
    names, X, y = halving()
    write_csv(DATA / "halving_logit.csv", names, X, y)
    r = sm.Logit(y, sm.add_constant(X)).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    print(f"const HALVING_ESTIMATE: &[f64] = {lit(r.params)};")
    print(f"const HALVING_STD_ERROR: &[f64] = {lit(r.bse)};")

    y, p = metrics_data()
    write_csv(DATA / "binary_metrics_logit.csv", ["p"], p[:, None], y)
    emit_metrics("TIES", y, p)
    # Metrics of the statsmodels fit on the Spector data, on its own training rows.
    names, X, y = spector()
    r = sm.Logit(y, sm.add_constant(X)).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    emit_metrics("SPECTOR_TRAIN", y, r.predict(sm.add_constant(X)))


if __name__ == "__main__":
    main()
