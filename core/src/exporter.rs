//! The format plug-in contract: a const descriptor (`ExporterFactory`) that builds, per export,
//! a parallel `BatchEncoder` and a sequential `FormatWriter`.
//!
//! Lifecycle of one export:
//! `build` → `FormatWriter::begin` → for each batch, in parallel, `BatchEncoder::encode`
//! → `FormatWriter::write` in input order → `FormatWriter::finish`.

use crate::config::LabelConfig;
use crate::error::Result;
use crate::options::ExportOptions;
use crate::output::Output;
use crate::task::Batch;
use std::any::Any;
use std::sync::Arc;

/// What a format is, for listings and for choosing output names.
#[derive(Debug, Clone, Copy)]
pub struct FormatInfo {
    /// Registry name, upper case (`JSON_MIN`). Lookups are case-insensitive.
    pub name: &'static str,
    /// Human title (`JSON-MIN`).
    pub title: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Extension of the main output file, without dot (`json`, `csv`).
    pub extension: &'static str,
    /// Name of the same format in Label Studio's `Format` enum, if it has one.
    /// Used by the default [`ExporterFactory::supports`].
    pub ls_name: Option<&'static str>,
}

/// Whether a format can export a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// It can.
    Supported,
    /// It cannot, and why.
    Unsupported(String),
}

/// Everything an export's encoder and writer may read.
#[derive(Debug, Clone)]
pub struct ExportContext {
    /// The project's label config, when one was given.
    pub config: Option<Arc<LabelConfig>>,
    /// The export options.
    pub options: ExportOptions,
}

/// A format's const-constructible descriptor, registered with [`crate::register_format!`].
pub trait ExporterFactory: Send + Sync + 'static {
    /// Name, title and file layout.
    fn info(&self) -> &FormatInfo;

    /// Whether the format can export a project with this label config. The default follows
    /// Label Studio's rule for [`FormatInfo::ls_name`], and supports everything without one.
    fn supports(&self, config: &LabelConfig) -> Support {
        let Some(ls) = self.info().ls_name else {
            return Support::Supported;
        };
        match config.ls_supported_formats() {
            Ok(list) if list.contains(&ls) => Support::Supported,
            Ok(_) => Support::Unsupported(format!(
                "Label Studio does not offer {ls} for this label config"
            )),
            Err(e) => Support::Unsupported(e.to_string()),
        }
    }

    /// Builds the encoder and writer for one export.
    fn build(&self, ctx: &ExportContext) -> Result<Exporter>;
}

/// Encodes batches of tasks; called from several threads at once.
pub trait BatchEncoder: Send + Sync {
    /// Encodes a batch (tasks in input order) into a fragment. Must be a pure function of its
    /// arguments so that output is identical for any thread count and batch size.
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment>;
}

/// Writes fragments, in input order, to the output; runs on one thread.
pub trait FormatWriter: Send {
    /// Called once before the first fragment.
    fn begin(&mut self, _ctx: &ExportContext, _out: &mut Output) -> Result<()> {
        Ok(())
    }

    /// Writes one fragment.
    fn write(&mut self, frag: Fragment, out: &mut Output) -> Result<()>;

    /// Writes footers and closes parts. Consumes the writer: it can finish only once.
    fn finish(self: Box<Self>, out: &mut Output) -> Result<()>;
}

/// A built export: the parallel half and the sequential half.
pub struct Exporter {
    /// Encodes batches in parallel.
    pub encoder: Box<dyn BatchEncoder>,
    /// Writes fragments in order.
    pub writer: Box<dyn FormatWriter>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Exporter { .. }")
    }
}

/// The encoded form of one batch.
#[derive(Default)]
pub struct Fragment {
    /// Bytes for the format's main part.
    pub bytes: Vec<u8>,
    /// Records (items, rows, files) the batch produced.
    pub records: u64,
    /// Anything else the format's writer needs (downcast it there).
    pub payload: Option<Box<dyn Any + Send>>,
    /// Data problems that did not stop the batch (a skipped region, an unknown label, ...).
    pub warnings: Vec<Warning>,
}

/// A data problem that did not stop the export; listed in the summary, an error with `strict`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 0-based index of the task in the input.
    pub task_index: u64,
    /// The task id as written.
    pub task_id: Option<String>,
    /// What happened, one line.
    pub message: String,
}

impl Warning {
    /// A warning about `task`.
    pub fn new(task: &crate::TaskRecord<'_>, message: impl Into<String>) -> Self {
        Warning {
            task_index: task.index,
            task_id: task.id_text(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "task #{}", self.task_index)?;
        if let Some(id) = &self.task_id {
            write!(f, " (id {id})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::fmt::Debug for Fragment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fragment")
            .field("bytes", &self.bytes.len())
            .field("records", &self.records)
            .field("payload", &self.payload.is_some())
            .field("warnings", &self.warnings.len())
            .finish()
    }
}
