//! The download cache: one file per key in a temporary directory owned by the resolver and
//! removed with it. Concurrent requests for one key wait for the first; results (failures
//! too) are kept for the resolver's life, so one URL is downloaded at most once per export.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::error::ResourceError;

type Slot = Arc<OnceLock<Result<PathBuf, ResourceError>>>;

/// Downloaded files by key.
#[derive(Debug)]
pub(crate) struct Cache {
    dir: tempfile::TempDir,
    next: AtomicU64,
    slots: Mutex<HashMap<String, Slot>>,
}

impl Cache {
    /// A cache in a new temporary directory under `parent` (or the system's temp dir).
    pub(crate) fn new(parent: Option<&Path>) -> std::io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".exportkit-cache-");
        let dir = match parent {
            Some(p) => builder.tempdir_in(p)?,
            None => builder.tempdir()?,
        };
        Ok(Cache {
            dir,
            next: AtomicU64::new(0),
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// The cached file for `key`, made by `fetch(partial_path)` on first use. `fetch` writes
    /// the partial file; it is renamed into place on success and removed on failure.
    pub(crate) fn get_or_fetch(
        &self,
        key: &str,
        fetch: impl FnOnce(&Path) -> Result<u64, ResourceError>,
    ) -> Result<PathBuf, ResourceError> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(key.to_owned()).or_default().clone()
        };
        slot.get_or_init(|| {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let path = self.dir.path().join(n.to_string());
            let partial = self.dir.path().join(format!("{n}.partial"));
            let result = fetch(&partial).and_then(|_| {
                std::fs::rename(&partial, &path)
                    .map_err(|e| ResourceError::io(partial.display(), &e))
            });
            match result {
                Ok(()) => Ok(path),
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    Err(e)
                }
            }
        })
        .clone()
    }
}
