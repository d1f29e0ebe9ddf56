//! The clean COCO (default): one image per task, pixel boxes that are right for rotated and
//! non-square images, clipped to the image, polygons with their segmentation, and keypoints in
//! COCO's keypoint layout on the box they belong to.
//!
//! Rules:
//! * The image's size is the first region's `original_width`/`original_height` (positive
//!   numbers); without one, the image file's header when this export may read the image
//!   (`--download-resources`, `COCO_WITH_IMAGES`, or a local file under the configured roots);
//!   otherwise it is `null` (a warning) and its regions are skipped.
//! * A region is placed with its own size when it has one (else the image's). Percent
//!   coordinates mean the same point at any size, so points and unrotated boxes are
//!   `pct * image size / 100`; a rotated box is rotated in its own pixel frame (the aspect ratio
//!   the annotator saw) and then scaled to the image's size.
//! * Boxes are clipped to the image, polygons too (Sutherland–Hodgman); what ends up empty is
//!   skipped with a warning, as are malformed regions, labels missing from the class list,
//!   ellipses and brushes.
//! * A keypoint goes into the `keypoints` of the rectangle its `parentID` names (same
//!   annotation); keypoints without one, outside the image or with an unknown name are skipped
//!   with a warning. Boxes of categories that carry keypoints always have `keypoints` (zeros
//!   where none was placed) and `num_keypoints`.

use crate::categories::CategoryList;
use crate::records::{AnnRec, Cat, Encoded, ImageRec, ItemRec, TaskRef, f64_array, render_tail};
use crate::values::{LABEL_KEYS, Label, finite, str_list};
use shapes::{Frame, Kind, Shape, kind, size_of};
use size::{Header, read_header};

mod shapes;
mod size;
#[cfg(test)]
mod tests;
use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
use exportkit_core::model;
use exportkit_core::resources::Resolver;
use exportkit_core::task::{Schema, pick_items};
use exportkit_core::{
    Batch, BatchEncoder, ExportContext, Fragment, Pick, Result, TaskRecord, exporter::Warning,
};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

/// The clean JSON style: UTF-8, `/` unescaped, shortest float digits.
pub(crate) const STYLE: JsonStyle = JsonStyle::CLEAN_PRETTY;

/// What every batch shares (built once per export).
#[derive(Debug)]
pub(crate) struct Setup {
    /// The COCO categories (ids are the clean class ids).
    pub(crate) cats: CategoryList,
    /// The task-data key of the image.
    pub(crate) image_key: Option<String>,
    /// Keypoint names in `keypoints` order.
    pub(crate) kp_names: Vec<String>,
    /// `Labels` controls attached to an image (their regions are shapes).
    pub(crate) image_labels: HashSet<String>,
    /// Which annotations of a task are exported.
    pub(crate) pick: Pick,
    /// `COCO_WITH_IMAGES`: the writer copies the images (the encoder marks what to copy).
    pub(crate) copy_images: bool,
    /// Image headers may be read for sizes whatever the URL (`--download-resources` or
    /// `COCO_WITH_IMAGES`); otherwise only local files are.
    pub(crate) read_images: bool,
}

/// The parallel half in clean mode.
#[derive(Debug)]
pub(crate) struct Encoder {
    pub(crate) setup: Arc<Setup>,
}

/// An annotation before rendering.
struct Pending<'t> {
    cat: i64,
    bbox: [f64; 4],
    area: f64,
    segmentation: Option<Vec<(f64, f64)>>,
    /// Keypoint slots (boxes of categories that carry keypoints).
    keypoints: Option<Vec<Option<(f64, f64)>>>,
    /// Which item (annotation) and region it came from, for `parentID`.
    item: usize,
    region_id: Option<&'t str>,
}

struct Out<'r, 'a> {
    rec: &'r TaskRecord<'a>,
    warnings: &'r mut Vec<Warning>,
}

impl Out<'_, '_> {
    fn warn(&mut self, msg: impl Into<String>) {
        self.warnings.push(Warning::new(self.rec, msg));
    }
}

/// The region's label: the first non-empty label list's first entry.
fn label_name<'a>(l: &Label<'_, 'a>, out: &mut Out<'_, '_>) -> Option<Cow<'a, str>> {
    for key in LABEL_KEYS {
        let Some(names) = l.get(key).and_then(str_list) else {
            continue;
        };
        let mut names = names.into_iter();
        let Some(first) = names.next() else { continue };
        if names.next().is_some() {
            out.warn(format!(
                "region has several labels; the first ({first:?}) is used"
            ));
        }
        return Some(first);
    }
    out.warn("region without a label skipped");
    None
}

/// Renders an annotation's members after `category_id`.
fn render(p: &Pending<'_>, bytes: &mut Vec<u8>) -> std::ops::Range<usize> {
    render_tail(bytes, STYLE, |j| {
        j.key("bbox");
        f64_array(j, &p.bbox);
        j.key("area").f64_value(p.area);
        j.key("segmentation").begin_array();
        if let Some(s) = &p.segmentation {
            j.begin_array();
            for &(x, y) in s {
                j.f64_value(x).f64_value(y);
            }
            j.end_array();
        }
        j.end_array();
        j.key("iscrowd").i64_value(0);
        if let Some(kps) = &p.keypoints {
            j.key("keypoints").begin_array();
            for kp in kps {
                match kp {
                    Some((x, y)) => {
                        j.f64_value(*x).f64_value(*y).i64_value(2);
                    }
                    None => {
                        j.i64_value(0).i64_value(0).i64_value(0);
                    }
                }
            }
            j.end_array();
            let n = kps.iter().filter(|k| k.is_some()).count();
            j.key("num_keypoints").u64_value(n as u64);
        }
    })
}

impl Encoder {
    /// The task's image URL, if its data has one.
    fn source<'a>(&self, rec: &TaskRecord<'a>) -> Option<Cow<'a, str>> {
        let key = self.setup.image_key.as_deref()?;
        rec.task
            .data
            .as_ref()
            .and_then(|d| d.get(key))
            .and_then(model::as_str)
    }

    /// The task's `images` entry: the size of the first region that has one (else the image
    /// header's, else `null`), and the image URL (the writer makes it a unique file name).
    fn image(
        &self,
        rec: &TaskRecord<'_>,
        source: Option<&str>,
        sized: Option<&Label<'_, '_>>,
        header: &Header,
        bytes: &mut Vec<u8>,
        out: &mut Out<'_, '_>,
    ) -> ImageRec {
        enum Num<'r> {
            Raw(&'r RawValue),
            Int(u32),
            Null,
        }
        let number = |bytes: &mut Vec<u8>, n: Num<'_>| {
            let start = bytes.len();
            let mut w = JsonWriter::with_level(bytes, STYLE, 3);
            match n {
                Num::Raw(r) => w.number_literal(r.get()),
                Num::Int(v) => w.u64_value(u64::from(v)),
                Num::Null => w.null_value(),
            };
            start..bytes.len()
        };
        let (w, h) = match (sized, header) {
            (Some(l), _) => (
                l.original_width().map_or(Num::Null, Num::Raw),
                l.original_height().map_or(Num::Null, Num::Raw),
            ),
            (None, Header::Read(w, h)) => (Num::Int(*w), Num::Int(*h)),
            (None, Header::Failed(e)) => {
                out.warn(format!("image size unknown (no region has original_width/original_height, and the image header could not be read: {e}): width and height are null"));
                (Num::Null, Num::Null)
            }
            (None, Header::NotRead) => {
                out.warn("image size unknown (no region has original_width/original_height): width and height are null");
                (Num::Null, Num::Null)
            }
        };
        let width = number(bytes, w);
        let height = number(bytes, h);
        let key = self.setup.image_key.as_deref();
        let copy = match source {
            Some(_) if self.setup.copy_images => Some(TaskRef {
                index: rec.index,
                id: rec.id_text(),
            }),
            _ => None,
        };
        let start = bytes.len();
        match source {
            Some(s) => bytes.extend_from_slice(s.as_bytes()),
            None => {
                let name = format!("task-{}", rec.index);
                out.warn(format!(
                    "task data has no image URL under {:?}; the image is named {name:?}",
                    key.unwrap_or("")
                ));
                bytes.extend_from_slice(name.as_bytes());
            }
        }
        ImageRec {
            width,
            height,
            name: start..bytes.len(),
            copy,
            ls_copy: None,
        }
    }
    /// Attaches a keypoint to its parent box.
    fn keypoint(
        &self,
        l: &Label<'_, '_>,
        f: &Frame,
        item: usize,
        pending: &mut [Pending<'_>],
        out: &mut Out<'_, '_>,
    ) {
        let Some(name) = label_name(l, out) else {
            return;
        };
        let Some(slot) = self.setup.kp_names.iter().position(|n| *n == name) else {
            out.warn(format!(
                "keypoint label {name:?} is not a KeyPointLabels label of the config; skipped"
            ));
            return;
        };
        let (Some(x), Some(y)) = (finite(l.get("x")), finite(l.get("y"))) else {
            out.warn("keypoint with a missing or non-numeric x or y skipped");
            return;
        };
        let Some(parent) = l.region.parent_id.as_deref() else {
            out.warn(format!(
                "keypoint {name:?} without a parentID (no box to attach it to) skipped"
            ));
            return;
        };
        let Some(kps) = pending
            .iter_mut()
            .find(|p| p.item == item && p.region_id == Some(parent))
            .and_then(|p| p.keypoints.as_mut())
        else {
            out.warn(format!(
                "keypoint {name:?}: its parent {parent:?} is not an exported rectangle; skipped"
            ));
            return;
        };
        let p = (f.x(x), f.y(y));
        if !((0.0..=f.w).contains(&p.0) && (0.0..=f.h).contains(&p.1)) {
            out.warn(format!("keypoint {name:?} outside the image skipped"));
            return;
        }
        if kps[slot].replace(p).is_some() {
            out.warn(format!(
                "keypoint {name:?} given twice for box {parent:?}; the last is kept"
            ));
        }
    }

    fn task(
        &self,
        rec: &TaskRecord<'_>,
        schema: &Schema<'_>,
        resolver: &Resolver,
        bytes: &mut Vec<u8>,
        enc: &mut Encoded,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let setup = &*self.setup;
        let items = pick_items(rec, rec.items(schema)?, setup.pick);
        let mut out = Out { rec, warnings };
        // Shapes, in item and result order.
        let mut shapes: Vec<(usize, Kind, Label<'_, '_>)> = Vec::new();
        let mut sized: Option<Label<'_, '_>> = None;
        for (i, item) in items.iter().enumerate() {
            for g in &item.outputs {
                for r in &g.regions {
                    let l = Label::new(r);
                    if sized.is_none() && size_of(&l).is_some() {
                        sized = Some(l);
                    }
                    if let Some(k) = kind(setup, g.from_name, g.control_type, r) {
                        shapes.push((i, k, l));
                    }
                }
            }
        }
        // Sizes from regions win; the header is read only when no region has one.
        let source = self.source(rec);
        let header = match sized {
            Some(_) => Header::NotRead,
            None => read_header(setup, resolver, source.as_deref(), rec.id_text().as_deref()),
        };
        let size = sized.as_ref().and_then(size_of).or_else(|| header.size());
        let image = self.image(
            rec,
            source.as_deref(),
            sized.as_ref(),
            &header,
            bytes,
            &mut out,
        );
        enc.images.push(image);
        let mut it = ItemRec { images: 1, anns: 0 };
        // Boxes and polygons, then keypoints onto their boxes.
        let mut pending: Vec<Pending<'_>> = Vec::new();
        let frame = |l: &Label<'_, '_>| {
            let (w, h) = size?;
            let (ow, oh) = size_of(l).unwrap_or((w, h));
            Some(Frame { ow, oh, w, h })
        };
        for (item, k, l) in &shapes {
            if *k == Kind::Keypoint {
                continue;
            }
            if *k == Kind::Unsupported {
                out.warn("region type not supported by COCO (ellipse, brush) skipped");
                continue;
            }
            let Some(name) = label_name(l, &mut out) else {
                continue;
            };
            let Some(&cat) = setup.cats.by_name.get(name.as_ref()) else {
                out.warn(format!(
                    "label {name:?} is not a class of the label config; region skipped"
                ));
                continue;
            };
            let Some(f) = frame(l) else {
                out.warn("region skipped: the image size is unknown");
                continue;
            };
            let shape = if *k == Kind::Rect {
                shapes::rect(l, &f)
            } else {
                shapes::polygon(l, &f)
            };
            let Shape {
                bbox,
                area,
                segmentation,
            } = match shape {
                Ok(s) => s,
                Err(e) => {
                    out.warn(e);
                    continue;
                }
            };
            let carries = *k == Kind::Rect
                && setup
                    .cats
                    .list
                    .iter()
                    .any(|c| c.id == cat && c.keypoints.is_some());
            pending.push(Pending {
                cat,
                bbox,
                area,
                segmentation,
                keypoints: carries.then(|| vec![None; setup.kp_names.len()]),
                item: *item,
                region_id: l.region.id.as_deref(),
            });
        }
        for (item, k, l) in &shapes {
            if *k != Kind::Keypoint {
                continue;
            }
            match frame(l) {
                Some(f) => self.keypoint(l, &f, *item, &mut pending, &mut out),
                None => out.warn("keypoint skipped: the image size is unknown"),
            }
        }
        for p in &pending {
            let tail = render(p, bytes);
            enc.anns.push(AnnRec {
                cat: Cat::Id(p.cat),
                tail: Some(tail),
            });
            it.anns += 1;
        }
        enc.items.push(it);
        Ok(())
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(ctx.config.as_deref());
        let mut bytes = Vec::new();
        let mut enc = Encoded::default();
        let mut warnings = Vec::new();
        for rec in batch.tasks {
            self.task(
                rec,
                &schema,
                batch.resolver,
                &mut bytes,
                &mut enc,
                &mut warnings,
            )?;
        }
        Ok(Fragment {
            bytes,
            records: enc.images.len() as u64,
            payload: Some(Box::new(enc)),
            warnings,
        })
    }
}
