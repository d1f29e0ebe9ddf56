//! exportkit's YOLO formats: `YOLO` (boxes, polygons, pose keypoints) and `YOLO_OBB`
//! (oriented boxes), as `labels/<image stem>.txt` files plus `classes.txt` and `notes.json`;
//! `YOLO_WITH_IMAGES` and `YOLO_OBB_WITH_IMAGES` add each task's image as
//! `images/<image stem><ext>`.
//!
//! Clean default (Ultralytics layout): one label file per task (the picked annotation, newest by
//! default; `Pick::All` merges them) under a unique stem; class `i` on line `i` of
//! `classes.txt` (ids from [`Categories::clean`](exportkit_core::labels::Categories::clean),
//! equal to the COCO category ids; gaps filled with `class_<i>`); a `data.yaml`; rotated boxes
//! as their pixel-space hull; everything clipped to the image; numbers with up to 6 decimals.
//! Rotated boxes need the image size: the regions' `original_width`/`original_height`, else
//! the image header when reading the image is allowed (see `header`).
//!
//! `--compat label-studio`: byte-identical to label-studio-sdk 2.1.2 (ls-converter.md §6.6),
//! including its overwrite semantics (the oldest annotation wins, same basenames overwrite each
//! other) and its keypoint writer. `*_WITH_IMAGES` in compat mode (refused with a hostname):
//! http(s) images are downloaded to `images/<md5(url)[:8]>__<basename>` and name the label file
//! `<md5>__<stem>.txt`; failed downloads and other paths keep the raw stem; cloud URIs are
//! skipped (the previous path of a list is tried, else no file).
#![deny(missing_docs)]

mod clean;
mod clip;
mod compat;
mod files;
mod header;
mod images;
mod meta;
mod num;
mod stem;
mod writer;

use exportkit_core::labels::{Categories, is_geometric};
use exportkit_core::{
    Error, ErrorKind, ExportContext, Exporter, ExporterFactory, FormatInfo, LabelConfig, Result,
};
use std::collections::HashSet;
use std::sync::Arc;

/// The largest class id the clean layout accepts (`category="N"` attributes): class indices
/// are dense, so every id below it gets a line in `classes.txt`.
pub const MAX_CLASS_ID: i64 = 65_535;

/// A YOLO flavour: axis-aligned (`YOLO`) or oriented boxes (`YOLO_OBB`), with or without the
/// images.
#[derive(Debug, Clone, Copy)]
pub struct YoloFormat {
    info: FormatInfo,
    obb: bool,
    with_images: bool,
}

/// The `YOLO` format.
pub static YOLO: YoloFormat = YoloFormat {
    info: FormatInfo {
        name: "YOLO",
        title: "YOLO",
        description: "labels/<image>.txt per image (class cx cy w h, polygons, or pose keypoints), classes.txt, data.yaml",
        extension: "",
        ls_name: Some("YOLO"),
    },
    obb: false,
    with_images: false,
};

/// The `YOLO_OBB` format.
pub static YOLO_OBB: YoloFormat = YoloFormat {
    info: FormatInfo {
        name: "YOLO_OBB",
        title: "YOLOv8 OBB",
        description: "labels/<image>.txt per image with oriented boxes (class x1 y1 .. x4 y4), classes.txt, data.yaml",
        extension: "",
        ls_name: Some("YOLO_OBB"),
    },
    obb: true,
    with_images: false,
};

/// The `YOLO_WITH_IMAGES` format: `YOLO` plus `images/<stem><ext>` for every label file.
pub static YOLO_WITH_IMAGES: YoloFormat = YoloFormat {
    info: FormatInfo {
        name: "YOLO_WITH_IMAGES",
        title: "YOLO with Images",
        description: "YOLO plus each task's image as images/<stem>.<ext> beside labels/<stem>.txt (an Ultralytics dataset)",
        extension: "",
        ls_name: Some("YOLO_WITH_IMAGES"),
    },
    obb: false,
    with_images: true,
};

/// The `YOLO_OBB_WITH_IMAGES` format: `YOLO_OBB` plus `images/<stem><ext>` for every label file.
pub static YOLO_OBB_WITH_IMAGES: YoloFormat = YoloFormat {
    info: FormatInfo {
        name: "YOLO_OBB_WITH_IMAGES",
        title: "YOLOv8 OBB with Images",
        description: "YOLO_OBB plus each task's image as images/<stem>.<ext> beside labels/<stem>.txt (an Ultralytics dataset)",
        extension: "",
        ls_name: Some("YOLO_OBB_WITH_IMAGES"),
    },
    obb: true,
    with_images: true,
};

exportkit_core::register_format!(YOLO);
exportkit_core::register_format!(YOLO_OBB);
exportkit_core::register_format!(YOLO_WITH_IMAGES);
exportkit_core::register_format!(YOLO_OBB_WITH_IMAGES);

impl ExporterFactory for YoloFormat {
    fn info(&self) -> &FormatInfo {
        &self.info
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let config = ctx.config.clone().filter(|c| !c.is_empty()).ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                "the project's label config is needed (--config): the image key and the classes come from it",
            )
        })?;
        match (ctx.options.is_compat(), self.with_images) {
            (true, true) if ctx.options.resources.hostname.is_some() => Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "{} --compat label-studio reproduces Label Studio without a hostname only; drop --hostname or --compat",
                    self.info.name
                ),
            )),
            (true, with_images) => build_compat(config, self.obb, with_images),
            (false, _) => build_clean(config, self.obb, self.with_images),
        }
    }
}

fn no_image_key() -> Error {
    Error::new(
        ErrorKind::Unsupported,
        "the label config has no object with a data key (e.g. <Image value=\"$image\"/>)",
    )
}

fn build_compat(config: Arc<LabelConfig>, obb: bool, with_images: bool) -> Result<Exporter> {
    // Label Studio's `_data_keys[0]` (a set's order when there are several; then LS does not
    // offer YOLO at all).
    let data_key = config
        .data_keys()
        .first()
        .map(|k| (*k).to_owned())
        .ok_or_else(no_image_key)?;
    let keypoints = config.controls.iter().any(|c| c.tag == "KeyPointLabels");
    let (mode, classes) = if keypoints {
        let classes = compat::keypoint_classes(&config);
        let kp = compat::Keypoints {
            classes: classes
                .iter()
                .enumerate()
                .rev()
                .map(|(i, n)| (n.clone(), i as i64))
                .collect(),
            order: compat::kp_order(&config),
        };
        (
            compat::Mode::Keypoints(kp),
            writer::CompatClasses::Keypoints {
                classes,
                keypoints: compat::labels_of(&config, "KeyPointLabels"),
            },
        )
    } else {
        let cats = Categories::label_studio(&config);
        (
            compat::Mode::Plain(cats.clone()),
            writer::CompatClasses::Plain(cats),
        )
    };
    Ok(Exporter {
        encoder: Box::new(compat::Encoder {
            config,
            data_key,
            obb,
            mode,
            with_images,
        }),
        writer: Box::new(writer::CompatWriter {
            classes,
            seen: HashSet::new(),
            line: Vec::new(),
            with_images,
            resolver: None,
            copied: HashSet::new(),
        }),
    })
}

/// The image key of the clean layout: the `Image` object a geometric control labels, else the
/// config's first data key.
fn clean_data_key(config: &LabelConfig) -> Option<String> {
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

/// The clean classes: [`Categories::clean`] over the geometric controls (ids equal to the
/// COCO category ids), without the labels that only name keypoints (they are keypoints of a
/// box, `kpt_shape`, not classes; their ids stay unused). Box classes carry the keypoints.
fn clean_classes(config: &LabelConfig) -> Vec<meta::Class> {
    let other = |name: &str| {
        config
            .controls
            .iter()
            .filter(|c| is_geometric(c) && c.tag != "KeyPointLabels")
            .any(|c| c.labels.iter().any(|l| l.value == name))
    };
    let boxes = |name: &str| {
        config
            .controls
            .iter()
            .filter(|c| is_geometric(c) && matches!(c.tag.as_str(), "RectangleLabels" | "Labels"))
            .any(|c| c.labels.iter().any(|l| l.value == name))
    };
    Categories::clean(config, is_geometric)
        .list()
        .iter()
        .filter(|c| other(&c.name))
        .map(|c| meta::Class {
            id: c.id,
            name: c.name.clone(),
            keypoints: boxes(&c.name),
        })
        .collect()
}

/// Class index → name for `classes.txt` and `data.yaml`: every index up to the largest id,
/// gaps named `class_<i>` (with `_` appended while that collides with a real name).
fn dense_names(classes: &[meta::Class]) -> Result<Vec<String>> {
    let Some(max) = classes.iter().map(|c| c.id).max() else {
        return Ok(Vec::new());
    };
    if max > MAX_CLASS_ID {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "category id {max} is too large (YOLO class indices are dense; at most {MAX_CLASS_ID})"
            ),
        ));
    }
    let mut names: Vec<Option<String>> = vec![None; max as usize + 1];
    for c in classes {
        if let Some(slot) = usize::try_from(c.id).ok().and_then(|i| names.get_mut(i)) {
            *slot = Some(c.name.clone());
        }
    }
    let real: HashSet<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    Ok(names
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            n.unwrap_or_else(|| {
                let mut p = format!("class_{i}");
                while real.contains(p.as_str()) {
                    p.push('_');
                }
                p
            })
        })
        .collect())
}

fn build_clean(config: Arc<LabelConfig>, obb: bool, with_images: bool) -> Result<Exporter> {
    let data_key = clean_data_key(&config).ok_or_else(no_image_key)?;
    let classes = clean_classes(&config);
    let yaml_names = dense_names(&classes)?;
    let pose = if obb {
        None
    } else {
        Some(clean::pose_order(&config)).filter(|o| !o.is_empty())
    };
    Ok(Exporter {
        encoder: Box::new(clean::Encoder {
            config,
            data_key,
            obb,
            classes: classes.iter().map(|c| (c.name.clone(), c.id)).collect(),
            pose: pose.clone(),
            with_images,
        }),
        writer: Box::new(writer::CleanWriter {
            names: stem::StemNames::default(),
            yaml_names,
            classes,
            keypoints: pose,
            with_images,
            images: None,
        }),
    })
}
