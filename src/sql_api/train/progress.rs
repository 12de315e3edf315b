//! NOTICEs that tell a long training where it is: one per pass over the data that took at
//! least `cltv.progress` milliseconds (default 1 s; -1 turns them off), with the pass's
//! number, its time and the time so far, and for an IRLS iteration its rows and the change
//! in the log-likelihood.

use crate::settings;
use pgrx::prelude::*;
use std::cell::Cell;
use std::time::{Duration, Instant};

pub(super) struct Progress {
    model: String,
    started: Instant,
    passes: Cell<u32>,
}

impl Progress {
    pub(super) fn new(model: &str) -> Progress {
        Progress {
            model: model.to_string(),
            started: Instant::now(),
            passes: Cell::new(0),
        }
    }

    /// Count a pass that took `elapsed`; `detail` says what it found.
    pub(super) fn pass_done(&self, elapsed: Duration, detail: impl FnOnce() -> String) {
        let pass = self.passes.get() + 1;
        self.passes.set(pass);
        let threshold = settings::PROGRESS.get();
        if threshold < 0 || elapsed < Duration::from_millis(threshold as u64) {
            return;
        }
        notice!(
            "training model \"{}\": pass {pass}{} took {:.1} s ({:.1} s so far)",
            self.model,
            detail(),
            elapsed.as_secs_f64(),
            self.started.elapsed().as_secs_f64()
        );
    }
}
