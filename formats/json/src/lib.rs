//! exportkit's JSON formats:
//! - `JSON`: the filtered tasks, each task's bytes passed through untouched (lossless);
//! - `JSON_MIN`: one flat record per annotation (data + prettified results + annotator).
//!
//! Both have a clean default and a `--compat label-studio` mode byte-identical to
//! label-studio-sdk 2.1.2.
#![deny(missing_docs)]

mod array;
mod json;
mod json_min;

pub use json::JsonFormat;
pub use json_min::JsonMinFormat;

/// The `JSON` format descriptor.
pub static JSON: JsonFormat = JsonFormat;
/// The `JSON_MIN` format descriptor.
pub static JSON_MIN: JsonMinFormat = JsonMinFormat;

exportkit_core::register_format!(JSON);
exportkit_core::register_format!(JSON_MIN);
