//! exportkit's `COCO` format: `result.json` (images, categories, annotations, info) plus an
//! empty `images/` directory, as Label Studio's converter lays it out.
//!
//! * Clean (default): one image per task (`id` = 0-based position among the exported tasks,
//!   `file_name` = `images/<unique safe basename>`, size from the regions, else from the image
//!   header when the export may read the image), categories from the clean class list (id =
//!   YOLO class index), annotation ids from 1, boxes as the true pixel hull of rotated
//!   rectangles clipped to the image, polygons clipped with their segmentation, keypoints in
//!   COCO's `[x, y, v] * K` layout on their parent box.
//! * `--compat label-studio`: byte-identical to label-studio-sdk 2.1.2's `COCO` (one image per
//!   annotation, percent-space rotation, keypoints merged per annotation, labels missing from
//!   the config appended as categories, ...). Two exceptions: the `info` date (UTC, or
//!   `SOURCE_DATE_EPOCH`), and polygon `area` for 16 points or more on CPUs whose OpenBLAS
//!   `ddot` kernel is not the AVX-512 one reproduced here (last bits). Where Label Studio
//!   crashes, the region is skipped with a warning.
//!
//! `COCO_WITH_IMAGES` writes the same `result.json` and copies each image
//! into `images/<unique name>`, the name its `file_name` gives: local files are copied, URLs
//! downloaded (once per distinct URL) in the background under the export's resource policy. A
//! failed image is a warning with the task id; the task's entry and annotations stay. In
//! compat mode (refused with a hostname) it is Label Studio's without a hostname: http(s)
//! images are downloaded in the encoder (the resolver's cache) and named
//! `images/<md5(url)[:8]>__<basename>`, their header giving the size; anything else, or a
//! failed download, keeps the raw URL as `file_name`.
//!
//! Images are streamed into `result.json` as tasks arrive; annotations are spilled to a
//! temporary file and appended at the end, so memory stays flat.
#![deny(missing_docs)]

mod categories;
mod clean;
mod clip;
mod compat;
mod info;
mod ls_math;
mod ls_path;
mod records;
mod values;
mod writer;

use exportkit_core::labels::is_geometric;
use exportkit_core::{
    Error, ErrorKind, ExportContext, Exporter, ExporterFactory, FormatInfo, LabelConfig, Result,
};
use std::sync::Arc;

/// The `COCO` format, with or without the images.
#[derive(Debug, Clone, Copy, Default)]
pub struct CocoFormat {
    /// Whether the images are copied into `images/` (`COCO_WITH_IMAGES`).
    with_images: bool,
}

/// The `COCO` format's registered instance.
pub static COCO: CocoFormat = CocoFormat { with_images: false };

/// The `COCO_WITH_IMAGES` format's registered instance: `COCO` plus the images.
pub static COCO_WITH_IMAGES: CocoFormat = CocoFormat { with_images: true };

exportkit_core::register_format!(COCO);
exportkit_core::register_format!(COCO_WITH_IMAGES);

const INFO: FormatInfo = FormatInfo {
    name: "COCO",
    title: "COCO",
    description: "COCO detection JSON: images, categories, boxes, polygons and keypoints",
    extension: "json",
    ls_name: Some("COCO"),
};

const INFO_WITH_IMAGES: FormatInfo = FormatInfo {
    name: "COCO_WITH_IMAGES",
    title: "COCO with Images",
    description: "COCO detection JSON plus the images, copied into images/",
    extension: "json",
    ls_name: Some("COCO_WITH_IMAGES"),
};

/// The task-data key of the image the shapes are drawn on: the first `Image` input of a
/// geometric control, else the config's first data key.
fn image_key(config: &LabelConfig) -> Option<String> {
    config
        .controls
        .iter()
        .filter(|c| is_geometric(c))
        .flat_map(|c| c.inputs.iter())
        .find(|o| o.tag == "Image")
        .and_then(|o| o.data_key())
        .or_else(|| config.data_keys().first().copied())
        .map(str::to_owned)
}

impl ExporterFactory for CocoFormat {
    fn info(&self) -> &FormatInfo {
        if self.with_images {
            &INFO_WITH_IMAGES
        } else {
            &INFO
        }
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let name = self.info().name;
        if self.with_images && ctx.options.is_compat() && ctx.options.resources.hostname.is_some() {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "{name} --compat label-studio reproduces Label Studio without a hostname only; drop --hostname or --compat"
                ),
            ));
        }
        let config = ctx.config.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                format!("{name} needs the project's label config (--config) for its categories"),
            )
        })?;
        if ctx.options.is_compat() {
            let setup = compat::Setup {
                cats: categories::label_studio(config),
                data_key: config.data_keys().first().map(|k| (*k).to_owned()),
                kp_order: categories::label_studio_kp_order(config),
                with_images: self.with_images,
            };
            let writer = writer::Writer::new(true, setup.cats.clone(), self.with_images);
            Ok(Exporter {
                encoder: Box::new(compat::Encoder {
                    setup: Arc::new(setup),
                }),
                writer: Box::new(writer),
            })
        } else {
            let kp_names = categories::clean_kp_order(config);
            let setup = clean::Setup {
                cats: categories::clean(config, &kp_names),
                image_key: image_key(config),
                kp_names,
                image_labels: config
                    .controls
                    .iter()
                    .filter(|c| c.tag == "Labels" && is_geometric(c))
                    .map(|c| c.name.clone())
                    .collect(),
                pick: ctx.options.pick,
                copy_images: self.with_images,
                read_images: self.with_images || ctx.options.download_resources,
            };
            let writer = writer::Writer::new(false, setup.cats.clone(), self.with_images);
            Ok(Exporter {
                encoder: Box::new(clean::Encoder {
                    setup: Arc::new(setup),
                }),
                writer: Box::new(writer),
            })
        }
    }
}
