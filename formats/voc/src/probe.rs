//! Reading a task's image in the clean encoder: its size and channel count from the header,
//! when this export may read it (`--download-resources`, or the URL is a local file).

use exportkit_core::resources::{Resolver, ResourceError, ResourceErrorKind, Source};
use std::path::{Path, PathBuf};

/// What an image's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Width in pixels (at least 1).
    pub(crate) width: u32,
    /// Height in pixels (at least 1).
    pub(crate) height: u32,
    /// Channels (PNG/JPEG only).
    pub(crate) depth: Option<u32>,
}

/// Why an image could not be read.
#[derive(Debug)]
pub(crate) enum Failure {
    /// It could not be located or fetched (when downloading, the writer reports it too).
    Fetch(ResourceError),
    /// It was fetched but its header gives no usable size.
    Header(ResourceError),
}

/// Reads images for one batch. Remote images are fetched through the resolver's cache (so the
/// writer's copy of the same URL does not download it again) into a scratch directory.
#[derive(Debug)]
pub(crate) struct Reader<'r> {
    resolver: &'r Resolver,
    download: bool,
    scratch_parent: Option<&'r Path>,
    scratch: Option<tempfile::TempDir>,
}

impl<'r> Reader<'r> {
    /// A reader; `download` is `ExportOptions::download_resources`, `scratch_parent` the
    /// resources' `cache_dir` (remote images are linked from the cache into a directory there).
    pub(crate) fn new(
        resolver: &'r Resolver,
        download: bool,
        scratch_parent: Option<&'r Path>,
    ) -> Self {
        Reader {
            resolver,
            download,
            scratch_parent,
            scratch: None,
        }
    }

    /// Whether the writer downloads images (then it reports failed fetches itself).
    pub(crate) fn downloads(&self) -> bool {
        self.download
    }

    /// The header of the image at `url`; `None` when this export may not read it (no
    /// `--download-resources` and not a local file).
    pub(crate) fn read(
        &mut self,
        url: &str,
        task_id: Option<&str>,
    ) -> Option<Result<Header, Failure>> {
        let source = match self.resolver.locate(url, task_id) {
            Ok(s) => s,
            Err(e) => return self.download.then_some(Err(Failure::Fetch(e))),
        };
        let local = match source {
            Source::Local(path) => Some(path),
            Source::Remote { .. } if self.download => None,
            Source::Remote { .. } => return None,
        };
        Some(self.read_located(url, task_id, local))
    }

    fn read_located(
        &mut self,
        url: &str,
        task_id: Option<&str>,
        local: Option<PathBuf>,
    ) -> Result<Header, Failure> {
        let depth = match local {
            Some(path) => depth_of(&path)?,
            None => {
                let path = self.scratch_file()?;
                self.resolver
                    .fetch_to(url, task_id, &path)
                    .map_err(Failure::Fetch)?;
                let depth = depth_of(&path);
                let _ = std::fs::remove_file(&path);
                depth?
            }
        };
        // A remote image is in the resolver's cache by now: this reads it from there.
        let (width, height) = self
            .resolver
            .image_size(url, task_id)
            .map_err(Failure::Header)?;
        if width == 0 || height == 0 {
            return Err(Failure::Header(ResourceError::new(
                ResourceErrorKind::Unsupported,
                format!("the image header gives a size of {width}×{height}"),
            )));
        }
        Ok(Header {
            width,
            height,
            depth,
        })
    }

    /// Where a remote image is linked to while its header is read.
    fn scratch_file(&mut self) -> Result<PathBuf, Failure> {
        if self.scratch.is_none() {
            let mut b = tempfile::Builder::new();
            b.prefix(".exportkit-voc-");
            let dir = match self.scratch_parent {
                Some(p) => b.tempdir_in(p),
                None => b.tempdir(),
            }
            .map_err(|e| {
                Failure::Fetch(ResourceError::new(
                    ResourceErrorKind::Io,
                    format!("cannot create a scratch directory: {e}"),
                ))
            })?;
            self.scratch = Some(dir);
        }
        let dir = self.scratch.as_ref().map(|d| d.path().join("image"));
        dir.ok_or_else(|| Failure::Fetch(ResourceError::new(ResourceErrorKind::Io, "no scratch")))
    }
}

/// The channel count in the header of the file at `path` (`Ok(None)`: not PNG/JPEG).
fn depth_of(path: &Path) -> Result<Option<u32>, Failure> {
    let file = std::fs::File::open(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ResourceErrorKind::NotFound
        } else {
            ResourceErrorKind::Io
        };
        Failure::Fetch(ResourceError::new(kind, format!("{}: {e}", path.display())))
    })?;
    Ok(crate::header::channels(
        &mut std::io::BufReader::with_capacity(512, file),
    ))
}
