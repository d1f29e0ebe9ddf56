//! `BRUSH_TO_COCO`: brush masks as COCO polygons, `result_coco.json` plus an empty `images/`
//! (`reference: ls-converter.md §6.9`). The encoder turns each item into [`CocoItem`]; the
//! writer numbers images, annotations and categories in input order.

use crate::contours::{area, bounding_rect, external_contours_in};
use crate::pyname::py_str;
use exportkit_core::exporter::Warning;
use exportkit_core::jsonfmt::JsonWriter;
use exportkit_core::model::{self, RawObject};
use exportkit_core::task::Item;
use exportkit_core::{TaskRecord, rle, view};
use serde_json::value::RawValue;

/// One COCO annotation's geometry.
#[derive(Debug)]
pub enum Shape {
    /// A traced contour (brush) or rounded points (polygon): flat `[x, y, ...]`, bbox, area.
    Polygon {
        /// Flat coordinates.
        flat: Vec<i32>,
        /// `[x, y, w, h]`.
        bbox: [i32; 4],
        /// `int(contourArea)`.
        area: i64,
    },
    /// A rectangle in pixels (`x, y, w, h`).
    Rect([f64; 4]),
}

/// An item's contribution.
#[derive(Debug, Default)]
pub struct CocoItem {
    /// `(file_name, path, width JSON, height JSON)` when the item may add an image.
    pub image: Option<(String, String, Option<String>, Option<String>)>,
    /// Every label met, in order (each creates its category on first sight).
    pub labels: Vec<String>,
    /// `(index into labels, shape)`.
    pub shapes: Vec<(usize, Shape)>,
    /// The annotator as JSON.
    pub annotator: String,
}

const IMAGE_EXTS: [&str; 5] = [".jpg", ".jpeg", ".png", ".gif", ".bmp"];

fn number(v: &RawObject<'_>, key: &str) -> Option<f64> {
    v.get(key).and_then(model::as_f64)
}

/// Label Studio's `get_annotator(item, "unknown")`, as JSON.
fn annotator(raw: Option<&RawValue>) -> String {
    let s = |t: &str| serde_json::to_string(t).unwrap_or_default();
    match raw {
        None => s("unknown"),
        Some(r) if r.get().starts_with('{') => RawObject::parse(r)
            .ok()
            .map(|o| {
                o.get("email")
                    .map_or_else(|| s("unknown"), |e| e.get().to_owned())
            })
            .unwrap_or_else(|| s("unknown")),
        Some(r) => s(&py_str(r)),
    }
}

/// Encodes one item (`image_id` is its position among all items, given by the writer).
pub fn encode_item(
    rec: &TaskRecord<'_>,
    item: &Item<'_, '_>,
    scratch: &mut Scratch,
    warnings: &mut Vec<Warning>,
) -> CocoItem {
    let mut out = CocoItem {
        annotator: annotator(item.annotation.and_then(|a| a.completed_by)),
        ..CocoItem::default()
    };
    let path = rec.task.data.as_ref().and_then(|d| {
        d.iter().find_map(|(_, v)| {
            model::as_str(v)
                .filter(|s| {
                    let l = s.to_lowercase();
                    IMAGE_EXTS.iter().any(|e| l.ends_with(e))
                })
                .map(|s| s.into_owned())
        })
    });
    let Some(path) = path else {
        warnings.push(Warning::new(
            rec,
            "no image path in the task data; item skipped",
        ));
        return out;
    };
    if item.outputs.is_empty() {
        return out;
    }
    let file_name = path.rsplit('/').next().unwrap_or(&path).to_owned();
    let (mut width, mut height) = (None, None);
    for group in &item.outputs {
        for r in &group.regions {
            let Ok(v) = view::region_value(r) else {
                continue;
            };
            if width.is_none()
                && let Some(w) = v.get("original_width")
            {
                width = Some(w.get().to_owned());
                height = v.get("original_height").map(|h| h.get().to_owned());
            }
            let ty = group.control_type.to_lowercase();
            let Some((key, labels)) = ["brushlabels", "polygonlabels", "rectanglelabels", "labels"]
                .into_iter()
                .find_map(|k| v.get(k).map(|l| (k, l)))
            else {
                continue;
            };
            let Ok(labels) = serde_json::from_str::<Vec<String>>(labels.get()) else {
                warnings.push(Warning::new(
                    rec,
                    format!(
                        "{}: `{key}` is not a list of strings; region skipped",
                        group.from_name
                    ),
                ));
                continue;
            };
            for label in labels {
                let li = out.labels.len();
                out.labels.push(label);
                let (w, h) = (number(&v, "original_width"), number(&v, "original_height"));
                if key == "brushlabels" && v.get("rle").is_some() {
                    if w.is_none() || h.is_none() {
                        warnings.push(Warning::new(
                            rec,
                            "brush region without original_width/original_height skipped",
                        ));
                        continue;
                    }
                    for shape in brush_shapes(&v, rec, scratch, warnings) {
                        out.shapes.push((li, shape));
                    }
                } else if key == "polygonlabels" && v.get("points").is_some() {
                    let (Some(w), Some(h)) = (w, h) else {
                        warnings.push(Warning::new(
                            rec,
                            "polygon without original_width/original_height skipped",
                        ));
                        continue;
                    };
                    match polygon(v.get("points"), w, h) {
                        Some(s) => out.shapes.push((li, s)),
                        None => warnings.push(Warning::new(
                            rec,
                            "polygon points are not [x, y] numbers; skipped",
                        )),
                    }
                } else if ty == "rectanglelabels" || key == "labels" {
                    let n = |k| number(&v, k);
                    match (n("x"), n("y"), n("width"), n("height"), w, h) {
                        (Some(x), Some(y), Some(rw), Some(rh), Some(w), Some(h)) => {
                            out.shapes.push((
                                li,
                                Shape::Rect([
                                    x * w / 100.0,
                                    y * h / 100.0,
                                    rw * w / 100.0,
                                    rh * h / 100.0,
                                ]),
                            ))
                        }
                        _ => warnings.push(Warning::new(
                            rec,
                            "rectangle without x/y/width/height/original size skipped",
                        )),
                    }
                }
            }
        }
    }
    out.image = Some((file_name, path, width, height));
    out
}

/// Buffers reused from mask to mask.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The RLE bytes.
    rle: Vec<u8>,
    /// Decoded alpha values.
    mask: Vec<u8>,
    /// The contour tracer's image.
    image: Vec<i8>,
}

fn brush_shapes(
    v: &RawObject<'_>,
    rec: &TaskRecord<'_>,
    scratch: &mut Scratch,
    warnings: &mut Vec<Warning>,
) -> Vec<Shape> {
    let whole = |k: &str| {
        v.get(k)
            .and_then(|r| serde_json::from_str::<u32>(r.get()).ok())
            .map(|n| n as usize)
    };
    let (Some(w), Some(h), Some(raw)) = (
        whole("original_width"),
        whole("original_height"),
        v.get("rle"),
    ) else {
        warnings.push(Warning::new(
            rec,
            "brush region size is not a whole number; skipped",
        ));
        return Vec::new();
    };
    let decoded = rle::parse_json_bytes_into(raw.get(), &mut scratch.rle)
        .and_then(|()| rle::decode_alpha_into(&scratch.rle, Some(w * h * 4), &mut scratch.mask));
    if let Err(e) = decoded {
        warnings.push(Warning::new(
            rec,
            format!("{e} (original size {w}×{h}); region skipped"),
        ));
        return Vec::new();
    }
    external_contours_in(&scratch.mask, w, h, &mut scratch.image)
        .into_iter()
        .filter(|c| c.len() >= 3)
        .map(|c| Shape::Polygon {
            flat: c.iter().flat_map(|&(x, y)| [x, y]).collect(),
            bbox: bounding_rect(&c),
            area: area(&c) as i64,
        })
        .collect()
}

fn polygon(points: Option<&RawValue>, w: f64, h: f64) -> Option<Shape> {
    let pts: Vec<[f64; 2]> = serde_json::from_str(points?.get()).ok()?;
    let p: Vec<(i32, i32)> = pts
        .iter()
        .map(|[x, y]| {
            (
                (x * w / 100.0).round_ties_even() as i32,
                (y * h / 100.0).round_ties_even() as i32,
            )
        })
        .collect();
    Some(Shape::Polygon {
        flat: p.iter().flat_map(|&(x, y)| [x, y]).collect(),
        bbox: bounding_rect(&p),
        area: area(&p) as i64,
    })
}

/// Writes one annotation object at list depth 2.
pub fn write_annotation(
    buf: &mut Vec<u8>,
    style: exportkit_core::jsonfmt::JsonStyle,
    ids: (u64, u64, u64),
    shape: &Shape,
    annotator: &str,
) {
    let mut w = JsonWriter::with_level(buf, style, 2);
    w.begin_object();
    w.key("id").u64_value(ids.0);
    w.key("image_id").u64_value(ids.1);
    w.key("category_id").u64_value(ids.2);
    w.key("segmentation");
    match shape {
        Shape::Polygon { flat, bbox, area } => {
            w.begin_array().begin_array();
            for &c in flat {
                w.i64_value(i64::from(c));
            }
            w.end_array().end_array();
            w.key("area").i64_value(*area);
            w.key("bbox").begin_array();
            for &c in bbox {
                w.i64_value(i64::from(c));
            }
            w.end_array();
        }
        Shape::Rect(r) => {
            w.begin_array().end_array();
            w.key("area").f64_value(r[2] * r[3]);
            w.key("bbox").begin_array();
            for &c in r {
                w.f64_value(c);
            }
            w.end_array();
        }
    }
    w.key("iscrowd").i64_value(0);
    w.key("annotator");
    if w.raw_value(annotator).is_err() {
        w.null_value();
    }
    w.end_object();
}
