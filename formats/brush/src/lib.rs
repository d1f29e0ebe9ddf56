//! exportkit's brush-mask formats: `BRUSH_TO_NUMPY` (one `.npy` uint8 H×W array per brush
//! region) and `BRUSH_TO_PNG` (one 8-bit greyscale `.png` per brush region), written directly
//! in OUT (`reference: ls-converter.md §6.8`), and `BRUSH_TO_COCO` (§6.9).
//!
//! Each `BrushLabels` (or `Labels` used with a brush) result with an `rle` becomes the file
//! `task-{task id}-annotation-{annotation id}-by-{annotator}-{from_name}-{labels joined by
//! -}-{k}.npy|.png`, where the annotator is the user's email (expanded users) or id keeping only
//! alphanumerics, `@` and `.`, `/` and `\` in the from_name/labels part become `-`, and `k`
//! counts the results of the same from_name and labels within the annotation. A result without
//! labels uses `no_label`. Every kept annotation is exported (newest first). The mask is the
//! alpha channel of the decoded RGBA RLE, reshaped with the result's `original_height` ×
//! `original_width` ([`exportkit_core::rle`] decodes it, far faster than Label Studio's
//! per-bit Python).
//!
//! `--compat label-studio`: byte-identical `.npy` files and pixel-identical `.png` files
//! (NumPy 2.2 `np.save`; PIL mode `L`, whose zlib stream differs) to label-studio-sdk 2.1.2; a
//! second file with the same name replaces the first, as in Label Studio.
//!
//! Clean (default): the same files, with these differences:
//! - names go through `exportkit_core::names::sanitize` and a repeated name gets `-2`, `-3`..
//!   before its extension (Label Studio overwrites, e.g. two tasks with the same id);
//! - in both modes, where Label Studio crashes the export (an RLE that does not decode or does
//!   not hold `original_width × original_height × 4` values, a missing or non-integer size,
//!   labels that are not strings, a PNG of zero pixels) the region is skipped with a warning.
//!
//! `BRUSH_TO_COCO` writes `result_coco.json` and an empty `images/` (filled with
//! `--download-resources`).
//!
//! Clean (default): an instance-segmentation dataset that pycocotools loads, pixel-exact:
//! - one image per task, in input order (ids from 0), with or without annotations:
//!   `file_name` = `images/<unique sanitised name>` (`exportkit_core::names::UniqueNames` over
//!   the image URL of the brush control's `Image`, as the `COCO` format names them; with
//!   `--download-resources` the image is copied there, once per URL, failures are warnings),
//!   `width`/`height` from the first region's `original_width`/`original_height`, else the
//!   image header when the image is local or being copied, else `null` with a warning;
//! - one annotation per brush region (ids from 1 in input order, the same for any thread
//!   count): `segmentation` is COCO compressed RLE, `{"size": [h, w], "counts": "..."}`,
//!   column-major, the string `pycocotools.mask.encode` writes ([`coco_rle`]), so holes and
//!   islands are kept exactly (a pixel is inside when its alpha is not 0); `area` is the
//!   mask's pixel count, `bbox` its tight pixel box `[x, y, w, h]`, `iscrowd` 0;
//! - `--set segmentation=polygon`: the mask's outer contours instead (one polygon per outer
//!   contour of 3 points or more, the tracer of the compat mode): holes are lost; `area` and
//!   `bbox` stay the mask's pixel count and box; a mask too thin for a polygon is a warning;
//! - categories: the labels of the `BrushLabels` controls (and `Labels` on an image) in config
//!   order, ids from 1 (0 is left for the background of semantic masks), `color` the
//!   `<Label background>` when given, else `#` + 6 hex digits of the MD5 of the label; a label
//!   met in a result but missing from the config is appended (a warning per region);
//! - `--annotation latest|first|ground-truth|all` picks the annotations (default the newest);
//!   a region with several labels uses the first (a warning); regions without a label, with an
//!   empty mask (no annotation), an RLE that does not fit its size, or a size other than the
//!   image's are skipped with a warning; polygons and rectangles are skipped with a warning
//!   (the `COCO` format exports them); `info` is fixed.
//!
//! `--compat label-studio` (where `--set segmentation=rle` is refused): as label-studio-sdk
//! 2.1.2 does (stdlib-`json` layout, indent 2), byte for byte except two things Label Studio
//! makes non-deterministic: category colours are `#` + the first 6 hex digits of the MD5 of
//! the label (Label Studio: unseeded random), and `info` dates are UTC (`SOURCE_DATE_EPOCH` pins them). Image ids are item positions (with
//! gaps), images are listed only when they got an annotation, categories are 1-based in
//! first-seen order, brush masks become one annotation per outer contour of 3 points or more
//! (OpenCV's `RETR_EXTERNAL`/`CHAIN_APPROX_SIMPLE` tracing, reimplemented: holes are lost and
//! the area is the contour polygon's), polygons round to whole pixels (half to even) and
//! rectangles keep float pixels. Where Label Studio crashes, the region or item is skipped
//! with a warning (an RLE that does not fit its size is also a warning; Label Studio logs
//! it).
#![deny(missing_docs)]

mod clean;
mod coco;
pub mod coco_rle;
mod coco_writer;
mod contours;
mod info;
mod masks;
mod npy;
mod png;
mod pyname;
mod writer;

#[doc(hidden)]
pub use contours::{area as contour_area, bounding_rect, external_contours};
pub use png::read_grey_png;

use exportkit_core::exporter::Warning;
use exportkit_core::{
    Batch, BatchEncoder, ExportContext, Exporter, ExporterFactory, FormatInfo, Fragment, Result,
    Schema,
};
use rayon::prelude::*;

/// What a brush format writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `.npy` arrays.
    Numpy,
    /// `.png` images.
    Png,
    /// COCO instance masks in `result_coco.json`.
    Coco,
}

/// A brush format descriptor.
#[derive(Debug, Clone, Copy)]
pub struct BrushFormat {
    info: FormatInfo,
    kind: Kind,
}

/// `BRUSH_TO_NUMPY`: one `.npy` uint8 H×W array per brush region.
pub static BRUSH_TO_NUMPY: BrushFormat = BrushFormat {
    info: FormatInfo {
        name: "BRUSH_TO_NUMPY",
        title: "Brush labels to NumPy",
        description: "One NumPy 2D uint8 array (.npy) per brush region",
        extension: "npy",
        ls_name: Some("BRUSH_TO_NUMPY"),
    },
    kind: Kind::Numpy,
};

/// `BRUSH_TO_PNG`: one greyscale `.png` per brush region.
pub static BRUSH_TO_PNG: BrushFormat = BrushFormat {
    info: FormatInfo {
        name: "BRUSH_TO_PNG",
        title: "Brush labels to PNG",
        description: "One 8-bit greyscale PNG per brush region",
        extension: "png",
        ls_name: Some("BRUSH_TO_PNG"),
    },
    kind: Kind::Png,
};

/// `BRUSH_TO_COCO`: brush masks as COCO RLE (clean; `--set segmentation=polygon` for
/// polygons) or Label Studio's traced polygons (`--compat label-studio`) in `result_coco.json`.
pub static BRUSH_TO_COCO: BrushFormat = BrushFormat {
    info: FormatInfo {
        name: "BRUSH_TO_COCO",
        title: "Brush labels to COCO",
        description: "Brush masks as COCO RLE instance masks in result_coco.json",
        extension: "json",
        ls_name: Some("BRUSH_TO_COCO"),
    },
    kind: Kind::Coco,
};

exportkit_core::register_format!(BRUSH_TO_NUMPY);
exportkit_core::register_format!(BRUSH_TO_PNG);
exportkit_core::register_format!(BRUSH_TO_COCO);

impl ExporterFactory for BrushFormat {
    fn info(&self) -> &FormatInfo {
        &self.info
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let compat = ctx.options.is_compat();
        let mut clean = None;
        let writer: Box<dyn exportkit_core::FormatWriter> = match self.kind {
            Kind::Coco if !compat => {
                let setup = std::sync::Arc::new(clean::Setup::new(ctx)?);
                clean = Some(setup.clone());
                Box::new(clean::Writer::new(setup))
            }
            Kind::Coco => {
                if ctx
                    .options
                    .format_options
                    .get("segmentation")
                    .is_some_and(|s| s.trim() != "polygon")
                {
                    return Err(exportkit_core::Error::new(
                        exportkit_core::ErrorKind::Unsupported,
                        "BRUSH_TO_COCO --compat label-studio writes Label Studio's traced polygons; drop --set segmentation or --compat",
                    ));
                }
                Box::new(coco_writer::CocoWriter::default())
            }
            Kind::Numpy | Kind::Png => Box::new(writer::Writer::new(!compat)),
        };
        Ok(Exporter {
            encoder: Box::new(Encoder {
                kind: self.kind,
                compat,
                clean,
            }),
            writer,
        })
    }
}

struct Encoder {
    kind: Kind,
    compat: bool,
    /// The clean `BRUSH_TO_COCO`'s settings.
    clean: Option<std::sync::Arc<clean::Setup>>,
}

impl BatchEncoder for Encoder {
    /// Tasks are encoded in parallel on the export's worker pool (a batch of large masks is
    /// otherwise one worker's job while the others wait), then put back in input order.
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(ctx.config.as_deref());
        let mut warnings = Vec::new();
        if let Some(setup) = &self.clean {
            let per_task: Vec<Result<(clean::TaskOut, Vec<Warning>)>> = batch
                .tasks
                .par_iter()
                .map_init(clean::Scratch::default, |scratch, rec| {
                    let mut warnings = Vec::new();
                    let t = clean::encode_task(
                        setup,
                        rec,
                        &schema,
                        batch.resolver,
                        scratch,
                        &mut warnings,
                    )?;
                    Ok((t, warnings))
                })
                .collect();
            let mut tasks = Vec::with_capacity(per_task.len());
            for r in per_task {
                let (t, w) = r?;
                tasks.push(t);
                warnings.extend(w);
            }
            return Ok(Fragment {
                bytes: Vec::new(),
                records: tasks.len() as u64,
                payload: Some(Box::new(tasks)),
                warnings,
            });
        }
        if self.kind == Kind::Coco {
            let per_task: Vec<Result<(Vec<coco::CocoItem>, Vec<Warning>)>> = batch
                .tasks
                .par_iter()
                .map_init(coco::Scratch::default, |scratch, rec| {
                    let mut items = Vec::new();
                    let mut warnings = Vec::new();
                    for item in rec.items(&schema)? {
                        items.push(coco::encode_item(rec, &item, scratch, &mut warnings));
                    }
                    Ok((items, warnings))
                })
                .collect();
            let mut items = Vec::new();
            for r in per_task {
                let (i, w) = r?;
                items.extend(i);
                warnings.extend(w);
            }
            return Ok(Fragment {
                bytes: Vec::new(),
                records: items.iter().map(|i| i.shapes.len() as u64).sum(),
                payload: Some(Box::new(items)),
                warnings,
            });
        }
        let per_task: Vec<Result<(Vec<masks::MaskFile>, Vec<Warning>)>> = batch
            .tasks
            .par_iter()
            .map_init(masks::Scratch::default, |scratch, rec| {
                let mut files = Vec::new();
                let mut warnings = Vec::new();
                for item in rec.items(&schema)? {
                    masks::encode_item(
                        rec,
                        &item,
                        self.kind,
                        self.compat,
                        scratch,
                        &mut files,
                        &mut warnings,
                    )?;
                }
                Ok((files, warnings))
            })
            .collect();
        let mut files = Vec::new();
        for r in per_task {
            let (f, w) = r?;
            files.extend(f);
            warnings.extend(w);
        }
        Ok(Fragment {
            bytes: Vec::new(),
            records: files.len() as u64,
            payload: Some(Box::new(files)),
            warnings,
        })
    }
}
