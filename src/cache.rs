//! The scoring cache: models parsed once per backend, keyed by the exact catalog row.
//!
//! Versions are immutable, so a parsed version never goes stale. The key also carries the
//! row's xmin and ctid, so a model dropped and re-trained under the same name and version
//! number is a different key. Which version a name means (the deployed one) is looked up
//! once per statement by `catalog::resolve`, so new deploys are seen by new statements and
//! an uncommitted deploy is never seen by another session.

use crate::catalog::LoadedModel;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Enough for the models a backend scores with; beyond it the cache starts afresh.
const MAX_ENTRIES: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VersionKey {
    pub model: String,
    pub version: i32,
    /// `xmin:ctid` of the model_versions row.
    pub row_identity: String,
}

thread_local! {
    static MODELS: RefCell<HashMap<VersionKey, Rc<LoadedModel>>> = RefCell::new(HashMap::new());
}

pub fn get_or_load(key: VersionKey, load: impl FnOnce() -> LoadedModel) -> Rc<LoadedModel> {
    if let Some(hit) = MODELS.with(|m| m.borrow().get(&key).cloned()) {
        return hit;
    }
    let loaded = Rc::new(load());
    MODELS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(key, loaded.clone());
    });
    loaded
}
