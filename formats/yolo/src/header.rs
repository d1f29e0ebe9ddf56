//! Image sizes from image headers, for tasks whose regions give none (clean mode).
//!
//! Only rotated boxes need the image size (every other shape normalises the same in percent);
//! the header is read only then, and only when reading the image is allowed for this export:
//! `--download-resources`, a `*_WITH_IMAGES` format, or an image that is a local file.

use crate::num::finite_number;
use exportkit_core::exporter::Warning;
use exportkit_core::resources::Source;
use exportkit_core::{Batch, ExportContext, Item, TaskRecord};

/// Image size in pixels.
pub(crate) type Size = (f64, f64);

/// Whether a region of `items` is rotated (a finite, non-zero `rotation`).
pub(crate) fn needs_size(items: &[Item<'_, '_>]) -> bool {
    items
        .iter()
        .flat_map(|i| i.outputs.iter())
        .flat_map(|g| g.regions.iter())
        .any(|r| {
            let rot = r.value.as_ref().and_then(|v| v.get("rotation"));
            finite_number(rot).is_some_and(|v| v != 0.0)
        })
}

/// The size of `url` read from its header, when allowed (see the module docs). A failed read
/// is a warning; no size is invented.
pub(crate) fn header_size(
    ctx: &ExportContext,
    batch: &Batch<'_, '_>,
    rec: &TaskRecord<'_>,
    url: &str,
    with_images: bool,
    warnings: &mut Vec<Warning>,
) -> Option<Size> {
    let id = rec.id_text();
    let allowed = ctx.options.download_resources
        || with_images
        || matches!(
            batch.resolver.locate(url, id.as_deref()),
            Ok(Source::Local(_))
        );
    if !allowed {
        return None;
    }
    match batch.resolver.image_size(url, id.as_deref()) {
        Ok((w, h)) if w > 0 && h > 0 => Some((f64::from(w), f64::from(h))),
        Ok((w, h)) => {
            warnings.push(Warning::new(
                rec,
                format!("image size from its header is {w}x{h}; not used"),
            ));
            None
        }
        Err(e) => {
            warnings.push(Warning::new(
                rec,
                format!("image size from its header: {e}"),
            ));
            None
        }
    }
}
