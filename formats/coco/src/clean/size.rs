//! The image size when no region gives one: read from the image file's header, when this export
//! may read the image (`--download-resources`, `COCO_WITH_IMAGES`, or a URL that is a local
//! file under the configured roots).

use super::Setup;
use exportkit_core::resources::{Resolver, ResourceError, Source};

/// What the image header said.
#[derive(Debug)]
pub(super) enum Header {
    /// Not read: reading the image is not allowed for this export, or there is no URL.
    NotRead,
    /// `(width, height)` in pixels.
    Read(u32, u32),
    /// Reading it failed.
    Failed(ResourceError),
}

impl Header {
    /// The size as floats, when read.
    pub(super) fn size(&self) -> Option<(f64, f64)> {
        match self {
            Header::Read(w, h) => Some((f64::from(*w), f64::from(*h))),
            _ => None,
        }
    }
}

/// Reads the header of the image at `url` if this export may read it.
pub(super) fn read_header(
    setup: &Setup,
    resolver: &Resolver,
    url: Option<&str>,
    task_id: Option<&str>,
) -> Header {
    let Some(url) = url else {
        return Header::NotRead;
    };
    let allowed =
        setup.read_images || matches!(resolver.locate(url, task_id), Ok(Source::Local(_)));
    if !allowed {
        return Header::NotRead;
    }
    match resolver.image_size(url, task_id) {
        Ok((0, _) | (_, 0)) => Header::Failed(ResourceError::new(
            exportkit_core::resources::ResourceErrorKind::Unsupported,
            "the image header gives a zero size",
        )),
        Ok((w, h)) => Header::Read(w, h),
        Err(e) => Header::Failed(e),
    }
}
