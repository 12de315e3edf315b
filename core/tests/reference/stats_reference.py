"""Reference values for the tests in core/src/numerics/stats.rs, printed as Rust literals.

Each value is computed with mpmath at 50 significant digits (betainc, erfc,
gammainc, findroot) from the exact binary value of the f64 inputs, then
rounded to f64. SciPy's value for the same input is checked against it and
its relative deviation printed as a comment: SciPy is a second opinion, mpmath
the reference (SciPy's own tails are off by ~1e-13 in places).
Re-run: python3 stats_reference.py   (needs mpmath and scipy)
"""
import mpmath as mp
import scipy
from scipy import stats

mp.mp.dps = 50
F = mp.mpf


def t_two_sided_p(t, df):
    t, df = F(t), F(df)
    return mp.betainc(df / 2, F("0.5"), 0, df / (df + t * t), regularized=True)


def t_cdf(x, df):
    p = t_two_sided_p(x, df) / 2
    return p if x <= 0 else 1 - p


def t_quantile(q, df, guess):
    return mp.findroot(lambda x: t_cdf(x, df) - F(q), F(guess)) if q != 0.5 else F(0)


def f_sf(f, d1, d2):
    f, d1, d2 = F(f), F(d1), F(d2)
    if f == 0:
        return F(1)
    return mp.betainc(d2 / 2, d1 / 2, 0, d2 / (d2 + d1 * f), regularized=True)


def normal_two_sided_p(z):
    return mp.erfc(abs(F(z)) / mp.sqrt(2))


def normal_quantile(q, guess):
    return mp.findroot(lambda x: mp.erfc(-x / mp.sqrt(2)) / 2 - F(q), F(guess)) if q != 0.5 else F(0)


def chi2_sf(x, df):
    return mp.gammainc(F(df) / 2, F(x) / 2, mp.inf, regularized=True)


def emit(name, sig, rows, ref_fn, scipy_fn):
    print(f"    const {name}: &[{sig}] = &[")
    for args in rows:
        ref = ref_fn(*args)
        sp = scipy_fn(*args)
        dev = abs((F(sp) - ref) / ref) if ref != 0 else abs(F(sp))
        lits = ", ".join(repr(float(a)) for a in args)
        print(f"        ({lits}, {float(ref)!r}), // scipy rel. dev. {float(dev):.1e}")
    print("    ];")


print(f"    // mpmath {mp.__version__} (50 digits), cross-checked with SciPy {scipy.__version__}:")
print("    // tests/reference/stats_reference.py")
emit("T_TWO_SIDED_P", "(f64, f64, f64)",
     [(2.0, 10), (0.5, 3), (-1.7, 25.5), (12.0, 9), (40.0, 100), (1.96, 1e6), (0.0, 5), (3.3, 1),
      (0.01, 2e7), (8.0, 5e6), (2.5, 45.0), (-0.3, 150.0)],
     t_two_sided_p, lambda t, df: 2 * stats.t.sf(abs(t), df))
emit("T_QUANTILE", "(f64, f64, f64)",
     [(0.975, 9), (0.975, 1), (0.995, 30), (0.025, 4), (0.5, 7), (1e-10, 12), (0.9999999, 3.5),
      (0.975, 1e5), (0.975, 3e6), (0.6, 20)],
     lambda q, df: t_quantile(q, df, stats.t.ppf(q, df)), lambda q, df: stats.t.ppf(q, df))
emit("F_SF", "(f64, f64, f64, f64)",
     [(330.285339234588, 6, 9), (2.5, 3, 40), (0.1, 1, 1), (1e4, 2, 33), (1.0, 10, 10), (0.0, 3, 7),
      (1.2, 50, 1e6), (30.0, 10, 2e6), (0.9, 300, 400), (3.0, 1, 5e5)],
     f_sf, lambda f, a, b: stats.f.sf(f, a, b))
emit("NORMAL_TWO_SIDED_P", "(f64, f64)",
     [(1.959963984540054,), (0.0,), (5.0,), (10.0,), (37.0,), (-2.5,), (0.7,), (1.3,), (2.9,)],
     normal_two_sided_p, lambda z: 2 * stats.norm.sf(abs(z)))
emit("NORMAL_QUANTILE", "(f64, f64)",
     [(0.975,), (0.5,), (1e-10,), (0.3,), (1e-300,), (0.999999,)],
     lambda q: normal_quantile(q, stats.norm.ppf(q)), lambda q: stats.norm.ppf(q))
emit("CHI2_SF", "(f64, f64, f64)",
     [(3.84, 1), (10.0, 5), (100.0, 50), (0.5, 2), (1e3, 10), (0.0, 4), (2e4, 2e4 - 300)],
     chi2_sf, lambda x, df: stats.chi2.sf(x, df))
