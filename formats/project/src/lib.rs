//! exportkit's portable project format.
//!
//! * Export: the `PROJECT` format writes `project.json`, a versioned, canonical, portable
//!   document (label config, settings, users by email, tasks with their annotations,
//!   predictions and drafts; no database ids). See [`format`] for the layout and options.
//! * Import: [`import`] validates a document and turns it into a typed [`import::Plan`] (tasks
//!   with remapped references) that a host writes in one transaction, or into a Label
//!   Studio-importable directory (`tasks.json`, `config.xml`, `project.json`, `import-report.json`).
//!
//! Format options (`--set KEY=VALUE`): `include` (comma list of `predictions`, `drafts`, `users`,
//! `provenance`, or `all` / `none`; default `users`), `max_bytes` (default 10 MB, 0 = none),
//! `project_title`, `project_file` (path to a project JSON file, the CLI's `--project`), `config_path` (the label config file,
//! copied verbatim), `export_id` / `exported_at` (fix the volatile header, for reproducible output).
#![deny(missing_docs)]

pub mod encode;
pub mod format;
mod header;
pub mod import;
pub mod node;

pub use format::{FORMAT_TAG, FORMAT_VERSION, ProjectFormat};

/// The JSON Schema of the document (draft 2020-12), shipped with the crate.
pub const SCHEMA: &str = include_str!("../schema/project-export.schema.json");

/// The `PROJECT` format descriptor.
pub static PROJECT: ProjectFormat = ProjectFormat;

exportkit_core::register_format!(PROJECT);
