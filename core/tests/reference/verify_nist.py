"""Independent check of the NIST StRD files in ../data/ (plus exact condition numbers).

Re-derives every certified value (estimates, standard errors, residual SD, R^2)
by exact rational least squares (fractions.Fraction on the decimal data, exact
Gauss-Jordan on the normal equations), taking square roots with mpmath at 80
digits. A transcription error in a data row or a certified value shows up as a
mismatch. Run: python3 verify_nist.py   (needs mpmath; pip install mpmath)
"""
import pathlib
import sys
from fractions import Fraction

import mpmath

mpmath.mp.dps = 80
DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def parse(path):
    meta, rows, in_data = {}, [], False
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if in_data:
            rows.append([Fraction(v) for v in line.split()])
        else:
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
            in_data = key.strip() == "data"
    return meta, rows


def design(meta, rows):
    degree = int(meta["polynomial_degree"])
    ys = [r[0] for r in rows]
    if degree > 0:
        xs = [[r[1] ** k for k in range(1, degree + 1)] for r in rows]
    else:
        xs = [r[1:] for r in rows]
    return ys, [[Fraction(1)] + x for x in xs]


def inverse(a):
    n = len(a)
    m = [row[:] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(a)]
    for c in range(n):
        piv = next(r for r in range(c, n) if m[r][c] != 0)
        m[c], m[piv] = m[piv], m[c]
        inv = 1 / m[c][c]
        m[c] = [v * inv for v in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0:
                f = m[r][c]
                m[r] = [a_ - f * b_ for a_, b_ in zip(m[r], m[c])]
    return [row[n:] for row in m]


def rel(a, b):
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def main():
    worst_all = 0
    for path in sorted(DATA.glob("*.txt")):
        meta, rows = parse(path)
        ys, xs = design(meta, rows)
        n, k = len(ys), len(xs[0])
        xtx = [[sum(r[i] * r[j] for r in xs) for j in range(k)] for i in range(k)]
        xty = [sum(r[i] * y for r, y in zip(xs, ys)) for i in range(k)]
        xtx_inv = inverse(xtx)
        beta = [sum(xtx_inv[i][j] * xty[j] for j in range(k)) for i in range(k)]
        ssr = sum((y - sum(b * v for b, v in zip(beta, r))) ** 2 for r, y in zip(xs, ys))
        ybar = sum(ys) / n
        sst = sum((y - ybar) ** 2 for y in ys)
        s2 = ssr / (n - k)
        se = [mpmath.sqrt(mpmath.mpf(s2 * xtx_inv[i][i])) for i in range(k)]
        exact = {
            "estimate": [mpmath.mpf(b) for b in beta],
            "std_error": se,
            "residual_sd": [mpmath.sqrt(mpmath.mpf(s2))],
            "r_squared": [mpmath.mpf(1 - ssr / sst)],
        }
        worst = 0
        for key, values in exact.items():
            certified = meta["certified_" + key].split()
            assert len(certified) == len(values), (path.name, key)
            for c, v in zip(certified, values):
                # certified values carry 15 significant digits; zero certified -> absolute
                err = rel(v, c) if mpmath.mpf(c) != 0 else abs(v)
                worst = max(worst, err)
        worst_all = max(worst_all, worst)
        status = "ok" if worst < 5e-14 else "MISMATCH"
        # Not certified by NIST: the exact condition number of the design
        # [1, X] (sqrt of the eigenvalue ratio of X'X, as statsmodels reports
        # it), for the condition-number test in tests/nist.rs.
        xtx_mp = mpmath.matrix([[mpmath.mpf(v.numerator) / v.denominator for v in row] for row in xtx])
        eig = sorted(mpmath.eigsy(xtx_mp, eigvals_only=True))
        cond = mpmath.sqrt(eig[-1] / eig[0])
        print(f"{meta['name']:10s} n={n:3d} k={k:2d} worst rel diff vs certified {mpmath.nstr(worst, 3):>9s} {status}"
              f"  condition number {mpmath.nstr(cond, 17)}")
    sys.exit(0 if worst_all < 5e-14 else 1)


if __name__ == "__main__":
    main()
