//! Shared helpers for the integration tests: data-file readers and error measures.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

use cltv_core::fit::suffstats::{new_state, StateMut, SuffStats};

pub fn data_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

/// Rows as (y, x) pairs, plus the feature names.
pub struct Dataset {
    pub features: Vec<String>,
    pub rows: Vec<(f64, Vec<f64>)>,
}

impl Dataset {
    pub fn p(&self) -> usize {
        self.features.len()
    }

    pub fn stats(&self) -> SuffStats {
        SuffStats::from_state(&self.state_of(&self.rows)).unwrap()
    }

    /// A fresh aggregate state with `rows` pushed into it.
    pub fn state_of(&self, rows: &[(f64, Vec<f64>)]) -> Vec<f64> {
        let mut buf = new_state(self.p());
        let mut state = StateMut::new(&mut buf).unwrap();
        for (y, x) in rows {
            state.push(*y, x);
        }
        buf
    }
}

/// A NIST StRD file in the `key: value` format of tests/data/*.txt.
pub struct NistDataset {
    pub name: String,
    pub data: Dataset,
    pub estimate: Vec<f64>,
    pub std_error: Vec<f64>,
    pub residual_sd: f64,
    pub r_squared: f64,
}

fn numbers(s: &str) -> Vec<f64> {
    s.split_whitespace().map(|v| v.parse().unwrap()).collect()
}

pub fn read_nist(file: &str) -> NistDataset {
    let text = std::fs::read_to_string(data_path(file)).unwrap();
    let mut meta = std::collections::HashMap::new();
    let mut raw_rows = Vec::new();
    let mut in_data = false;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if in_data {
            raw_rows.push(numbers(line));
            continue;
        }
        let (key, value) = line.split_once(':').unwrap();
        meta.insert(key.trim().to_string(), value.trim().to_string());
        in_data = key.trim() == "data";
    }
    let degree: i32 = meta["polynomial_degree"].parse().unwrap();
    let rows = raw_rows
        .iter()
        .map(|r| {
            let x = if degree > 0 {
                (1..=degree).map(|k| r[1].powi(k)).collect()
            } else {
                r[1..].to_vec()
            };
            (r[0], x)
        })
        .collect();
    NistDataset {
        name: meta["name"].clone(),
        data: Dataset {
            features: meta["features"].split_whitespace().map(String::from).collect(),
            rows,
        },
        estimate: numbers(&meta["certified_estimate"]),
        std_error: numbers(&meta["certified_std_error"]),
        residual_sd: meta["certified_residual_sd"].parse().unwrap(),
        r_squared: meta["certified_r_squared"].parse().unwrap(),
    }
}

/// CSV with a header `y,name1,name2,...` and one row per line.
pub fn read_csv(file: &str) -> Dataset {
    let text = std::fs::read_to_string(data_path(file)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|s| s.parse().unwrap()).collect();
            (v[0], v[1..].to_vec())
        })
        .collect();
    Dataset {
        features: header[1..].to_vec(),
        rows,
    }
}

pub fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

/// Asserts `got` matches `want` to `tol` relative, and returns the error.
#[track_caller]
pub fn assert_rel(got: f64, want: f64, tol: f64, what: &str) -> f64 {
    let err = rel_err(got, want);
    assert!(
        err <= tol,
        "{what}: got {got:e}, want {want:e}, relative error {err:e} > {tol:e}"
    );
    err
}

#[track_caller]
pub fn assert_all_rel(got: &[f64], want: &[f64], tol: f64, what: &str) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    got.iter()
        .zip(want)
        .enumerate()
        .map(|(i, (g, w))| assert_rel(*g, *w, tol, &format!("{what}[{i}]")))
        .fold(0.0, f64::max)
}

pub fn unwrap_all(v: &[Option<f64>]) -> Vec<f64> {
    v.iter()
        .map(|x| x.expect("statistic should be defined"))
        .collect()
}
