//! Export options: Label Studio's task/annotation filters, serialization switches, compat mode.

/// Which behaviour a Label Studio format follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// Correct and clean output (fixes Label Studio's known bugs; see the README).
    #[default]
    Clean,
    /// Byte-identical to label-studio-sdk 2.1.2's converter.
    LabelStudio,
}

/// Which tasks go in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TaskFilter {
    /// Every task of the input.
    #[default]
    All,
    /// Tasks that keep at least one annotation after the annotation filter
    /// (Label Studio's default `download_all_tasks=false`).
    Annotated,
    /// Tasks whose id is in the list (ids as written in the input, e.g. `12` or `"abc"`).
    Ids(Vec<String>),
}

/// Which annotations go in: the OR of the flags; no flag set keeps every annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AnnotationFilter {
    /// Ordinary annotations: not cancelled and not ground truth.
    pub usual: bool,
    /// Ground-truth annotations.
    pub ground_truth: bool,
    /// Cancelled (skipped) annotations.
    pub skipped: bool,
}

impl AnnotationFilter {
    /// Whether any flag is set (otherwise every annotation is kept).
    pub fn is_active(&self) -> bool {
        self.usual || self.ground_truth || self.skipped
    }

    /// Whether an annotation with these flags is kept.
    pub fn keeps(&self, cancelled: bool, ground_truth: bool) -> bool {
        !self.is_active()
            || (self.usual && !cancelled && !ground_truth)
            || (self.ground_truth && ground_truth)
            || (self.skipped && cancelled)
    }
}

/// Which annotation of a task one-file-per-image formats (YOLO, VOC, ...) export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pick {
    /// The newest (by `created_at`).
    #[default]
    Latest,
    /// The oldest.
    First,
    /// The newest ground-truth annotation; tasks without one export no regions.
    GroundTruth,
    /// Every annotation's regions together.
    All,
}

/// Options of one export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Clean (default) or Label Studio byte-compatible output.
    pub compat: Compat,
    /// Worker threads for encoding; 0 means one per core.
    pub threads: usize,
    /// Tasks per batch handed to a worker.
    pub batch_size: usize,
    /// Which tasks go in.
    pub task_filter: TaskFilter,
    /// Which annotations go in.
    pub annotation_filter: AnnotationFilter,
    /// Keep `drafts` in formats that carry them (JSON); otherwise they are written as `[]`.
    pub drafts: bool,
    /// Keep `predictions` in formats that carry them (JSON); otherwise they are written as `[]`.
    pub predictions: bool,
    /// Write a header row (CSV/TSV). Label Studio always writes one.
    pub header: bool,
    /// Which annotation formats with one file per image export (clean mode).
    pub pick: Pick,
    /// Turn data warnings (skipped regions, unknown labels, ...) into errors.
    pub strict: bool,
    /// Copy the images (and other media) tasks point to into the output, for formats that can
    /// (VOC; the `*_WITH_IMAGES` formats always do).
    pub download_resources: bool,
    /// Where task URLs may be read from, and the download policy.
    pub resources: crate::resources::ResourceOptions,
    /// Format-specific settings by key (e.g. DwC-A `mapping`, `taxonomy`, `metadata`), from
    /// the CLI's `--set KEY=VALUE` and dedicated flags. Formats document the keys they read.
    pub format_options: std::collections::BTreeMap<String, String>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            compat: Compat::Clean,
            threads: 0,
            batch_size: 1000,
            task_filter: TaskFilter::All,
            annotation_filter: AnnotationFilter::default(),
            drafts: true,
            predictions: true,
            header: true,
            pick: Pick::Latest,
            strict: false,
            download_resources: false,
            resources: crate::resources::ResourceOptions::default(),
            format_options: std::collections::BTreeMap::new(),
        }
    }
}

impl ExportOptions {
    /// Whether Label Studio byte-compatibility is asked for.
    pub fn is_compat(&self) -> bool {
        self.compat == Compat::LabelStudio
    }
}
