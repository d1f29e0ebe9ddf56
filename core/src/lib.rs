//! exportkit-core: the task model, label-config parser, `Exporter` contract, registry and the
//! streaming pipeline every exportkit format plugs into.
//!
//! A format is a crate that implements [`ExporterFactory`] (a const descriptor) which builds a
//! [`BatchEncoder`] (pure, runs on many threads) and a [`FormatWriter`] (sequential, sees
//! fragments in input order), and registers itself with [`register_format!`].
#![deny(missing_docs)]

pub mod config;
pub mod error;
pub mod exporter;
pub mod geometry;
pub mod input;
pub mod jsonfmt;
pub mod labels;
pub mod model;
pub mod names;
pub mod options;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod registry;
pub mod resources;
pub mod rle;
pub mod task;
pub mod time;
pub mod view;

pub use config::LabelConfig;
pub use error::{Error, ErrorKind, Result};
pub use exporter::{
    BatchEncoder, ExportContext, Exporter, ExporterFactory, FormatInfo, FormatWriter, Fragment,
    Support,
};
pub use input::Input;
pub use options::{AnnotationFilter, Compat, ExportOptions, Pick, TaskFilter};
pub use output::{Output, Target};
pub use pipeline::{ExportJob, ExportSummary};
pub use progress::{CancelToken, Progress, ProgressObserver, Stage};
pub use registry::{FormatRegistration, Registry};
pub use task::{Batch, Item, OutputGroup, Schema, TaskRecord};

#[doc(hidden)]
pub use inventory;
