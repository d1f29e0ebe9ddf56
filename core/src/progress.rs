//! Progress reporting and cancellation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The stage an export is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Reading, parsing and encoding tasks (these overlap).
    Encoding,
    /// Downloading or copying resources.
    Resources,
    /// Writing footers, manifests and spilled parts.
    Writing,
    /// Zipping and moving the output into place.
    Packaging,
    /// Finished.
    Done,
}

/// A snapshot of an export's progress.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Current stage.
    pub stage: Stage,
    /// Input bytes consumed so far.
    pub bytes_read: u64,
    /// Input size, when known.
    pub bytes_total: Option<u64>,
    /// Tasks read so far.
    pub tasks_read: u64,
    /// Tasks written to the output so far.
    pub tasks_written: u64,
}

/// Receives progress; called from the writer thread after each batch.
pub trait ProgressObserver: Send + Sync {
    /// Called with the latest snapshot.
    fn on_progress(&self, progress: &Progress);
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressObserver for NoProgress {
    fn on_progress(&self, _: &Progress) {}
}

/// A cheap, clonable cancellation flag, checked between batches.
#[derive(Debug, Default, Clone)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A new, not cancelled token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the export to stop; it fails with `ErrorKind::Cancelled` and leaves no output.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
