//! Numerics with no model in them: dense linear algebra, the gamma family, and the
//! distribution functions of inference.

pub mod linalg;
pub mod special;
pub mod stats;
