"""References for tests/pg_regress/sql/11_group_by.sql: one OLS fit per country by
statsmodels on the same rows the golden test builds in SQL, and the pooled fit over all
rows. Run: python3 core/tests/reference/group_by_reference.py
"""
import math

import pandas as pd
import statsmodels.api as sm


def country(i):
    if i % 97 == 0:
        return None
    return ["US", "US", "US", "FR", "FR", "DE"][i % 6]


rows = []
for i in range(1, 1201):
    c = country(i)
    x = (i * 7919 % 101) / 10.0
    z = (i * 104729 % 37) / 4.0
    a, b, g = {"US": (5, 2.0, 0.5), "FR": (-1, 3.0, 0.0), "DE": (10, 0.5, -1.0), None: (0, 1.0, 1.0)}[c]
    rows.append(dict(id=i, country=c, x=x, z=z, spend=a + b * x + g * z + math.sin(i)))
df = pd.DataFrame(rows)
print(df.country.value_counts(dropna=False).to_dict())
for c in ["DE", "FR", "US", None]:
    part = df[df.country.isna()] if c is None else df[df.country == c]
    fit = sm.OLS(part.spend, sm.add_constant(part[["x", "z"]])).fit()
    print(c, len(part), " ".join(f"{v:.15g}" for v in fit.params), " ".join(f"{v:.15g}" for v in fit.bse))
fit = sm.OLS(df.spend, sm.add_constant(df[["x", "z"]])).fit()
print("pooled", len(df), " ".join(f"{v:.15g}" for v in fit.params), " ".join(f"{v:.15g}" for v in fit.bse))

# Logistic regression per country (the NULL group has 12 rows and is left to the pooled model).
df["churned"] = [
    int(r.x / 5 - r.z / 4 + 1.5 * math.sin(r.id * 12.9898) + {"US": 0.5, "FR": -0.5}.get(r.country, 0.0) > 0)
    for r in df.itertuples()
]
for c in ["DE", "FR", "US"]:
    part = df[df.country == c]
    fit = sm.Logit(part.churned, sm.add_constant(part[["x", "z"]])).fit(disp=0, tol=1e-12)
    print("logit", c, len(part), " ".join(f"{v:.15g}" for v in fit.params), " ".join(f"{v:.15g}" for v in fit.bse),
          f"{fit.llf:.15g}")

# The same per country with "l2": 1 on standardised features: scikit-learn's
# make_pipeline(StandardScaler(), LogisticRegression(C=1)), coefficients mapped back.
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

for c in ["DE", "FR", "US"]:
    part = df[df.country == c]
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-12, max_iter=10000))
    pipe.fit(part[["x", "z"]].to_numpy(), part.churned.to_numpy())
    scaler, model = pipe[0], pipe[1]
    slopes = model.coef_[0] / scaler.scale_
    intercept = model.intercept_[0] - (slopes * scaler.mean_).sum()
    print("ridge_logit", c, f"{intercept:.15g}", " ".join(f"{v:.15g}" for v in slopes))
