//! The clean (default) YOLO / YOLO_OBB layout: one label file per task from the picked
//! annotation(s), classes from the label config (`Categories::clean`), rotated boxes as their
//! true pixel-space hull, everything clipped to the image and normalised to `[0, 1]`.

use crate::clip::{Pt, area, clip_to_unit, unit};
use crate::files::{Content, FileOut, Files, TaskRef};
use crate::header::{Size, header_size, needs_size};
use crate::num::{finite_number, string_list, write_coord};
use exportkit_core::config::ControlMatcher;
use exportkit_core::exporter::Warning;
use exportkit_core::geometry::{clip_box, rotated_corners, rotated_hull};
use exportkit_core::jsonfmt::write_i64;
use exportkit_core::labels::is_geometric;
use exportkit_core::model::{self, Region};
use exportkit_core::task::{Schema, pick_items};
use exportkit_core::{Batch, BatchEncoder, ExportContext, Fragment, Item, LabelConfig, Result};
use exportkit_core::{OutputGroup, TaskRecord};
use std::collections::HashMap;
use std::sync::Arc;

/// The clean encoder.
pub(crate) struct Encoder {
    pub(crate) config: Arc<LabelConfig>,
    pub(crate) data_key: String,
    pub(crate) obb: bool,
    /// Label → class id.
    pub(crate) classes: HashMap<String, i64>,
    /// YOLO pose: keypoint names in line order (the config has `KeyPointLabels`).
    pub(crate) pose: Option<Vec<String>>,
    /// A `*_WITH_IMAGES` format: images may be read for their sizes.
    pub(crate) with_images: bool,
}

/// Smallest normalised box side written (numbers have 6 decimals).
const MIN_SIZE: f64 = 1e-6;
/// Smallest normalised area of a polygon or oriented box written.
const MIN_AREA: f64 = 1e-12;

/// A region's rectangle in pixels (or in percent, as a 100×100 image, when the size is
/// unknown and the box is not rotated: the normalised result is the same).
struct RectPx {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    rot: f64,
    size: Size,
}

/// How a region's geometry reads.
enum Shape {
    Rect,
    Polygon,
    Keypoint,
    /// A region kind YOLO cannot hold (ellipse, brush, bitmask), with its tag.
    Unsupported(String),
    /// Not a geometric class (choices, text, an unlabelled tool region): ignored.
    Ignored,
}

/// The per-task output under construction.
struct Task<'w, 'r, 'a> {
    rec: &'r TaskRecord<'a>,
    bytes: &'w mut Vec<u8>,
    warnings: &'w mut Vec<Warning>,
}

impl Task<'_, '_, '_> {
    fn warn(&mut self, msg: impl Into<String>) {
        self.warnings.push(Warning::new(self.rec, msg));
    }
}

/// `original_width`/`original_height` of a region, when both are positive numbers.
fn region_size(r: &Region<'_>) -> Option<Size> {
    let w = finite_number(r.original_width).filter(|v| *v > 0.0)?;
    let h = finite_number(r.original_height).filter(|v| *v > 0.0)?;
    Some((w, h))
}

/// A number member of a region's value, finite.
fn value_num(r: &Region<'_>, key: &str) -> std::result::Result<f64, String> {
    let raw = r.value.as_ref().and_then(|v| v.get(key));
    match raw {
        None => Err(format!("region has no \"{key}\"")),
        Some(raw) => {
            finite_number(Some(raw)).ok_or_else(|| format!("\"{key}\" is not a finite number"))
        }
    }
}

fn has(r: &Region<'_>, key: &str) -> bool {
    r.value.as_ref().is_some_and(|v| v.get(key).is_some())
}

impl Encoder {
    /// How the regions of `group` read, and the value key holding their labels.
    fn shape(&self, m: &ControlMatcher<'_>, group: &OutputGroup<'_, '_>, r: &Region<'_>) -> Shape {
        match group.control_type {
            "RectangleLabels" => Shape::Rect,
            "PolygonLabels" => Shape::Polygon,
            "KeyPointLabels" => Shape::Keypoint,
            t @ ("EllipseLabels" | "BrushLabels" | "BitmaskLabels") => Shape::Unsupported(t.into()),
            "Labels" if m.control_for(group.from_name).is_some_and(is_geometric) => {
                if has(r, "points") {
                    Shape::Polygon
                } else if has(r, "width") || has(r, "height") {
                    Shape::Rect
                } else if has(r, "x") {
                    Shape::Keypoint
                } else {
                    Shape::Unsupported("Labels".into())
                }
            }
            _ => Shape::Ignored,
        }
    }

    /// The class ids of a region's labels; unknown labels are warned about and dropped.
    fn class_ids(
        &self,
        t: &mut Task<'_, '_, '_>,
        group: &OutputGroup<'_, '_>,
        r: &Region<'_>,
    ) -> Vec<i64> {
        let key = group.control_type.to_ascii_lowercase();
        let Some(raw) = r.value.as_ref().and_then(|v| v.get(&key)) else {
            t.warn(format!(
                "{} region without \"{key}\"; skipped",
                group.control_type
            ));
            return Vec::new();
        };
        let Some(names) = string_list(raw) else {
            t.warn(format!("\"{key}\" is not a list of labels; region skipped"));
            return Vec::new();
        };
        if names.is_empty() {
            t.warn(format!(
                "{} region without a label; skipped",
                group.control_type
            ));
        }
        let mut ids = Vec::with_capacity(names.len());
        for n in names {
            match self.classes.get(&n) {
                Some(&id) => ids.push(id),
                None => t.warn(format!(
                    "label {n:?} is not in the label config; region skipped"
                )),
            }
        }
        ids
    }

    /// A rectangle in pixels (see [`RectPx`]).
    fn rect(r: &Region<'_>, task_size: Option<Size>) -> std::result::Result<RectPx, String> {
        let [x, y, w, h] = [
            value_num(r, "x")?,
            value_num(r, "y")?,
            value_num(r, "width")?,
            value_num(r, "height")?,
        ];
        let rot = match r.value.as_ref().and_then(|v| v.get("rotation")) {
            None => 0.0,
            Some(raw) if raw.get() == "null" => 0.0,
            Some(raw) => finite_number(Some(raw)).ok_or("\"rotation\" is not a finite number")?,
        };
        match (region_size(r).or(task_size), rot == 0.0) {
            (Some((iw, ih)), _) => Ok(RectPx {
                x: x / 100.0 * iw,
                y: y / 100.0 * ih,
                w: w / 100.0 * iw,
                h: h / 100.0 * ih,
                rot,
                size: (iw, ih),
            }),
            (None, true) => Ok(RectPx {
                x,
                y,
                w,
                h,
                rot,
                size: (100.0, 100.0),
            }),
            (None, false) => Err("rotated box without original_width/original_height".into()),
        }
    }

    /// `cx cy w h` of a box's clipped, axis-aligned hull, normalised.
    fn detect_box(b: &RectPx) -> std::result::Result<[f64; 4], String> {
        let (mut x, mut y, mut w, mut h) = rotated_hull(b.x, b.y, b.w, b.h, b.rot);
        if w < 0.0 {
            (x, w) = (x + w, -w);
        }
        if h < 0.0 {
            (y, h) = (y + h, -h);
        }
        let (iw, ih) = b.size;
        let (x, y, w, h) = clip_box((x, y, w, h), iw, ih);
        if w <= 0.0 || h <= 0.0 {
            return Err("box has no area inside the image".into());
        }
        if w / iw < MIN_SIZE || h / ih < MIN_SIZE {
            return Err("box is smaller than the output precision (1e-6 of the image)".into());
        }
        Ok([
            unit((x + w / 2.0) / iw),
            unit((y + h / 2.0) / ih),
            unit(w / iw),
            unit(h / ih),
        ])
    }

    /// The four corners of a box (rotated about its top-left corner), normalised and clamped
    /// to the image.
    fn obb_corners(b: &RectPx) -> std::result::Result<[Pt; 4], String> {
        let (iw, ih) = b.size;
        let c =
            rotated_corners(b.x, b.y, b.w, b.h, b.rot).map(|(x, y)| (unit(x / iw), unit(y / ih)));
        if area(&c) <= MIN_AREA {
            return Err("box has no area inside the image".into());
        }
        Ok(c)
    }

    /// Polygon points normalised (percent / 100).
    fn polygon(r: &Region<'_>) -> std::result::Result<Vec<Pt>, String> {
        let bad = || "\"points\" is not a list of [x, y] numbers".to_owned();
        let raw = r
            .value
            .as_ref()
            .and_then(|v| v.get("points"))
            .ok_or("polygon without \"points\"")?;
        let list = crate::num::list(raw).ok_or_else(bad)?;
        let mut pts = Vec::with_capacity(list.len());
        for p in list {
            let xy = crate::num::list(p).ok_or_else(bad)?;
            let [x, y] = xy.as_slice() else {
                return Err(bad());
            };
            let (x, y) = (
                finite_number(Some(x)).ok_or_else(bad)?,
                finite_number(Some(y)).ok_or_else(bad)?,
            );
            pts.push((x / 100.0, y / 100.0));
        }
        if pts.len() < 3 {
            return Err(format!("polygon with {} points", pts.len()));
        }
        Ok(pts)
    }

    fn line(t: &mut Task<'_, '_, '_>, cls: i64, coords: impl IntoIterator<Item = f64>) {
        write_i64(t.bytes, cls);
        for v in coords {
            t.bytes.push(b' ');
            write_coord(t.bytes, v);
        }
        t.bytes.push(b'\n');
    }

    /// Detection / segmentation / OBB lines of one item.
    fn plain_item(
        &self,
        t: &mut Task<'_, '_, '_>,
        m: &ControlMatcher<'_>,
        item: &Item<'_, '_>,
        size: Option<Size>,
    ) {
        let mut keypoints = 0usize;
        for group in &item.outputs {
            for r in &group.regions {
                let shape = self.shape(m, group, r);
                let what = match &shape {
                    Shape::Ignored => continue,
                    Shape::Keypoint => {
                        keypoints += 1;
                        continue;
                    }
                    Shape::Unsupported(tag) => {
                        t.warn(format!("{tag} region: not representable in YOLO; skipped"));
                        continue;
                    }
                    Shape::Rect => "box",
                    Shape::Polygon => "polygon",
                };
                let ids = self.class_ids(t, group, r);
                if ids.is_empty() {
                    continue;
                }
                let coords: std::result::Result<Vec<f64>, String> = match shape {
                    Shape::Rect => Self::rect(r, size).and_then(|b| {
                        if self.obb {
                            Self::obb_corners(&b)
                                .map(|c| c.iter().flat_map(|p| [p.0, p.1]).collect())
                        } else {
                            Self::detect_box(&b).map(|v| v.to_vec())
                        }
                    }),
                    _ => Self::polygon(r).and_then(|p| {
                        if self.obb {
                            if p.len() != 4 {
                                return Err(format!(
                                    "polygon with {} points is not an oriented box",
                                    p.len()
                                ));
                            }
                            let c: Vec<Pt> = p.iter().map(|&(x, y)| (unit(x), unit(y))).collect();
                            if area(&c) <= MIN_AREA {
                                return Err("polygon has no area inside the image".into());
                            }
                            Ok(c.iter().flat_map(|p| [p.0, p.1]).collect())
                        } else {
                            let c = clip_to_unit(&p);
                            if c.len() < 3 || area(&c) <= MIN_AREA {
                                return Err("polygon has no area inside the image".into());
                            }
                            Ok(c.iter().flat_map(|p| [p.0, p.1]).collect())
                        }
                    }),
                };
                match coords {
                    Ok(c) => {
                        for id in ids {
                            Self::line(t, id, c.iter().copied());
                        }
                    }
                    Err(e) => t.warn(format!("{e}; {what} skipped")),
                }
            }
        }
        if keypoints > 0 {
            let why = if self.obb {
                "YOLO_OBB has no keypoints"
            } else {
                "the label config has no KeyPointLabels"
            };
            t.warn(format!("{keypoints} keypoint(s) not exported: {why}"));
        }
    }

    /// YOLO pose lines of one item: each box with its keypoints (`parentID` = the box's id).
    fn pose_item(
        &self,
        t: &mut Task<'_, '_, '_>,
        m: &ControlMatcher<'_>,
        item: &Item<'_, '_>,
        size: Option<Size>,
        order: &[String],
    ) {
        struct Inst<'r> {
            cls: i64,
            b: [f64; 4],
            id: Option<&'r str>,
            kps: Vec<Option<Pt>>,
        }
        let mut insts: Vec<Inst<'_>> = Vec::new();
        let mut kps: Vec<(&OutputGroup<'_, '_>, &Region<'_>)> = Vec::new();
        for group in &item.outputs {
            for r in &group.regions {
                match self.shape(m, group, r) {
                    Shape::Ignored => {}
                    Shape::Keypoint => kps.push((group, r)),
                    Shape::Unsupported(tag) => {
                        t.warn(format!("{tag} region: not representable in YOLO; skipped"))
                    }
                    Shape::Polygon => t.warn("polygon in a pose dataset: skipped"),
                    Shape::Rect => {
                        let ids = self.class_ids(t, group, r);
                        if ids.is_empty() {
                            continue;
                        }
                        match Self::rect(r, size).and_then(|b| Self::detect_box(&b)) {
                            Ok(b) => insts.extend(ids.into_iter().map(|cls| Inst {
                                cls,
                                b,
                                id: r.id.as_deref(),
                                kps: vec![None; order.len()],
                            })),
                            Err(e) => t.warn(format!("{e}; box skipped")),
                        }
                    }
                }
            }
        }
        for (group, r) in kps {
            let key = group.control_type.to_ascii_lowercase();
            let names = r
                .value
                .as_ref()
                .and_then(|v| v.get(&key))
                .and_then(string_list)
                .unwrap_or_default();
            if names.is_empty() {
                t.warn("keypoint without a label; skipped");
                continue;
            }
            let parent = r.parent_id.as_deref();
            if parent.is_none_or(|p| !insts.iter().any(|i| i.id == Some(p))) {
                t.warn(format!(
                    "keypoint {:?} has no parent box (parentID); skipped",
                    names[0]
                ));
                continue;
            }
            let (x, y) = match (value_num(r, "x"), value_num(r, "y")) {
                (Ok(x), Ok(y)) => (unit(x / 100.0), unit(y / 100.0)),
                (Err(e), _) | (_, Err(e)) => {
                    t.warn(format!("{e}; keypoint skipped"));
                    continue;
                }
            };
            for n in &names {
                let Some(k) = order.iter().position(|o| o == n) else {
                    t.warn(format!(
                        "keypoint label {n:?} is not in the label config; skipped"
                    ));
                    continue;
                };
                for inst in insts.iter_mut().filter(|i| i.id == parent) {
                    inst.kps[k] = Some((x, y));
                }
            }
        }
        for inst in insts {
            write_i64(t.bytes, inst.cls);
            for v in inst.b {
                t.bytes.push(b' ');
                write_coord(t.bytes, v);
            }
            for k in inst.kps {
                match k {
                    Some((x, y)) => {
                        t.bytes.push(b' ');
                        write_coord(t.bytes, x);
                        t.bytes.push(b' ');
                        write_coord(t.bytes, y);
                        t.bytes.extend_from_slice(b" 2");
                    }
                    None => t.bytes.extend_from_slice(b" 0 0 0"),
                }
            }
            t.bytes.push(b'\n');
        }
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, ctx: &ExportContext, batch: &Batch<'_, '_>) -> Result<Fragment> {
        let schema = Schema::new(Some(&self.config));
        let matcher = self.config.matcher();
        let mut frag = Fragment::default();
        let mut files = Vec::with_capacity(batch.tasks.len());
        for rec in batch.tasks {
            let source = rec
                .task
                .data
                .as_ref()
                .and_then(|d| d.get(&self.data_key))
                .and_then(model::as_str);
            let Some(source) = source else {
                frag.warnings.push(Warning::new(
                    rec,
                    format!(
                        "task data has no image URL string \"{}\"; no label file",
                        self.data_key
                    ),
                ));
                continue;
            };
            let items = pick_items(rec, rec.items(&schema)?, ctx.options.pick);
            let size = items
                .iter()
                .flat_map(|i| i.outputs.iter())
                .flat_map(|g| g.regions.iter())
                .find_map(|r| region_size(r))
                .or_else(|| {
                    needs_size(&items)
                        .then(|| {
                            header_size(
                                ctx,
                                batch,
                                rec,
                                &source,
                                self.with_images,
                                &mut frag.warnings,
                            )
                        })
                        .flatten()
                });
            let start = frag.bytes.len();
            let mut t = Task {
                rec,
                bytes: &mut frag.bytes,
                warnings: &mut frag.warnings,
            };
            for item in &items {
                match &self.pose {
                    Some(order) => self.pose_item(&mut t, &matcher, item, size, order),
                    None => self.plain_item(&mut t, &matcher, item, size),
                }
            }
            files.push(FileOut {
                name: source.into_owned(),
                appends: Vec::new(),
                content: Content::Bytes(start..frag.bytes.len()),
                task: Some(TaskRef {
                    index: rec.index,
                    id: rec.id_text(),
                }),
                image: None,
            });
        }
        frag.records = files.len() as u64;
        frag.payload = Some(Box::new(Files(files)));
        Ok(frag)
    }
}

/// Clean keypoint order: every `KeyPointLabels` label (config order, each once), stably
/// sorted by its integer `model_index`; labels without one come last, in config order.
pub(crate) fn pose_order(config: &LabelConfig) -> Vec<String> {
    let mut labels: Vec<(Option<i64>, String)> = Vec::new();
    for c in config.controls.iter().filter(|c| c.tag == "KeyPointLabels") {
        for l in &c.labels {
            if labels.iter().all(|(_, n)| *n != l.value) {
                let mi = l.attr("model_index").and_then(crate::compat::py_int);
                labels.push((mi, l.value.clone()));
            }
        }
    }
    labels.sort_by_key(|(mi, _)| mi.unwrap_or(i64::MAX));
    labels.into_iter().map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    fn px(x: f64, y: f64, w: f64, h: f64, rot: f64, size: Size) -> RectPx {
        RectPx {
            x: x / 100.0 * size.0,
            y: y / 100.0 * size.1,
            w: w / 100.0 * size.0,
            h: h / 100.0 * size.1,
            rot,
            size,
        }
    }

    #[test]
    fn detect_box_of_a_rotated_rectangle_on_a_non_square_image() {
        // ls-converter.md §6.5: 1000×500, x=20 y=30 w=30 h=10 (%), 30°: the hull in percent is
        // (17.5, 30.0, 28.4808, 38.6603).
        let b = Encoder::detect_box(&px(20.0, 30.0, 30.0, 10.0, 30.0, (1000.0, 500.0))).unwrap();
        let (w, h) = (0.284_807_621_135_331_5, 0.386_602_540_378_443_9);
        assert!(close(&b, &[0.175 + w / 2.0, 0.3 + h / 2.0, w, h]), "{b:?}");
    }

    #[test]
    fn detect_box_is_clipped_to_the_image() {
        let b = Encoder::detect_box(&px(90.0, 80.0, 30.0, 40.0, 0.0, (1000.0, 500.0))).unwrap();
        assert!(close(&b, &[0.95, 0.9, 0.1, 0.2]), "{b:?}");
        let b = Encoder::detect_box(&px(-10.0, -5.0, 20.0, 10.0, 0.0, (640.0, 480.0))).unwrap();
        assert!(close(&b, &[0.05, 0.025, 0.1, 0.05]), "{b:?}");
        assert!(Encoder::detect_box(&px(110.0, 10.0, 5.0, 5.0, 0.0, (640.0, 480.0))).is_err());
        assert!(Encoder::detect_box(&px(10.0, 10.0, 0.0, 5.0, 0.0, (640.0, 480.0))).is_err());
        // A negative width is the same box.
        let b = Encoder::detect_box(&px(30.0, 10.0, -20.0, 10.0, 0.0, (640.0, 480.0))).unwrap();
        assert!(close(&b, &[0.2, 0.15, 0.2, 0.1]), "{b:?}");
    }

    #[test]
    fn obb_corners_rotate_about_the_top_left_corner_in_pixels() {
        let c = Encoder::obb_corners(&px(20.0, 30.0, 30.0, 10.0, 30.0, (1000.0, 500.0))).unwrap();
        let s3 = 3f64.sqrt();
        let want = [
            (0.2, 0.3),
            (0.2 + 0.15 * s3, 0.6),
            (0.2 + 0.15 * s3 - 0.025, 0.6 + 0.05 * s3),
            (0.175, 0.3 + 0.05 * s3),
        ];
        let flat = |p: &[Pt]| p.iter().flat_map(|q| [q.0, q.1]).collect::<Vec<_>>();
        assert!(close(&flat(&c), &flat(&want)), "{c:?}");
        // Corners outside the image are clamped to it.
        let c = Encoder::obb_corners(&px(1.0, 2.0, 3.0, 4.0, 90.0, (640.0, 480.0))).unwrap();
        assert!(
            close(&flat(&c), &[0.01, 0.02, 0.01, 0.06, 0.0, 0.06, 0.0, 0.02]),
            "{c:?}"
        );
    }

    #[test]
    fn pose_order_is_model_index_then_config_order() {
        let cfg = LabelConfig::parse(
            r#"<View><Image name="i" value="$i"/><RectangleLabels name="b" toName="i"><Label value="p"/></RectangleLabels>
            <KeyPointLabels name="k" toName="i"><Label value="z"/><Label value="b" model_index="1"/>
            <Label value="a" model_index="0"/><Label value="y" model_index="x"/></KeyPointLabels></View>"#,
        )
        .unwrap();
        assert_eq!(pose_order(&cfg), ["a", "b", "z", "y"]);
    }
}
