//! exportkit-core: the task model, label-config parser, `Exporter` trait, registry and the
//! streaming pipeline every exportkit format plugs into.
#![deny(missing_docs)]

pub mod config;
pub mod jsonfmt;
