//! What a model is once trained: how it scores a row ([`scoring`]), the options it was
//! trained with ([`options`]), how its categorical features are encoded ([`encoding`]),
//! its per-group coefficients ([`groups`]), its value tiers ([`segments`]), what
//! training learnt besides the coefficients ([`preprocessing`]), and the JSON
//! document it is exported as and imported from ([`export`]).

pub mod encoding;
pub mod export;
pub mod groups;
pub mod options;
pub mod preprocessing;
pub mod scoring;
pub mod segments;
