//! Small dense linear algebra on row-major `[f64]` (orders in the tens to
//! hundreds, so plain loops; no BLAS).

/// A column of a symmetric positive semi-definite matrix that is (within the
/// tolerance) a linear combination of the columns before it.
#[derive(Debug, Clone, PartialEq)]
pub struct DependentColumn {
    /// Index of the dependent column.
    pub column: usize,
    /// Fraction of its diagonal left after projecting out the earlier columns
    /// (for a correlation matrix: 1 − R² of that column on the earlier ones).
    pub residual_fraction: f64,
    /// Least-squares weights `w` with `a[..column][column] ≈ A[..column][..column] w`,
    /// i.e. the regression of that column on columns `0..column`.
    pub weights: Vec<f64>,
}

/// Lower-triangular Cholesky factor `L` of `A = L Lᵀ`, row-major n×n.
#[derive(Debug, Clone, PartialEq)]
pub struct Cholesky {
    n: usize,
    lower: Vec<f64>,
}

/// Cholesky factorisation in the given column order, with rank detection.
///
/// Columns are not pivoted, so a dependency is blamed on the *later* column,
/// the one a user would drop (for x3 = x1 + 2·x2, it reports x3). Column j is
/// dependent when its Schur-complement diagonal falls to `rel_tol · a_jj` or
/// below; a zero diagonal counts as dependent.
pub fn cholesky(a: &[f64], n: usize, rel_tol: f64) -> Result<Cholesky, DependentColumn> {
    assert_eq!(a.len(), n * n, "cholesky: matrix must be {n}x{n}");
    let mut lower = vec![0.0; n * n];
    for j in 0..n {
        for i in 0..j {
            let dot: f64 = (0..i).map(|k| lower[j * n + k] * lower[i * n + k]).sum();
            lower[j * n + i] = (a[j * n + i] - dot) / lower[i * n + i];
        }
        let row = &lower[j * n..j * n + j];
        let schur = a[j * n + j] - row.iter().map(|v| v * v).sum::<f64>();
        let diag = a[j * n + j];
        let independent = diag > 0.0 && schur > rel_tol * diag;
        if !independent {
            let partial = Cholesky {
                n: j,
                lower: (0..j)
                    .flat_map(|r| lower[r * n..r * n + j].iter().copied())
                    .collect(),
            };
            let weights = partial.back_substitute(row.to_vec());
            return Err(DependentColumn {
                column: j,
                residual_fraction: if diag > 0.0 { schur / diag } else { 0.0 },
                weights,
            });
        }
        lower[j * n + j] = schur.sqrt();
    }
    Ok(Cholesky { n, lower })
}

impl Cholesky {
    pub fn order(&self) -> usize {
        self.n
    }

    /// The factor L, row-major, zero above the diagonal.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// Solves `L z = b`.
    pub fn forward_substitute(&self, mut b: Vec<f64>) -> Vec<f64> {
        let n = self.n;
        assert_eq!(b.len(), n);
        for i in 0..n {
            let row = &self.lower[i * n..i * n + i];
            let dot: f64 = row.iter().zip(&b[..i]).map(|(l, z)| l * z).sum();
            b[i] = (b[i] - dot) / self.lower[i * n + i];
        }
        b
    }

    /// Solves `Lᵀ x = z`.
    pub fn back_substitute(&self, mut z: Vec<f64>) -> Vec<f64> {
        let n = self.n;
        assert_eq!(z.len(), n);
        for i in (0..n).rev() {
            let dot: f64 = (i + 1..n).map(|k| self.lower[k * n + i] * z[k]).sum();
            z[i] = (z[i] - dot) / self.lower[i * n + i];
        }
        z
    }

    /// Solves `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        self.back_substitute(self.forward_substitute(b.to_vec()))
    }

    /// `L⁻¹`, lower triangular, row-major.
    pub fn inverse_factor(&self) -> Vec<f64> {
        let n = self.n;
        let mut w = vec![0.0; n * n];
        for col in 0..n {
            let mut e = vec![0.0; n];
            e[col] = 1.0;
            let z = self.forward_substitute(e);
            for (row, v) in z.into_iter().enumerate() {
                w[row * n + col] = v;
            }
        }
        w
    }

    /// `A⁻¹ = L⁻ᵀ L⁻¹`. Its diagonal is a sum of squares, so variances
    /// computed from it are never negative.
    pub fn inverse(&self) -> Vec<f64> {
        let n = self.n;
        let w = self.inverse_factor();
        let mut inv = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                // W is lower triangular: rows below max(i, j) contribute.
                let v: f64 = (j..n).map(|k| w[k * n + i] * w[k * n + j]).sum();
                inv[i * n + j] = v;
                inv[j * n + i] = v;
            }
        }
        inv
    }
}

/// Singular values of a `rows`×`cols` matrix (row-major) by one-sided
/// (Hestenes) Jacobi, descending.
///
/// Works on the matrix itself, not on `AᵀA`, so the small singular values keep
/// about `ε·σ_max` absolute accuracy instead of `sqrt(ε)·σ_max`.
pub fn singular_values(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    assert_eq!(
        a.len(),
        rows * cols,
        "singular_values: matrix must be {rows}x{cols}"
    );
    // Work on Aᵀ so that the columns being rotated are contiguous.
    let mut at = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            at[c * rows + r] = a[r * cols + c];
        }
    }
    for _sweep in 0..100 {
        let mut rotated = false;
        for j in 0..cols {
            for k in j + 1..cols {
                let (left, right) = at.split_at_mut(k * rows);
                let aj = &mut left[j * rows..(j + 1) * rows];
                let ak = &mut right[..rows];
                let alpha: f64 = aj.iter().map(|v| v * v).sum();
                let beta: f64 = ak.iter().map(|v| v * v).sum();
                let gamma: f64 = aj.iter().zip(ak.iter()).map(|(x, y)| x * y).sum();
                if gamma.abs() <= f64::EPSILON * (alpha * beta).sqrt() || gamma.abs() < f64::MIN_POSITIVE {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + zeta.hypot(1.0));
                let c = 1.0 / t.hypot(1.0);
                let s = c * t;
                for (x, y) in aj.iter_mut().zip(ak.iter_mut()) {
                    let (xj, xk) = (*x, *y);
                    *x = c * xj - s * xk;
                    *y = s * xj + c * xk;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let mut sv: Vec<f64> = (0..cols)
        .map(|j| {
            at[j * rows..(j + 1) * rows]
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    sv.sort_by(|x, y| y.total_cmp(x));
    sv
}

/// Largest and smallest singular values of an upper-triangular k×k matrix U
/// by power iteration on UᵀU and on (UᵀU)⁻¹ (two triangular solves a step).
///
/// O(k²) a step instead of Jacobi's O(k³) a sweep, for large k. The Rayleigh
/// quotients converge from inside, so σ_max is approached from below and
/// σ_min from above; iteration stops when both change by less than 1e-12
/// relative, or after `max_steps`. σ_min is 0 if a diagonal entry is 0.
pub fn upper_triangular_extreme_singular_values(u: &[f64], k: usize, max_steps: usize) -> (f64, f64) {
    assert_eq!(u.len(), k * k, "matrix must be {k}x{k}");
    if k == 0 {
        return (0.0, 0.0);
    }
    let mul_u = |v: &[f64]| -> Vec<f64> {
        (0..k)
            .map(|i| (i..k).map(|j| u[i * k + j] * v[j]).sum())
            .collect()
    };
    let mul_ut = |v: &[f64]| -> Vec<f64> {
        (0..k)
            .map(|j| (0..=j).map(|i| u[i * k + j] * v[i]).sum())
            .collect()
    };
    // Uᵀa = v (forward), then U b = a (backward).
    let solve_utu = |v: &[f64]| -> Vec<f64> {
        let mut a = v.to_vec();
        for j in 0..k {
            let dot: f64 = (0..j).map(|i| u[i * k + j] * a[i]).sum();
            a[j] = (a[j] - dot) / u[j * k + j];
        }
        for i in (0..k).rev() {
            let dot: f64 = (i + 1..k).map(|j| u[i * k + j] * a[j]).sum();
            a[i] = (a[i] - dot) / u[i * k + i];
        }
        a
    };
    let normalise = |v: &mut Vec<f64>| {
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
    };
    // A start vector with no special structure, so it is not orthogonal to
    // the extreme singular vectors.
    let start: Vec<f64> = (0..k).map(|i| 1.0 + 0.618_033_988_7 * i as f64 % 1.0).collect();

    let mut v = start.clone();
    normalise(&mut v);
    let mut largest = 0.0;
    for _ in 0..max_steps {
        let mut w = mul_ut(&mul_u(&v));
        let rayleigh: f64 = v.iter().zip(&w).map(|(a, b)| a * b).sum();
        normalise(&mut w);
        v = w;
        let done = (rayleigh - largest).abs() <= 1e-12 * rayleigh;
        largest = rayleigh;
        if done {
            break;
        }
    }

    if (0..k).any(|i| u[i * k + i] == 0.0) {
        return (largest.sqrt(), 0.0);
    }
    let mut v = start;
    normalise(&mut v);
    let mut inverse_largest = 0.0;
    for _ in 0..max_steps {
        let mut w = solve_utu(&v);
        let rayleigh: f64 = v.iter().zip(&w).map(|(a, b)| a * b).sum();
        normalise(&mut w);
        v = w;
        let done = (rayleigh - inverse_largest).abs() <= 1e-12 * rayleigh;
        inverse_largest = rayleigh;
        if done {
            break;
        }
    }
    (largest.sqrt(), 1.0 / inverse_largest.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
        let mut c = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                c[i * n + j] = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
            }
        }
        c
    }

    // Hilbert-like but well conditioned SPD test matrix: A = M Mᵀ + I.
    fn spd(n: usize) -> Vec<f64> {
        let m: Vec<f64> = (0..n * n)
            .map(|k| ((k * 7 + 3) % 11) as f64 / 5.0 - 1.0)
            .collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] =
                    (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum::<f64>() + if i == j { 1.0 } else { 0.0 };
            }
        }
        a
    }

    #[test]
    fn cholesky_reconstructs_and_solves() {
        let n = 6;
        let a = spd(n);
        let ch = cholesky(&a, n, 1e-12).unwrap();
        let l = ch.lower();
        for i in 0..n {
            for j in 0..n {
                let v: f64 = (0..n).map(|k| l[i * n + k] * l[j * n + k]).sum();
                assert!((v - a[i * n + j]).abs() < 1e-12, "LLᵀ[{i}][{j}]");
            }
        }
        let x_true: Vec<f64> = (0..n).map(|i| i as f64 - 2.5).collect();
        let b: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|k| a[i * n + k] * x_true[k]).sum())
            .collect();
        for (x, t) in ch.solve(&b).iter().zip(&x_true) {
            assert!((x - t).abs() < 1e-12);
        }
        let prod = matmul(&a, &ch.inverse(), n);
        for i in 0..n {
            for j in 0..n {
                let expect = if i == j { 1.0 } else { 0.0 };
                assert!((prod[i * n + j] - expect).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn cholesky_known_factor() {
        // A = [[4, 2], [2, 10]] = L Lᵀ with L = [[2, 0], [1, 3]].
        let ch = cholesky(&[4.0, 2.0, 2.0, 10.0], 2, 1e-12).unwrap();
        assert_eq!(ch.lower(), &[2.0, 0.0, 1.0, 3.0]);
        assert_eq!(ch.order(), 2);
    }

    #[test]
    fn cholesky_names_the_later_dependent_column() {
        // Gram matrix of columns c0, c1, c2 = c0 + 2 c1, c3 independent.
        let cols = [
            [1.0, 0.0, 2.0, -1.0, 0.5],
            [0.0, 1.0, 1.0, 3.0, -2.0],
            [1.0, 2.0, 4.0, 5.0, -3.5],
            [1.0, 1.0, 1.0, 1.0, 7.0],
        ];
        let n = 4;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = cols[i].iter().zip(&cols[j]).map(|(x, y)| x * y).sum();
            }
        }
        let dep = cholesky(&a, n, 1e-10).unwrap_err();
        assert_eq!(dep.column, 2);
        assert!(dep.residual_fraction < 1e-12);
        assert!((dep.weights[0] - 1.0).abs() < 1e-12);
        assert!((dep.weights[1] - 2.0).abs() < 1e-12);
        let zero_col = cholesky(&[1.0, 0.0, 0.0, 0.0], 2, 1e-10).unwrap_err();
        assert_eq!(zero_col.column, 1);
        assert_eq!(zero_col.weights, vec![0.0]);
    }

    #[test]
    fn singular_values_known() {
        // The σ² are the eigenvalues of AᵀA, so Σσ^(2k) = tr((AᵀA)^k); for k = 1..n these
        // power sums determine the n eigenvalues (Newton's identities).
        let n = 5;
        let a: Vec<f64> = (0..n * n).map(|k| ((k * 5 + 1) % 9) as f64 - 4.0).collect();
        let mut ata = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                ata[i * n + j] = (0..n).map(|k| a[k * n + i] * a[k * n + j]).sum();
            }
        }
        let sv = singular_values(&a, n, n);
        let mut power = ata.clone();
        for k in 1..=n {
            let trace: f64 = (0..n).map(|i| power[i * n + i]).sum();
            let sum: f64 = sv.iter().map(|s| s.powi(2 * k as i32)).sum();
            assert!((sum - trace).abs() < 1e-12 * trace, "k = {k}: {sum} vs {trace}");
            power = (0..n * n)
                .map(|ij| {
                    (0..n)
                        .map(|l| power[(ij / n) * n + l] * ata[l * n + ij % n])
                        .sum()
                })
                .collect();
        }
        assert!(sv.windows(2).all(|w| w[0] >= w[1]), "descending: {sv:?}");
        // diag(3, 1e-9) keeps its tiny singular value to full relative precision.
        let sv = singular_values(&[3.0, 0.0, 0.0, 1e-9], 2, 2);
        assert_eq!(sv, vec![3.0, 1e-9]);
        // Rectangular 3x2 of rank one: singular values 5 and 0.
        let sv = singular_values(&[3.0, 4.0, 0.0, 0.0, 0.0, 0.0], 3, 2);
        assert!((sv[0] - 5.0).abs() < 1e-15 && sv[1].abs() < 1e-15);
    }

    #[test]
    fn power_iteration_extremes_match_one_sided_jacobi() {
        let k = 12;
        let mut u = vec![0.0; k * k];
        for i in 0..k {
            for j in i..k {
                u[i * k + j] = if i == j {
                    1.0 + i as f64
                } else {
                    ((i * 13 + j * 7) % 5) as f64 - 2.0
                };
            }
        }
        let sv = singular_values(&u, k, k);
        let (max, min) = upper_triangular_extreme_singular_values(&u, k, 10_000);
        assert!((max - sv[0]).abs() <= 1e-10 * sv[0], "{max} vs {}", sv[0]);
        assert!(
            (min - sv[k - 1]).abs() <= 1e-10 * sv[k - 1],
            "{min} vs {}",
            sv[k - 1]
        );
        let (_, zero) = upper_triangular_extreme_singular_values(&[1.0, 2.0, 0.0, 0.0], 2, 100);
        assert_eq!(zero, 0.0);
    }
}
