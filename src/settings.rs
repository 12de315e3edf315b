//! Every `cltv.*` setting, registered in one place.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

/// Seed of the hash that splits training rows into train and test sets. The split is a
/// pure function of (split key, seed), so retraining sees the same split unless asked.
pub static SPLIT_SEED: GucSetting<i32> = GucSetting::<i32>::new(0);

pub fn register() {
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
}
