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
//! `BRUSH_TO_COCO` writes `result_coco.json` (stdlib-`json` layout, indent 2) and an empty
//! `images/`, in both modes as label-studio-sdk 2.1.2 does, byte for byte except two things
//! Label Studio makes non-deterministic: category colours are `#` + the first 6 hex digits of
//! the MD5 of the label (Label Studio: unseeded random), and `info` dates are UTC
//! (`SOURCE_DATE_EPOCH` pins them). Image ids are item positions (with gaps), images are
//! listed only when they got an annotation, categories are 1-based in first-seen order, brush
//! masks become one annotation per outer contour of 3 points or more (OpenCV's
//! `RETR_EXTERNAL`/`CHAIN_APPROX_SIMPLE` tracing, reimplemented: holes are lost and the area is
//! the contour polygon's), polygons round to whole pixels (half to even) and rectangles keep
//! float pixels. Where Label Studio crashes, the region or item is skipped with a warning
//! (an RLE that does not fit its size is also a warning; Label Studio logs it).
#![deny(missing_docs)]

mod coco;
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
    /// COCO polygons in `result_coco.json`.
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

/// `BRUSH_TO_COCO`: brush masks traced to COCO polygons in `result_coco.json`.
pub static BRUSH_TO_COCO: BrushFormat = BrushFormat {
    info: FormatInfo {
        name: "BRUSH_TO_COCO",
        title: "Brush labels to COCO",
        description: "Brush masks (and polygons, rectangles) as COCO polygons in result_coco.json",
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
        let writer: Box<dyn exportkit_core::FormatWriter> = match self.kind {
            Kind::Coco => Box::new(coco_writer::CocoWriter::default()),
            Kind::Numpy | Kind::Png => Box::new(writer::Writer::new(!compat)),
        };
        Ok(Exporter {
            encoder: Box::new(Encoder {
                kind: self.kind,
                compat,
            }),
            writer,
        })
    }
}

struct Encoder {
    kind: Kind,
    compat: bool,
}

impl BatchEncoder for Encoder {
    /// Tasks are encoded in parallel on the export's worker pool (a batch of large masks is
    /// otherwise one worker's job while the others wait), then put back in input order.
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(ctx.config.as_deref());
        let mut warnings = Vec::new();
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
