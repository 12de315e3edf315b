"""References for tests/pg_regress/sql/10_categorical.sql: one-hot encoded fits by
statsmodels on the same rows, built with pandas.

The golden test creates the table `orders_cat` in SQL; this script builds the same rows
from the same formulas, encodes the categorical columns with pandas (reference level: the
first in sort order for text, the first declared for the enum, as cltv does), and fits
statsmodels OLS and Logit. Run: python3 core/tests/reference/categorical_reference.py
"""
import math

import numpy as np
import pandas as pd
import statsmodels.api as sm

CHANNELS = ["web", "email", "direct", "social"]
TIERS = ["gold", "silver", "bronze"]  # the enum's declared order


def rows():
    out = []
    for i in range(1, 601):
        x = (i * 7919 % 97) / 10.0
        if i % 50 == 0:
            channel = "fax"
        elif i % 77 == 0:
            channel = "telex"
        else:
            channel = CHANNELS[(i * 7 % 11) % 4]
        tier = TIERS[i % 3]
        effect = {"web": 1.0, "email": 3.0, "fax": -2.0, "telex": 0.5}.get(channel, 0.0)
        effect += {"silver": -1.0, "bronze": -2.5}.get(tier, 0.0)
        spend = 1 + 2 * x + effect + math.sin(i)
        score = x / 10 + 0.8 * (channel == "email") - 0.6 * (tier == "bronze") + 0.9 * math.sin(i * 12.9898)
        out.append(dict(id=i, x=x, channel=channel, tier=tier, spend=spend, churned=int(score > 0.5)))
    return pd.DataFrame(out)


def design(df, channel_levels):
    """x, then channel indicators (reference dropped), then tier indicators."""
    X = pd.DataFrame({"x": df.x})
    for level in channel_levels[1:]:
        X["channel=" + level] = (df.channel == level).astype(float)
    for level in TIERS[1:]:
        X["tier=" + level] = (df.tier == level).astype(float)
    return sm.add_constant(X)


def show(title, fit):
    print(f"-- {title}")
    for name, b, se in zip(fit.params.index, fit.params, fit.bse):
        print(f"{name:16s} {b:.15g} {se:.15g}")
    print(f"llf {fit.llf:.15g}")


df = rows()
print(df.channel.value_counts().sort_index().to_dict())
show("OLS, every channel level", sm.OLS(df.spend, design(df, sorted(df.channel.unique()))).fit())

# min_frequency 15: fax (12 rows) and telex (7 rows) fold into "other".
folded = df.assign(channel=df.channel.where(~df.channel.isin(["fax", "telex"]), "other"))
show("OLS, rare levels folded into other", sm.OLS(folded.spend, design(folded, ["direct", "email", "social", "web", "other"])).fit())
show("Logit, rare levels folded into other",
     sm.Logit(folded.churned, design(folded, ["direct", "email", "social", "web", "other"])).fit(disp=0, tol=1e-12))
