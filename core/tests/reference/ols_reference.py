"""Reference values for tests/statsmodels_reference.rs.

Writes the input data to ../data/generated_ols.csv and ../data/stackloss.csv
(full repr precision, so Rust reads the identical doubles) and prints the
Rust literals that the test pastes verbatim:
  * OLS: statsmodels OLS(y, add_constant(X)).fit()
  * ridge: scikit-learn Ridge(alpha, fit_intercept=True); effective degrees of
    freedom tr(Xc (Xc'Xc + alpha I)^-1 Xc') computed with numpy.
Re-run: python3 ols_reference.py > /tmp/ref.rs   (numpy, statsmodels, scikit-learn)
"""
import pathlib

import numpy as np
import sklearn
import statsmodels
import statsmodels.api as sm
from sklearn.linear_model import Ridge

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def generated():
    rng = np.random.default_rng(20240607)
    n = 200
    tenure = rng.uniform(1, 60, n)                       # months
    spend = 5000 + 40 * tenure + rng.normal(0, 300, n)   # large mean, correlated with tenure
    visits = rng.poisson(12, n).astype(float)
    discount = rng.uniform(0, 0.3, n)                    # small scale
    y = 120 + 2.5 * tenure + 0.03 * spend - 1.2 * visits + 80 * discount + rng.normal(0, 25, n)
    X = np.column_stack([tenure, spend, visits, discount])
    return ["tenure", "spend", "visits", "discount"], X, y


def stackloss():
    d = sm.datasets.stackloss.load_pandas().data
    return ["AIRFLOW", "WATERTEMP", "ACIDCONC"], d[["AIRFLOW", "WATERTEMP", "ACIDCONC"]].to_numpy(float), d["STACKLOSS"].to_numpy(float)


def write_csv(path, names, X, y):
    with open(path, "w") as f:
        f.write(",".join(["y"] + names) + "\n")
        for yi, xi in zip(y, X):
            f.write(",".join(repr(float(v)) for v in [yi, *xi]) + "\n")


def lit(v):
    return "&[" + ", ".join(repr(float(x)) for x in np.ravel(v)) + "]"


def emit_ols(prefix, X, y):
    r = sm.OLS(y, sm.add_constant(X)).fit()
    ci = r.conf_int(0.05)
    print(f"pub const {prefix}_ESTIMATE: &[f64] = {lit(r.params)};")
    print(f"pub const {prefix}_STD_ERROR: &[f64] = {lit(r.bse)};")
    print(f"pub const {prefix}_T_VALUE: &[f64] = {lit(r.tvalues)};")
    print(f"pub const {prefix}_P_VALUE: &[f64] = {lit(r.pvalues)};")
    print(f"pub const {prefix}_CI_LOWER: &[f64] = {lit(ci[:, 0])};")
    print(f"pub const {prefix}_CI_UPPER: &[f64] = {lit(ci[:, 1])};")
    print(f"pub const {prefix}_COV_PARAMS: &[f64] = {lit(r.cov_params())};")
    for name, v in [("R_SQUARED", r.rsquared), ("ADJ_R_SQUARED", r.rsquared_adj), ("F_STATISTIC", r.fvalue),
                    ("F_P_VALUE", r.f_pvalue), ("RESIDUAL_STD_ERROR", np.sqrt(r.scale)), ("LOG_LIKELIHOOD", r.llf),
                    ("AIC", r.aic), ("BIC", r.bic), ("CONDITION_NUMBER", r.condition_number), ("SSR", r.ssr),
                    ("DF_MODEL", r.df_model), ("DF_RESID", r.df_resid)]:
        print(f"pub const {prefix}_{name}: f64 = {float(v)!r};")


def emit_ridge(prefix, X, y, alpha):
    m = Ridge(alpha=alpha, fit_intercept=True, solver="cholesky", tol=1e-12).fit(X, y)
    Xc = X - X.mean(axis=0)
    edf = np.trace(Xc @ np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T))
    print(f"pub const {prefix}_ALPHA: f64 = {float(alpha)!r};")
    print(f"pub const {prefix}_INTERCEPT: f64 = {float(m.intercept_)!r};")
    print(f"pub const {prefix}_COEF: &[f64] = {lit(m.coef_)};")
    print(f"pub const {prefix}_R_SQUARED: f64 = {float(m.score(X, y))!r};")
    print(f"pub const {prefix}_EFFECTIVE_DF: f64 = {float(edf)!r};")


def main():
    print(f"// statsmodels {statsmodels.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}:")
    print("// output of tests/reference/ols_reference.py")
    for prefix, (names, X, y), file in [("GEN", generated(), "generated_ols.csv"), ("STACK", stackloss(), "stackloss.csv")]:
        write_csv(DATA / file, names, X, y)
        emit_ols(prefix, X, y)
    names, X, y = generated()
    emit_ridge("RIDGE_SMALL", X, y, 2.5)
    emit_ridge("RIDGE_LARGE", X, y, 5e6)
    names, X, y = stackloss()
    emit_ridge("RIDGE_STACK", X, y, 10.0)


if __name__ == "__main__":
    main()
