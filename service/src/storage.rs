//! Where snapshot and converted files live: a trait, and the local file system.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// A stored file opened for reading.
pub struct StoredFile {
    /// Its bytes.
    pub reader: Box<dyn Read + Send>,
    /// Its size.
    pub len: u64,
    /// A local path, when the storage has one (the server then serves byte ranges from it).
    pub local_path: Option<PathBuf>,
}

impl std::fmt::Debug for StoredFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredFile")
            .field("len", &self.len)
            .field("local_path", &self.local_path)
            .finish_non_exhaustive()
    }
}

/// File storage. Keys are relative paths made of plain components (`3/12/project-3-….json`).
pub trait Storage: Send + Sync {
    /// Moves (or copies) the finished local file `from` in under `key`, atomically: readers see
    /// the old state or the whole file. Returns its size.
    fn put(&self, key: &str, from: &Path) -> std::io::Result<u64>;
    /// Opens `key`.
    fn open(&self, key: &str) -> std::io::Result<StoredFile>;
    /// Deletes `key`; a missing key is not an error.
    fn delete(&self, key: &str) -> std::io::Result<()>;
    /// A scratch directory for work in progress, on the same device as the stored files when
    /// possible (so `put` is a rename).
    fn scratch(&self) -> std::io::Result<tempfile::TempDir>;
}

/// Files under a directory.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    /// Storage under `root` (created when missing).
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        // Scratch left by a previous process (a crash mid-export) is garbage.
        let scratch = root.join(".scratch");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)?;
        }
        std::fs::create_dir_all(&scratch)?;
        Ok(LocalStorage { root })
    }

    fn path(&self, key: &str) -> std::io::Result<PathBuf> {
        let p = Path::new(key);
        let plain = !key.is_empty()
            && !key.contains('\0')
            && p.components().all(|c| matches!(c, Component::Normal(_)));
        if plain {
            Ok(self.root.join(p))
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("refusing storage key {key:?}"),
            ))
        }
    }
}

impl Storage for LocalStorage {
    fn put(&self, key: &str, from: &Path) -> std::io::Result<u64> {
        let dest = self.path(key)?;
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let len = std::fs::metadata(from)?.len();
        if std::fs::rename(from, &dest).is_err() {
            // Another device: copy beside the destination, then rename into place.
            let tmp = dest.with_extension("partial");
            std::fs::copy(from, &tmp)?;
            std::fs::rename(&tmp, &dest)?;
            let _ = std::fs::remove_file(from);
        }
        Ok(len)
    }

    fn open(&self, key: &str) -> std::io::Result<StoredFile> {
        let path = self.path(key)?;
        let f = std::fs::File::open(&path)?;
        let len = f.metadata()?.len();
        Ok(StoredFile {
            reader: Box::new(f),
            len,
            local_path: Some(path),
        })
    }

    fn delete(&self, key: &str) -> std::io::Result<()> {
        let path = self.path(key)?;
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // Remove emptied parent directories up to the root (best effort).
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.root || std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    fn scratch(&self) -> std::io::Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix("job-")
            .tempdir_in(self.root.join(".scratch"))
    }
}
