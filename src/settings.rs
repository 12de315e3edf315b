//! Every `cltv.*` setting, registered in one place.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

/// Seed of the hash that splits training rows into train and test sets. The split is a
/// pure function of (split key, seed), so retraining sees the same split unless asked.
pub static SPLIT_SEED: GucSetting<i32> = GucSetting::<i32>::new(0);

/// Memory, in kB, that the in-memory training paths (the lbfgs solver's rows, the BTYD
/// fits' summaries) may take; above it a training is refused with SQLSTATE 54000.
pub static MAX_TRAINING_MEMORY: GucSetting<i32> =
    GucSetting::<i32>::new(cltv_core::limits::DEFAULT_MAX_TRAINING_MEMORY_KB);

/// A training reports each pass over the data that takes at least this many milliseconds
/// in a NOTICE (-1: never).
pub static PROGRESS: GucSetting<i32> = GucSetting::<i32>::new(1000);

pub fn register() {
    GucRegistry::define_int_guc(
        c"cltv.progress",
        c"Report each training pass that takes at least this long in a NOTICE.",
        c"-1 turns the reports off; 0 reports every pass.",
        &PROGRESS,
        -1,
        i32::MAX,
        GucContext::Userset,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"cltv.split_seed",
        c"Default seed of the train/test split hash.",
        c"The option \"split_seed\" of cltv_train overrides it for one call.",
        &SPLIT_SEED,
        i32::MIN,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cltv.max_training_memory",
        c"Memory that one in-memory training (the lbfgs solver, a BTYD fit) may take.",
        c"Trainings whose rows would need more are refused with SQLSTATE 54000 before they are read.",
        &MAX_TRAINING_MEMORY,
        1024,
        i32::MAX,
        GucContext::Userset,
        GucFlags::UNIT_KB,
    );
}
