//! exportkit facade.
pub use exportkit_core as core;
