"""Reference values for core/tests/btyd_*.rs, printed as Rust literals.

Independent of the Rust code:
  * special functions and the BG/NBD conditional expectation (eq. 10 of Fader,
    Hardie & Lee 2005, with the Gauss 2F1) in mpmath at 40 digits;
  * the CDNOW RFM summary recomputed here with pandas from
    data/cdnow/*.csv (conventions of data/cdnow/README.md);
  * BG/NBD and Gamma-Gamma fits with lifetimes 0.11.3 (BetaGeoFitter,
    GammaGammaFitter, default settings), then polished by Newton steps on
    lifetimes' own negative log-likelihood with autograd's exact gradient and
    Hessian (lifetimes' BFGS stops ~1e-6 relative from the optimum);
    standard errors = sqrt(diag(inverse Hessian of -LL in natural parameters));
  * predictions (P(alive), E[Y(t)|x,t_x,T], E[X(t)], conditional spend, CLV)
    from lifetimes' methods with the polished parameters set on the fitters.

The output has two parts, each pasted verbatim into the `#[rustfmt::skip] mod
reference` of the test file its header names.
Re-run: python3 btyd_reference.py > /tmp/ref.rs   (about 20 s)
  (pip install lifetimes mpmath; lifetimes 0.11.3 pulls numpy, scipy, pandas, autograd)
"""
import pathlib
import warnings

import autograd.numpy as anp
import lifetimes
import mpmath as mp
import numpy as np
import pandas as pd
from autograd import grad, hessian
from lifetimes import BetaGeoFitter, GammaGammaFitter

warnings.simplefilter("ignore")
mp.mp.dps = 40
DATA = pathlib.Path(__file__).resolve().parents[3] / "data" / "cdnow"


def lit(v):
    return repr(float(v))


def arr(name, rows, ty="f64", alias=None):
    if alias:
        print(f"pub type {alias} = {ty};")
        ty = alias
    print(f"pub const {name}: &[{ty}] = &[")
    for r in rows:
        print(f"    {r},")
    print("];")


# ---------------------------------------------------------------- special functions
print("// ===== btyd_special.rs")
print("// mpmath", mp.__version__, "(40 digits): x, lnΓ(x), ψ(x), ψ′(x)")
xs = [1e-150, 1e-8, 1e-3, 0.1, 0.25, 0.5, 0.75, 1 - 2**-30, 1.0, 1 + 2**-30, 1.4616321449683622,
      1.5, 2 - 2**-30, 2 + 2**-30, 2.5, 3.7, 7.25, 9.99, 10.0, 10.5, 12.5, 33.3, 100.0, 1234.5, 1e8, 1e15]
rows = []
for x in xs:
    X = mp.mpf(x)
    rows.append("(%s, %s, %s, %s)" % (lit(x), lit(mp.loggamma(X)), lit(mp.digamma(X)), lit(mp.polygamma(1, X))))
arr("SPECIAL", rows, "(f64, f64, f64, f64)")


# ---------------------------------------------------------------- eq. (10) in mpmath
def cond_exp_mp(r, alpha, a, b, x, tx, T, t):
    r, alpha, a, b, x, tx, T, t = map(mp.mpf, (r, alpha, a, b, x, tx, T, t))
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + x, a + b + x - 1, z)
    num = (a + b + x - 1) / (a - 1) * bracket
    den = 1 + (a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x) if x > 0 else 0)
    return num / den


print("// eq. (10) of FHL 2005 in mpmath: (r, alpha, a, b, x, t_x, T, t, E[Y(t) | x, t_x, T])")
cases = [
    (0.243, 4.414, 0.793, 2.426, 2, 30.43, 38.86, 39),     # Hardie's worked example
    (0.243, 4.414, 0.793, 2.426, 0, 0, 38.86, 39),
    (0.243, 4.414, 0.793, 2.426, 0, 0, 38.86, 1e-6),        # tiny horizon
    (0.243, 4.414, 0.793, 2.426, 7, 29.43, 38.86, 0.5),
    (0.243, 4.414, 0.793, 2.426, 1, 1.71, 38.86, 520),      # ten years
    (0.243, 4.414, 0.793, 2.426, 29, 38.5, 38.86, 2000),
    (0.243, 4.414, 0.793, 2.426, 0, 0, 0, 4414),            # y = 1000
    (0.5, 2.0, 1.000001, 3.0, 3, 10, 20, 50),               # a ~ 1
    (0.5, 2.0, 0.999999, 3.0, 3, 10, 20, 5),
    (2.0, 10.0, 3.5, 8.0, 5, 15, 30, 100),                  # a > 1
    (0.3, 1.0, 0.2, 0.5, 0, 0, 10, 30),                     # a + b - 1 < 0
    (20.0, 30.0, 0.4, 1.2, 0, 0, 5, 3),                     # large r
    (1.2, 80.0, 0.05, 40.0, 60, 300, 365, 730),             # days, large x
    (0.05, 0.5, 2.5, 0.7, 1, 0.2, 100, 1e4),
]
rows = []
for c in cases:
    rows.append("(%s)" % ", ".join([lit(v) for v in c] + [lit(cond_exp_mp(*c))]))
arr("EQ10", rows, "(f64, f64, f64, f64, f64, f64, f64, f64, f64)", "Eq10Case")


# ---------------------------------------------------------------- CDNOW summaries
def summarise(path, cal_end="1997-09-30", hold_end="1998-06-30"):
    df = pd.read_csv(path, parse_dates=["date"])
    cal_end, hold_end = pd.Timestamp(cal_end), pd.Timestamp(hold_end)
    d = df.groupby(["customer_id", "date"], as_index=False)["dollars"].sum()
    out = []
    for cid, g in d.groupby("customer_id"):
        g = g.sort_values("date")
        cal = g[g.date <= cal_end]
        if len(cal) == 0:
            continue
        first = cal.date.iloc[0]
        x = len(cal) - 1
        h = g[(g.date > cal_end) & (g.date <= hold_end)]
        out.append(dict(id=cid, x=x, tx=(cal.date.iloc[-1] - first).days / 7, T=(cal_end - first).days / 7,
                        m=cal.dollars.iloc[1:].mean() if x > 0 else 0.0, hx=len(h), hs=h.dollars.sum()))
    return pd.DataFrame(out).set_index("id")


def bg_nll(logp, x, tx, T):
    # lifetimes' own likelihood, unscaled time, summed
    return BetaGeoFitter._negative_log_likelihood(logp, x, tx, T, anp.ones_like(tx), 0.0) * len(x)


def polish(f, p0, args, steps=8):
    p = np.array(p0, dtype=float)
    g, H = grad(f), hessian(f)
    for _ in range(steps):
        p = p - np.linalg.solve(H(p, *args), g(p, *args))
    return p, np.max(np.abs(g(p, *args)))


def natural_se(f, params, args):
    H = hessian(lambda th, *a: f(anp.log(th), *a))(np.array(params), *args)
    return np.sqrt(np.diag(np.linalg.inv(H)))


def fit_bg(s):
    x, tx, T = s.x.to_numpy(int), s.tx.to_numpy(float), s["T"].to_numpy(float)
    bg = BetaGeoFitter().fit(x, tx, T)
    p0 = np.log(bg.params_.to_numpy())
    p, gmax = polish(bg_nll, p0, (x, tx, T))
    params = np.exp(p)
    return bg, params, -bg_nll(p, x, tx, T), natural_se(bg_nll, params, (x, tx, T)), gmax


s = summarise(DATA / "cdnow_sample_transactions.csv")
print("// ===== btyd_cdnow.rs")
print(f"// CDNOW sample: {len(s)} customers, {(s.x > 0).sum()} with frequency > 0, "
      f"{int(s.hx.sum())} holdout purchases")
bg, bgp, bg_ll, bg_se, gmax = fit_bg(s)
print(f"// lifetimes {lifetimes.__version__} BetaGeoFitter: {bg.params_.to_dict()}")
print(f"// polished (max |gradient| of -LL in log-params {gmax:.1e}):")
print("pub const BG_PARAMS: [f64; 4] = [%s];" % ", ".join(lit(v) for v in bgp))
print("pub const BG_LL: f64 = %s;" % lit(bg_ll))
print("pub const BG_SE: [f64; 4] = [%s];" % ", ".join(lit(v) for v in bg_se))
bg.params_ = pd.Series(bgp, index=["r", "alpha", "a", "b"])

ids = [1, 2, 3, 6, 9, 26, 59, 320, 1080, 2357]
sel = s.loc[ids]
print("// lifetimes predictions with BG_PARAMS: (customer_id, x, t_x, T, P(alive), E[Y(39)], E[Y(52.14)])")
rows = []
for cid, c in sel.iterrows():
    pa = float(np.atleast_1d(bg.conditional_probability_alive(c.x, c.tx, c["T"]))[0])
    e39 = float(bg.conditional_expected_number_of_purchases_up_to_time(39, c.x, c.tx, c["T"]))
    e52 = float(bg.conditional_expected_number_of_purchases_up_to_time(52.14, c.x, c.tx, c["T"]))
    rows.append("(%d, %s, %s, %s, %s, %s, %s)" % (cid, lit(c.x), lit(c.tx), lit(c["T"]), lit(pa), lit(e39), lit(e52)))
arr("BG_PREDICTIONS", rows, "(u32, f64, f64, f64, f64, f64, f64)", "Prediction")
print("// lifetimes expected_number_of_purchases_up_to_time (E[X(t)], eq. 7): (t, value)")
arr("BG_UNCONDITIONAL", ["(%s, %s)" % (lit(t), lit(bg.expected_number_of_purchases_up_to_time(t)))
                         for t in (1.0, 39.0, 78.0)], "(f64, f64)")
print("// hand-checkable summaries recomputed by pandas: (customer_id, x, t_x, T, m, holdout x, holdout spend)")
arr("RFM_CUSTOMERS", ["(%d, %s, %s, %s, %s, %s, %s)" % (cid, lit(c.x), lit(c.tx), lit(c["T"]), lit(c.m), lit(c.hx), lit(c.hs))
                      for cid, c in sel.iterrows()], "(u32, f64, f64, f64, f64, f64, f64)", "RfmCustomer")
print("pub const SAMPLE_TOTALS: (f64, f64, f64, f64) = (%s, %s, %s, %s); // Σx, Σt_x, ΣT, Σ holdout x"
      % (lit(s.x.sum()), lit(s.tx.sum()), lit(s["T"].sum()), lit(s.hx.sum())))


# ---------------------------------------------------------------- Gamma-Gamma
def gg_nll(logp, x, m):
    return GammaGammaFitter._negative_log_likelihood(logp, x, m, anp.ones_like(m), 0.0) * len(x)


r = s[s.x > 0]
gx, gm = r.x.to_numpy(float), r.m.to_numpy(float)
gg = GammaGammaFitter().fit(gx, gm)
p, gmax = polish(gg_nll, np.log(gg.params_.to_numpy()), (gx, gm))
ggp = np.exp(p)
print(f"// lifetimes GammaGammaFitter on the {len(r)} repeat customers: {gg.params_.to_dict()}")
print(f"// polished (max |gradient| {gmax:.1e}); SE from the natural-parameter Hessian:")
print("pub const GG_PARAMS: [f64; 3] = [%s];" % ", ".join(lit(v) for v in ggp))
print("pub const GG_LL: f64 = %s;" % lit(-gg_nll(p, gx, gm)))
print("pub const GG_SE: [f64; 3] = [%s];" % ", ".join(lit(v) for v in natural_se(gg_nll, ggp, (gx, gm))))
print("pub const GG_CORRELATION: f64 = %s; // numpy corrcoef(x, m) over the repeat customers" % lit(np.corrcoef(gx, gm)[0, 1]))
gg.params_ = pd.Series(ggp, index=["p", "q", "v"])
print("pub const GG_POPULATION_MEAN: f64 = %s;" % lit(ggp[2] * ggp[0] / (ggp[1] - 1)))
rs = sel[sel.x > 0]
print("// lifetimes conditional_expected_average_profit: (customer_id, x, m, E[Z | x, m])")
arr("GG_SPEND", ["(%d, %s, %s, %s)" % (cid, lit(c.x), lit(c.m), lit(gg.conditional_expected_average_profit(c.x, c.m)))
                 for cid, c in rs.iterrows()], "(u32, f64, f64, f64)")
clv = gg.customer_lifetime_value(bg, rs.x, rs.tx, rs["T"], rs.m, time=12, discount_rate=0.01, freq="W")
print("// lifetimes customer_lifetime_value(time=12, discount_rate=0.01, freq='W'): (customer_id, CLV)")
arr("LIFETIMES_CLV", ["(%d, %s)" % (cid, lit(v)) for cid, v in clv.items()], "(u32, f64)")

# ---------------------------------------------------------------- full cohort
m = summarise(DATA / "cdnow_master_transactions.csv")
bgm, bgmp, bgm_ll, _, gmax = fit_bg(m)
print(f"// CDNOW master: {len(m)} customers, {(m.x > 0).sum()} with frequency > 0; "
      f"lifetimes: {bgm.params_.to_dict()}; polished (max |gradient| {gmax:.1e}):")
print("pub const MASTER_PARAMS: [f64; 4] = [%s];" % ", ".join(lit(v) for v in bgmp))
print("pub const MASTER_LL: f64 = %s;" % lit(bgm_ll))
