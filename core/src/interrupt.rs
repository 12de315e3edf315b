//! Cancellation of long computations.
//!
//! Every loop of the core whose length depends on its input (months of a CLV horizon,
//! series terms, optimiser iterations, per-customer likelihood sums, rows of an in-memory
//! fit) calls [`check`], or [`check_every`] inside tight per-row loops. The core knows
//! nothing of PostgreSQL: the SQL layer registers a hook once ([`set_hook`]) that runs
//! PostgreSQL's `CHECK_FOR_INTERRUPTS()`, so a query cancel, `statement_timeout` or
//! `pg_terminate_backend` unwinds out of the loop (as a Rust panic that the SQL layer
//! turns back into the original PostgreSQL error). Without a hook, [`check`] does nothing.

use std::sync::OnceLock;

static HOOK: OnceLock<fn()> = OnceLock::new();

/// Tight loops call the hook once per this many iterations (a power of two), so that its
/// cost is negligible next to theirs.
pub const CHECK_EVERY: usize = 1024;

/// Registers the process-wide interrupt check; only the first call has an effect.
/// Returns whether this call set it.
pub fn set_hook(hook: fn()) -> bool {
    HOOK.set(hook).is_ok()
}

/// Runs the interrupt check, if one is registered. It may unwind (a cancelled query).
#[inline]
pub fn check() {
    if let Some(hook) = HOOK.get() {
        hook()
    }
}

/// [`check`] on every [`CHECK_EVERY`]-th value of the loop counter `i` (including 0).
#[inline]
pub fn check_every(i: usize) {
    if i & (CHECK_EVERY - 1) == 0 {
        check()
    }
}

/// Test support: a hook that counts its calls per thread, and can be told to panic (as a
/// cancelled query unwinds) once a thread has made a given number of calls. Tests run in
/// threads of one process and the hook is process-wide, so the counts are per thread.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::Cell;

    thread_local! {
        static CALLS: Cell<u64> = const { Cell::new(0) };
        static PANIC_AFTER: Cell<Option<u64>> = const { Cell::new(None) };
    }

    /// The message of the test hook's panic.
    pub const CANCELLED: &str = "test hook: query cancelled";

    fn hook() {
        let calls = CALLS.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
        if PANIC_AFTER.with(|p| p.get()).is_some_and(|n| calls > n) {
            panic!("{CANCELLED}");
        }
    }

    /// Installs the counting hook (idempotent) and resets this thread's count; with
    /// `panic_after`, the hook panics on this thread after that many calls.
    pub fn install(panic_after: Option<u64>) {
        let _ = super::set_hook(hook);
        assert!(
            super::HOOK.get() == Some(&(hook as fn())),
            "another interrupt hook is registered"
        );
        CALLS.with(|c| c.set(0));
        PANIC_AFTER.with(|p| p.set(panic_after));
    }

    /// Calls made on this thread since [`install`].
    pub fn calls() -> u64 {
        CALLS.with(|c| c.get())
    }

    /// Runs `f` with a hook that panics after `after` calls, and asserts that it does: the
    /// code under test checks for interrupts and lets the unwinding through.
    pub fn assert_cancels<T>(after: u64, f: impl FnOnce() -> T) {
        install(Some(after));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        PANIC_AFTER.with(|p| p.set(None));
        let err = match result {
            Ok(_) => panic!("the computation finished: it never checked for interrupts {after} times"),
            Err(e) => e,
        };
        let message = err
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| err.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        assert_eq!(message, CANCELLED, "a different panic");
    }
}

#[cfg(test)]
mod tests {
    use super::testing;

    #[test]
    fn check_every_calls_the_hook_once_per_block() {
        testing::install(None);
        for i in 0..(3 * super::CHECK_EVERY) {
            super::check_every(i);
        }
        assert_eq!(testing::calls(), 3);
        super::check();
        assert_eq!(testing::calls(), 4);
    }
}
