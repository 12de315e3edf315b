"""Reference values for tests/explain_reference.rs.

Stack loss (OLS) and Spector (logistic), read from ../data:
  * variance inflation factors: statsmodels.stats.outliers_influence.variance_inflation_factor
    on the design with its constant column (each feature regressed on the others);
  * OLS prediction intervals: OLS(y, add_constant(X)).fit().get_prediction(x).summary_frame(alpha)
    columns obs_ci_lower / obs_ci_upper;
  * logistic confidence intervals for P(y = 1): GLM(y, add_constant(X), Binomial()).fit()
    .get_prediction(x).summary_frame(alpha) columns mean_ci_lower / mean_ci_upper, which
    statsmodels computes on the linear-predictor (logit) scale and maps through the link.
  * standardised penalties (tests/pg_regress/sql/08_explain.sql):
    make_pipeline(StandardScaler(), Ridge(alpha=5)) on Stack loss and
    make_pipeline(StandardScaler(), LogisticRegression(C=1, tol=1e-12)) on Spector,
    coefficients mapped back to the original scale; printed as comments.
Re-run: python3 explain_reference.py > /tmp/ref.rs   (numpy, pandas, statsmodels, scikit-learn)
"""
import pathlib

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def lit(values):
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


print(f"// statsmodels {statsmodels.__version__}, numpy {np.__version__}: core/tests/reference/explain_reference.py")

stack = pd.read_csv(DATA / "stackloss.csv")
X = sm.add_constant(stack[["AIRFLOW", "WATERTEMP", "ACIDCONC"]].to_numpy())
y = stack["y"].to_numpy()
print(f"pub const STACK_VIF: [f64; 3] = {lit([variance_inflation_factor(X, j) for j in (1, 2, 3)])};")
ols = sm.OLS(y, X).fit()
points = np.array([[1.0, 80.0, 27.0, 89.0], [1.0, 58.0, 18.0, 82.0], [1.0, 70.0, 20.0, 75.0]])
for level in (0.95, 0.80):
    frame = ols.get_prediction(points).summary_frame(alpha=1 - level)
    tag = int(round(level * 100))
    print(f"pub const STACK_POINTS: [[f64; 3]; 3] = {[list(map(float, p[1:])) for p in points]};" if level == 0.95 else "", end="\n" if level == 0.95 else "")
    print(f"pub const STACK_FIT_{tag}: [f64; 3] = {lit(frame['mean'])};")
    print(f"pub const STACK_OBS_LOWER_{tag}: [f64; 3] = {lit(frame['obs_ci_lower'])};")
    print(f"pub const STACK_OBS_UPPER_{tag}: [f64; 3] = {lit(frame['obs_ci_upper'])};")

spector = pd.read_csv(DATA / "spector_logit.csv")
Xs = sm.add_constant(spector[["GPA", "TUCE", "PSI"]].to_numpy())
ys = spector["y"].to_numpy()
print(f"pub const SPECTOR_VIF: [f64; 3] = {lit([variance_inflation_factor(Xs, j) for j in (1, 2, 3)])};")
glm = sm.GLM(ys, Xs, family=sm.families.Binomial()).fit(tol=1e-14)
spoints = np.array([[1.0, 3.0, 22.0, 1.0], [1.0, 2.5, 19.0, 0.0], [1.0, 3.9, 25.0, 1.0]])
frame = glm.get_prediction(spoints).summary_frame(alpha=0.05)
print(f"pub const SPECTOR_POINTS: [[f64; 3]; 3] = {[list(map(float, p[1:])) for p in spoints]};")
print(f"pub const SPECTOR_P: [f64; 3] = {lit(frame['mean'])};")
print(f"pub const SPECTOR_CI_LOWER_95: [f64; 3] = {lit(frame['mean_ci_lower'])};")
print(f"pub const SPECTOR_CI_UPPER_95: [f64; 3] = {lit(frame['mean_ci_upper'])};")

from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def unscaled(pipe):
    scaler, model = pipe[0], pipe[1]
    coef = np.ravel(model.coef_)
    slopes = coef / scaler.scale_
    intercept = float(np.ravel([model.intercept_])[0]) - float(np.sum(coef * scaler.mean_ / scaler.scale_))
    return [intercept] + list(slopes)


ridge = make_pipeline(StandardScaler(), Ridge(alpha=5.0)).fit(X[:, 1:], y)
print(f"// standardised ridge (alpha 5), stack loss: {lit(unscaled(ridge))}")
logit = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-12, max_iter=100000)).fit(Xs[:, 1:], ys)
print(f"// standardised logistic (C 1), Spector: {lit(unscaled(logit))}")
