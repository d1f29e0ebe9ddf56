//! Image dimensions from file headers only (`imagesize`): nothing is decoded, and a header that
//! claims huge dimensions is just two numbers.

use std::path::Path;

use super::error::{ResourceError, ResourceErrorKind};
use super::{Resolver, Source};

impl Resolver {
    /// `(width, height)` of the image at `url`: a local file's header is read in place; a
    /// remote one is downloaded to the cache first (so a later [`fetch_to`](Self::fetch_to)
    /// of the same URL does not download it again).
    pub fn image_size(
        &self,
        url: &str,
        task_id: Option<&str>,
    ) -> Result<(u32, u32), ResourceError> {
        let located = self.locate_keyed(url, task_id)?;
        match &located.source {
            Source::Local(path) => header_size(path),
            Source::Remote { url, .. } => header_size(&self.cached(&located.cache_key, url)?),
        }
    }
}

/// Reads the dimensions from the header of the file at `path`.
pub(crate) fn header_size(path: &Path) -> Result<(u32, u32), ResourceError> {
    let shown = path.display();
    // The header parser is third-party code fed untrusted bytes: a panic there is one more
    // per-item failure.
    let parsed = std::panic::catch_unwind(|| imagesize::size(path)).map_err(|_| {
        ResourceError::unsupported(format!("{shown}: image header could not be parsed"))
    })?;
    let size = parsed.map_err(|e| match e {
        imagesize::ImageError::NotSupported => {
            ResourceError::unsupported(format!("{shown}: not a recognised image format"))
        }
        imagesize::ImageError::CorruptedImage => {
            ResourceError::unsupported(format!("{shown}: corrupt image header"))
        }
        imagesize::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ResourceError::unsupported(format!("{shown}: truncated image header"))
        }
        imagesize::ImageError::IoError(e) => ResourceError::io(&shown, &e),
    })?;
    match (u32::try_from(size.width), u32::try_from(size.height)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => Err(ResourceError::new(
            ResourceErrorKind::Unsupported,
            format!("{shown}: dimensions do not fit 32 bits"),
        )),
    }
}
