//! exportkit's `VOC` format (Pascal VOC XML): `Annotations/<stem>.xml` per image and an
//! `images/` directory (always created; filled in clean mode with `--download-resources`).
//!
//! Clean (default):
//! - one file per task, for the annotation(s) `ExportOptions::pick` selects (newest by default;
//!   `Pick::All` merges them); `<filename>` is the image's unique name (`names::UniqueNames`,
//!   assigned by the writer in input order) and the file is `Annotations/<its stem>.xml`; a stem
//!   already used (`a.jpg` and `a.png`, or a second task showing the same image) gets `-2`, `-3`..;
//! - the image may be read when `ExportOptions::download_resources` is set or its URL is a
//!   local file (`Resolver::locate` gives `Source::Local`: an upload under `--upload-dir`, ...);
//!   only its header is read;
//! - `<size>` from the first region with `original_width`/`original_height` (of the picked
//!   annotations, else of any other annotation of the task), rounded to whole pixels, else
//!   from the image header when it may be read (so a task without annotations gets a file
//!   with no objects); no size known → no file and a warning (a VOC file needs a size);
//! - `<depth>`: the channel count from the header when it may be read (PNG: grey 1, grey +
//!   alpha 2, RGB and palette 3, RGBA 4; JPEG: its components), else 3;
//! - with `download_resources`, each distinct image URL is copied once, in the background, to
//!   `images/<filename>` (the unique name `<filename>` holds); a failed copy is a warning
//!   (`image <url>: <why>`) and the annotation file stays;
//! - one `<object>` per label of each rectangle or polygon region of a geometric control
//!   (`RectangleLabels`, `PolygonLabels`, `Labels` used with the Rectangle/Polygon tool);
//!   keypoints, ellipses and brushes have no VOC form and are left out; labels missing from
//!   the config → skipped with a warning;
//! - boxes: the rotated rectangle's true hull (polygons: the points' bounding box) in pixels,
//!   clipped to the image, each edge rounded to the nearest integer (0-based pixel edges, so
//!   `xmax - xmin` is the width); `<truncated>1` when the region reached past the border;
//!   boxes empty after clipping → skipped with a warning;
//! - 2-space indented XML; text escaped so any label survives a parser.
//!
//! `--compat label-studio`: byte-identical to label-studio-sdk 2.1.2 run by the server without
//! a hostname (which resolves no image: `images/` stays empty, `<depth>` is 3, and
//! `download_resources` changes nothing): one file per annotation named after the URL's
//! basename, last write wins (so the oldest annotation), coordinates truncated toward zero,
//! rotation ignored. Where Label Studio crashes (a region without `x`, a non-numeric coordinate, a missing image key) the region or
//! task is skipped with a warning.
#![deny(missing_docs)]

mod clean;
mod compat;
mod header;
mod probe;
mod pynum;
mod writer;
mod xml;

use exportkit_core::labels::{Categories, is_geometric};
use exportkit_core::{
    Batch, BatchEncoder, ExportContext, Exporter, ExporterFactory, FormatInfo, Fragment, Result,
    Schema,
};
use std::ops::Range;

/// The `VOC` format descriptor type.
#[derive(Debug, Clone, Copy, Default)]
pub struct VocFormat;

/// The `VOC` format.
pub static VOC: VocFormat = VocFormat;

exportkit_core::register_format!(VOC);

const INFO: FormatInfo = FormatInfo {
    name: "VOC",
    title: "Pascal VOC XML",
    description: "One Pascal VOC XML file per image with its bounding boxes",
    extension: "xml",
    ls_name: Some("VOC"),
};

impl ExporterFactory for VocFormat {
    fn info(&self) -> &FormatInfo {
        &INFO
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let config = ctx.config.as_deref().filter(|c| !c.is_empty());
        let compat = ctx.options.is_compat();
        let mode = if compat {
            // Label Studio reads `_data_keys[0]`; VOC is only offered with one data key.
            let key = config
                .and_then(|c| c.data_keys().first().map(|k| (*k).to_owned()))
                .unwrap_or_else(|| "image".into());
            Mode::Compat { data_key: key }
        } else {
            Mode::Clean(clean::Clean {
                data_key: clean::image_key(config),
                categories: config.map(|c| Categories::clean(c, is_geometric)),
                pick: ctx.options.pick,
                download: ctx.options.download_resources,
            })
        };
        Ok(Exporter {
            encoder: Box::new(Encoder { mode }),
            writer: Box::new(writer::Writer::new(compat)),
        })
    }
}

#[derive(Debug)]
enum Mode {
    Compat { data_key: String },
    Clean(clean::Clean),
}

/// One encoded XML document.
#[derive(Debug)]
struct Doc {
    /// Compat: the file name in `Annotations/`. Clean: the image URL (the writer names it).
    name: String,
    /// The document's bytes in [`Docs::bytes`] (clean: everything after the image name).
    range: Range<usize>,
    /// Clean: the task's index and id (for the image download and its warnings).
    task: Option<(u64, Option<String>)>,
}

/// A batch's documents: the fragment payload.
#[derive(Debug, Default)]
struct Docs {
    bytes: Vec<u8>,
    docs: Vec<Doc>,
    /// Compat: whether any task produced an item (Label Studio then creates `Annotations/`).
    saw_item: bool,
}

struct Encoder {
    mode: Mode,
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let config = ctx.config.as_deref();
        let schema = Schema::new(config);
        let matcher = config.filter(|c| !c.is_empty()).map(|c| c.matcher());
        let mut docs = Docs::default();
        let mut warnings = Vec::new();
        let download = matches!(&self.mode, Mode::Clean(c) if c.download);
        let scratch = ctx.options.resources.cache_dir.as_deref();
        let mut reader = probe::Reader::new(batch.resolver, download, scratch);
        for rec in batch.tasks {
            match &self.mode {
                Mode::Compat { data_key } => {
                    compat::encode_task(rec, &schema, data_key, &mut docs, &mut warnings)?
                }
                Mode::Clean(c) => c.encode_task(
                    rec,
                    &schema,
                    matcher.as_ref(),
                    &mut reader,
                    &mut docs,
                    &mut warnings,
                )?,
            }
        }
        Ok(Fragment {
            bytes: Vec::new(),
            records: docs.docs.len() as u64,
            payload: Some(Box::new(docs)),
            warnings,
        })
    }
}
