//! Streaming, mergeable, centred sufficient statistics for linear regression.
//!
//! The SQL aggregate keeps its state in a PostgreSQL `float8[]` and updates it
//! in place, so the state is a flat `[f64]` with this layout (`d = p + 1`,
//! variables `0..p` are the features, variable `p` is the target y):
//!
//! | index                     | content                                          |
//! |---------------------------|--------------------------------------------------|
//! | 0                         | [`LAYOUT_VERSION`]                               |
//! | 1                         | p, the number of features                        |
//! | 2                         | rows skipped because of NULLs                    |
//! | 3                         | rows skipped because of NaN/Infinity             |
//! | 4                         | n, rows accumulated                              |
//! | 5 .. 5+d                  | running means of x_0..x_{p-1}, y                 |
//! | 5+d .. 5+d+d(d+1)/2       | co-moments Σ(z_i - mean_i)(z_j - mean_j), packed |
//! |                           | upper triangle, row by row: (0,0),(0,1)..(0,p),(1,1)..(p,p) |
//!
//! Centring (Welford / Chan et al.) keeps the co-moments accurate when the
//! data have large means; raw sums of squares would cancel catastrophically.

use crate::error::{Error, Result};
use crate::fit::flat_state::{
    packed_len, read_counts, validate_header as validate_layout, with_scratch, Layout, MAX_FEATURES, P_IDX,
    VERSION_IDX,
};

/// Bumped whenever the layout changes, so old states are rejected, not misread.
pub const LAYOUT_VERSION: f64 = 1.0;

const NULL_ROWS_IDX: usize = 2;
const NONFINITE_ROWS_IDX: usize = 3;
const N_IDX: usize = 4;
pub const HEADER_LEN: usize = 5;
pub const MEANS_OFFSET: usize = HEADER_LEN;

/// Offset of the packed co-moment triangle for `p` features.
pub const fn comoment_offset(p: usize) -> usize {
    MEANS_OFFSET + p + 1
}

/// Position of `(i, j)`, `i <= j`, in a packed upper triangle of order `d`.
#[inline]
pub fn packed_index(d: usize, i: usize, j: usize) -> usize {
    debug_assert!(i <= j && j < d);
    i * d - i * (i + 1) / 2 + j
}

/// Length of the state array for `p` features.
/// The feature count a state was made for, read without validating it: the transition
/// function's per-row check before the (validating) [`StateMut::new`].
#[inline]
pub fn width_of(buf: &[f64]) -> Option<usize> {
    buf.get(P_IDX).map(|p| *p as usize)
}

pub const fn state_len(p: usize) -> usize {
    comoment_offset(p) + packed_len(p + 1)
}

/// A fresh state: header set, everything else zero.
///
/// # Panics
/// If `p > MAX_FEATURES`; the SQL layer checks the feature count first.
pub fn new_state(p: usize) -> Vec<f64> {
    assert!(
        p <= MAX_FEATURES,
        "at most {MAX_FEATURES} features are supported, got {p}"
    );
    let mut buf = vec![0.0; state_len(p)];
    buf[VERSION_IDX] = LAYOUT_VERSION;
    buf[P_IDX] = p as f64;
    buf
}

/// What [`validate_layout`] checks of a linear-regression state.
const LAYOUT: Layout = Layout {
    version: LAYOUT_VERSION,
    header_len: HEADER_LEN,
    state_len,
    noun: "a state",
    version_note: "",
};

/// Checks version, feature count and length; returns p. O(1): it runs on
/// every transition.
#[inline]
fn validate_header(buf: &[f64]) -> Result<usize> {
    validate_layout(buf, &LAYOUT)
}

/// [`validate_header`] plus the row counters; for whole-state reads, where
/// the extra checks cost nothing next to the O(p²) work.
fn validate_state(buf: &[f64]) -> Result<usize> {
    let p = validate_header(buf)?;
    read_counts(
        buf,
        [
            (NULL_ROWS_IDX, "NULL row count"),
            (NONFINITE_ROWS_IDX, "non-finite row count"),
            (N_IDX, "row count"),
        ],
    )?;
    Ok(p)
}

/// Mutable view over a state array (typically the aggregate's own `float8[]`).
pub struct StateMut<'a> {
    buf: &'a mut [f64],
    p: usize,
}

impl<'a> StateMut<'a> {
    /// Validates version, feature count and length (O(1), so it is cheap
    /// enough to call on every transition; `merge` and
    /// [`SuffStats::from_state`] check the rest).
    pub fn new(buf: &'a mut [f64]) -> Result<Self> {
        let p = validate_header(buf)?;
        Ok(StateMut { buf, p })
    }

    pub fn p(&self) -> usize {
        self.p
    }

    pub fn n(&self) -> u64 {
        self.buf[N_IDX] as u64
    }

    /// Adds one row. Hot path: no allocation, one division, and one pass
    /// over the packed triangle whose inner loop is a plain multiply-add.
    ///
    /// The caller guarantees that all values are finite.
    ///
    /// # Panics
    /// If `x.len() != p`.
    ///
    /// Update (Welford): with `δ = z - mean_old` and `n' = n + 1`,
    /// `C += (n / n') δ δᵀ` and `mean += δ / n'`.
    #[inline]
    pub fn push(&mut self, y: f64, x: &[f64]) {
        assert_eq!(x.len(), self.p, "push: expected {} feature values", self.p);
        // δ lives on the stack.
        with_scratch(self.p + 1, |delta| self.push_with_scratch(y, x, delta));
    }

    #[inline(always)]
    fn push_with_scratch(&mut self, y: f64, x: &[f64], delta: &mut [f64]) {
        let d = delta.len();
        let n_old = self.buf[N_IDX];
        let n_new = n_old + 1.0;
        let inv_n_new = 1.0 / n_new;
        let shrink = n_old * inv_n_new; // n / n'; zero for the first row

        let (head, tail) = self.buf.split_at_mut(MEANS_OFFSET);
        let (means, comoments) = tail.split_at_mut(d);
        let (delta_x, delta_y) = delta.split_at_mut(d - 1);
        for ((dv, &xi), m) in delta_x.iter_mut().zip(x).zip(means.iter_mut()) {
            *dv = xi - *m;
            *m += *dv * inv_n_new;
        }
        delta_y[0] = y - means[d - 1];
        means[d - 1] += delta_y[0] * inv_n_new;

        let mut rest: &mut [f64] = comoments;
        for i in 0..d {
            let (row, next) = rest.split_at_mut(d - i);
            rest = next;
            let scaled = delta[i] * shrink;
            for (c, &dj) in row.iter_mut().zip(&delta[i..]) {
                *c += scaled * dj;
            }
        }
        head[N_IDX] = n_new;
    }

    pub fn note_null_row(&mut self) {
        self.buf[NULL_ROWS_IDX] += 1.0;
    }

    pub fn note_nonfinite_row(&mut self) {
        self.buf[NONFINITE_ROWS_IDX] += 1.0;
    }

    /// Combines another state into this one (Chan, Golub & LeVeque pairwise
    /// update): with `δ = mean_b - mean_a`,
    /// `C = C_a + C_b + (n_a n_b / n) δ δᵀ`, `mean = mean_a + δ n_b / n`.
    pub fn merge(&mut self, other: &[f64]) -> Result<()> {
        validate_state(self.buf)?;
        let p_other = validate_state(other)?;
        // A state that has seen no complete row carries only its counters, whatever its
        // width (the SQL layer creates one for a leading all-NULL row, before p is known).
        if other[N_IDX] == 0.0 {
            self.buf[NULL_ROWS_IDX] += other[NULL_ROWS_IDX];
            self.buf[NONFINITE_ROWS_IDX] += other[NONFINITE_ROWS_IDX];
            return Ok(());
        }
        if p_other != self.p {
            return Err(Error::CorruptState {
                reason: format!(
                    "cannot merge a state for {p_other} feature(s) into one for {} feature(s)",
                    self.p
                ),
            });
        }
        let p = self.p;
        let d = p + 1;
        self.buf[NULL_ROWS_IDX] += other[NULL_ROWS_IDX];
        self.buf[NONFINITE_ROWS_IDX] += other[NONFINITE_ROWS_IDX];
        let n_b = other[N_IDX];
        let n_a = self.buf[N_IDX];
        let n = n_a + n_b;
        let means_b = &other[MEANS_OFFSET..MEANS_OFFSET + d];
        let comoments_b = &other[comoment_offset(p)..];
        let (head, tail) = self.buf.split_at_mut(MEANS_OFFSET);
        let (means_a, comoments_a) = tail.split_at_mut(d);
        let cross_weight = n_a * n_b / n;
        let mut k = 0;
        for i in 0..d {
            let weighted_delta_i = (means_b[i] - means_a[i]) * cross_weight;
            for j in i..d {
                comoments_a[k] += comoments_b[k] + weighted_delta_i * (means_b[j] - means_a[j]);
                k += 1;
            }
        }
        let share_b = n_b / n;
        for (ma, &mb) in means_a.iter_mut().zip(means_b) {
            *ma += (mb - *ma) * share_b;
        }
        head[N_IDX] = n;
        Ok(())
    }
}

/// What sums of squares and products of `n` real rows satisfy: a state with no rows is all
/// zero, one with a single row has zero co-moments, the sums of squares are >= 0 and every
/// product is bounded by them (Cauchy–Schwarz, up to rounding). Together with the fit's
/// check that the residual sum of squares is not negative, this refuses a crafted state
/// instead of reporting a fit of it.
fn check_moments(n: f64, means: &[f64], comoment: &[f64], d: usize) -> Result<()> {
    let corrupt = |reason: String| Err(Error::CorruptState { reason });
    if n == 0.0 && means.iter().any(|m| *m != 0.0) {
        return corrupt("a state without rows has non-zero means".into());
    }
    if n <= 1.0 && comoment.iter().any(|c| *c != 0.0) {
        return corrupt(format!(
            "a state of {n} row(s) has non-zero sums of squares or products"
        ));
    }
    for i in 0..d {
        let cii = comoment[i * d + i];
        if cii < 0.0 {
            return corrupt(format!("negative sum of squares ({cii}) for variable {i}"));
        }
        for j in i + 1..d {
            let (cij, cjj) = (comoment[i * d + j], comoment[j * d + j]);
            // Rounding leaves |Cij|² above Cii·Cjj by a few ulps at most.
            if cij * cij > cii * cjj * (1.0 + 1e-9) + f64::MIN_POSITIVE {
                return corrupt(format!(
                    "the sum of products of variables {i} and {j} ({cij}) exceeds what their sums of squares ({cii}, {cjj}) allow"
                ));
            }
        }
    }
    Ok(())
}

/// Read-only, unpacked copy of a state, for fitting.
#[derive(Debug, Clone, PartialEq)]
pub struct SuffStats {
    pub p: usize,
    pub n: u64,
    pub rows_skipped_null: u64,
    pub rows_nonfinite: u64,
    /// Means of x_0..x_{p-1}, then y.
    pub mean: Vec<f64>,
    /// Full symmetric (p+1)×(p+1) co-moment matrix, row-major, same order.
    pub comoment: Vec<f64>,
}

impl SuffStats {
    /// Validates the whole state (header, and every value finite) and unpacks it.
    pub fn from_state(buf: &[f64]) -> Result<SuffStats> {
        let p = validate_state(buf)?;
        let d = p + 1;
        if let Some(pos) = buf.iter().position(|v| !v.is_finite()) {
            // Finite inputs only overflow if squares exceed f64 range.
            return Err(if pos >= comoment_offset(p) {
                Error::NumericOverflow {
                    what: "the sum of squared deviations of the input".to_string(),
                }
            } else {
                Error::CorruptState {
                    reason: format!("element {} is {}", pos + 1, buf[pos]),
                }
            });
        }
        let packed = &buf[comoment_offset(p)..];
        let mut comoment = vec![0.0; d * d];
        for i in 0..d {
            for j in i..d {
                let v = packed[packed_index(d, i, j)];
                comoment[i * d + j] = v;
                comoment[j * d + i] = v;
            }
        }
        check_moments(buf[N_IDX], &buf[MEANS_OFFSET..MEANS_OFFSET + d], &comoment, d)?;
        Ok(SuffStats {
            p,
            n: buf[N_IDX] as u64,
            rows_skipped_null: buf[NULL_ROWS_IDX] as u64,
            rows_nonfinite: buf[NONFINITE_ROWS_IDX] as u64,
            mean: buf[MEANS_OFFSET..MEANS_OFFSET + d].to_vec(),
            comoment,
        })
    }

    /// Builds the statistics directly from rows (tests, small in-memory fits).
    ///
    /// # Panics
    /// If `p > MAX_FEATURES`, a row has the wrong length, or the data
    /// overflow f64.
    pub fn from_rows<'r>(p: usize, rows: impl IntoIterator<Item = (f64, &'r [f64])>) -> SuffStats {
        let mut buf = new_state(p);
        let mut state = StateMut::new(&mut buf).expect("fresh state is valid");
        for (y, x) in rows {
            state.push(y, x);
        }
        SuffStats::from_state(&buf).expect("accumulated finite rows")
    }

    fn d(&self) -> usize {
        self.p + 1
    }

    pub fn x_mean(&self) -> &[f64] {
        &self.mean[..self.p]
    }

    pub fn y_mean(&self) -> f64 {
        self.mean[self.p]
    }

    /// Σ(x - x̄)(x - x̄)ᵀ, p×p row-major.
    pub fn cxx(&self) -> Vec<f64> {
        let (p, d) = (self.p, self.d());
        let mut out = Vec::with_capacity(p * p);
        for i in 0..p {
            out.extend_from_slice(&self.comoment[i * d..i * d + p]);
        }
        out
    }

    /// Σ(x - x̄)(y - ȳ), length p.
    pub fn cxy(&self) -> Vec<f64> {
        let (p, d) = (self.p, self.d());
        (0..p).map(|i| self.comoment[i * d + p]).collect()
    }

    /// Σ(y - ȳ)².
    pub fn cyy(&self) -> f64 {
        let d = self.d();
        self.comoment[d * d - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two-pass textbook co-moments, the reference for the streaming update.
    fn two_pass(rows: &[(f64, Vec<f64>)], p: usize) -> (Vec<f64>, Vec<f64>) {
        let d = p + 1;
        let n = rows.len() as f64;
        let z = |r: &(f64, Vec<f64>), i: usize| if i < p { r.1[i] } else { r.0 };
        let mean: Vec<f64> = (0..d)
            .map(|i| rows.iter().map(|r| z(r, i)).sum::<f64>() / n)
            .collect();
        let mut c = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                c[i * d + j] = rows
                    .iter()
                    .map(|r| (z(r, i) - mean[i]) * (z(r, j) - mean[j]))
                    .sum();
            }
        }
        (mean, c)
    }

    fn sample_rows() -> Vec<(f64, Vec<f64>)> {
        // Deterministic, mildly irregular values around large offsets.
        (0..50)
            .map(|k| {
                let t = k as f64;
                let x0 = 1000.0 + (t * 0.7).sin() * 3.0;
                let x1 = -50.0 + t * 0.25 + (t * 1.3).cos();
                let x2 = (t * t) % 7.0;
                (2.0 * x0 - x1 + 0.5 * x2 + (t * 2.1).sin(), vec![x0, x1, x2])
            })
            .collect()
    }

    #[test]
    fn layout_lengths() {
        assert_eq!(state_len(0), 7);
        assert_eq!(state_len(1), 5 + 2 + 3);
        assert_eq!(state_len(10), 5 + 11 + 66);
        let s = new_state(3);
        assert_eq!(s.len(), state_len(3));
        assert_eq!(&s[..5], &[1.0, 3.0, 0.0, 0.0, 0.0]);
        // Packed order is row by row.
        let d = 4;
        let mut k = 0;
        for i in 0..d {
            for j in i..d {
                assert_eq!(packed_index(d, i, j), k);
                k += 1;
            }
        }
        assert_eq!(k, packed_len(d));
    }

    #[test]
    fn push_matches_two_pass() {
        let rows = sample_rows();
        let stats = SuffStats::from_rows(3, rows.iter().map(|(y, x)| (*y, x.as_slice())));
        let (mean, c) = two_pass(&rows, 3);
        assert_eq!(stats.n, 50);
        for (a, b) in stats.mean.iter().zip(&mean) {
            assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{a} vs {b}");
        }
        // Off-diagonal co-moments can cancel; judge them on their natural
        // scale sqrt(C_ii C_jj) (Cauchy-Schwarz bound).
        for i in 0..4 {
            for j in 0..4 {
                let (a, b) = (stats.comoment[i * 4 + j], c[i * 4 + j]);
                let scale = (c[i * 4 + i] * c[j * 4 + j]).sqrt();
                assert!((a - b).abs() <= 1e-13 * scale, "C[{i}][{j}]: {a} vs {b}");
            }
        }
        assert_eq!(stats.cxx().len(), 9);
        assert_eq!(stats.cxy().len(), 3);
        assert_eq!(stats.cyy(), stats.comoment[15]);
        assert_eq!(stats.x_mean(), &stats.mean[..3]);
        assert_eq!(stats.y_mean(), stats.mean[3]);
    }

    #[test]
    fn header_validation() {
        let mut s = new_state(2);
        assert!(StateMut::new(&mut s).is_ok());
        let mut short = s[..s.len() - 1].to_vec();
        assert!(matches!(
            StateMut::new(&mut short),
            Err(Error::CorruptState { .. })
        ));
        let mut bad_version = s.clone();
        bad_version[0] = 2.0;
        assert!(StateMut::new(&mut bad_version).is_err());
        let mut bad_p = s.clone();
        bad_p[1] = 1.5;
        assert!(StateMut::new(&mut bad_p).is_err());
        let mut negative_n = s.clone();
        negative_n[4] = -1.0;
        // Counters are checked on whole-state reads, not on every push.
        assert!(SuffStats::from_state(&negative_n).is_err());
        let mut fresh = new_state(2);
        assert!(StateMut::new(&mut fresh).unwrap().merge(&negative_n).is_err());
        negative_n[4] = 0.5;
        assert!(SuffStats::from_state(&negative_n).is_err());
        let mut tiny = vec![1.0, 0.0];
        assert!(StateMut::new(&mut tiny).is_err());
        let mut nan_mean = s.clone();
        nan_mean[5] = f64::NAN;
        assert!(matches!(
            SuffStats::from_state(&nan_mean),
            Err(Error::CorruptState { .. })
        ));
        let mut overflow = s.clone();
        let last = overflow.len() - 1;
        overflow[last] = f64::INFINITY;
        assert!(matches!(
            SuffStats::from_state(&overflow),
            Err(Error::NumericOverflow { .. })
        ));
    }

    #[test]
    fn crafted_moments_are_refused() {
        let rows = sample_rows();
        let mut s = new_state(3);
        let mut st = StateMut::new(&mut s).unwrap();
        for (y, x) in &rows {
            st.push(*y, x);
        }
        assert!(SuffStats::from_state(&s).is_ok());
        let at = |i: usize, j: usize| comoment_offset(3) + packed_index(4, i, j);
        let with = |idx: usize, v: f64| {
            let mut t = s.clone();
            t[idx] = v;
            SuffStats::from_state(&t)
        };
        assert!(matches!(with(at(3, 3), -1.0), Err(Error::CorruptState { .. })));
        // A product beyond Cauchy–Schwarz: |C01| > sqrt(C00 C11).
        let bound = (s[at(0, 0)] * s[at(1, 1)]).sqrt();
        assert!(matches!(
            with(at(0, 1), 1.01 * bound),
            Err(Error::CorruptState { .. })
        ));
        assert!(with(at(0, 1), 0.99 * bound).is_ok());
        // No rows, yet means; one row, yet co-moments.
        let mut empty = new_state(1);
        empty[MEANS_OFFSET] = 3.0;
        assert!(SuffStats::from_state(&empty).is_err());
        let mut one = new_state(1);
        one[N_IDX] = 1.0;
        one[comoment_offset(1)] = 2.0;
        assert!(SuffStats::from_state(&one).is_err());
    }

    #[test]
    fn skipped_row_counters() {
        let mut s = new_state(1);
        let mut st = StateMut::new(&mut s).unwrap();
        st.note_null_row();
        st.note_null_row();
        st.note_nonfinite_row();
        st.push(1.0, &[2.0]);
        assert_eq!(st.n(), 1);
        let stats = SuffStats::from_state(&s).unwrap();
        assert_eq!((stats.rows_skipped_null, stats.rows_nonfinite), (2, 1));
        assert_eq!(stats.mean, vec![2.0, 1.0]);
        assert_eq!(stats.comoment, vec![0.0; 4]);
    }

    #[test]
    fn constant_column_stays_exactly_zero() {
        let mut s = new_state(1);
        let mut st = StateMut::new(&mut s).unwrap();
        for k in 0..100 {
            st.push(k as f64, &[0.1]);
        }
        let stats = SuffStats::from_state(&s).unwrap();
        assert_eq!(stats.mean[0], 0.1);
        assert_eq!(stats.cxx(), vec![0.0]);
        assert_eq!(stats.cxy(), vec![0.0]);
    }
}
