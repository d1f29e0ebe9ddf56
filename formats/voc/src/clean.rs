//! The clean VOC export: one `Annotations/<stem>.xml` per task, for the picked annotation(s),
//! with one `<object>` per label of each rectangle or polygon region, boxes in integer pixels
//! (the rotated rectangle's true hull, clipped to the image).

use crate::probe::{Failure, Reader};
use crate::xml::{DECLARATION, Xml};
use crate::{Doc, Docs};
use exportkit_core::config::{Control, ControlMatcher};
use exportkit_core::exporter::Warning;
use exportkit_core::geometry::rotated_corners;
use exportkit_core::labels::{Categories, is_geometric};
use exportkit_core::model::{self, Region};
use exportkit_core::resources::redact;
use exportkit_core::task::pick_items;
use exportkit_core::{Pick, Result, Schema, TaskRecord};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Everything the clean encoder needs besides the task.
#[derive(Debug)]
pub(crate) struct Clean {
    /// The task-data key of the image.
    pub(crate) data_key: String,
    /// The class list (labels of geometric controls), or `None` without a label config.
    pub(crate) categories: Option<Categories>,
    /// Which annotation(s) of a task are exported.
    pub(crate) pick: Pick,
    /// `ExportOptions::download_resources`: images are copied into `images/` (and may be read).
    pub(crate) download: bool,
}

/// The bytes every clean document starts with, up to the image name (which the writer
/// chooses, in input order, so names are unique and deterministic).
pub(crate) const HEAD: &str = "<annotation>\n  <folder>images</folder>\n  <filename>";

/// Tolerance (pixels) before a box counts as reaching past the image border.
const EPS: f64 = 1e-6;

/// A box in integer pixel edges, inside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PixelBox {
    /// Left edge.
    pub(crate) xmin: u64,
    /// Top edge.
    pub(crate) ymin: u64,
    /// Right edge (`xmax - xmin` is the width).
    pub(crate) xmax: u64,
    /// Bottom edge.
    pub(crate) ymax: u64,
    /// Whether the region reached past the image border (VOC `truncated`).
    pub(crate) truncated: bool,
}

/// The pixel box of the continuous box `[x0, x1] × [y0, y1]` in a `width × height` image:
/// clipped to the image, each edge rounded to the nearest integer. `None` when nothing of
/// it is left (outside the image, or thinner than half a pixel).
pub(crate) fn pixel_box(
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    width: f64,
    height: f64,
) -> Option<PixelBox> {
    if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) {
        return None;
    }
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    let truncated = x0 < -EPS || y0 < -EPS || x1 > width + EPS || y1 > height + EPS;
    let r = |v: f64, max: f64| v.clamp(0.0, max).round() as u64;
    let b = PixelBox {
        xmin: r(x0, width),
        ymin: r(y0, height),
        xmax: r(x1, width),
        ymax: r(y1, height),
        truncated,
    };
    (b.xmax > b.xmin && b.ymax > b.ymin).then_some(b)
}

/// The data key of the first `Image` a geometric control labels; else Label Studio's first
/// data key; else `image`.
pub(crate) fn image_key(config: Option<&exportkit_core::LabelConfig>) -> String {
    let Some(c) = config else {
        return "image".into();
    };
    c.controls
        .iter()
        .filter(|c| is_geometric(c))
        .flat_map(|c| c.inputs.iter())
        .filter(|o| o.tag == "Image")
        .find_map(|o| o.data_key())
        .or_else(|| c.data_keys().first().copied())
        .unwrap_or("image")
        .to_owned()
}

/// The shape a region is exported as.
enum Shape {
    Rect,
    Polygon,
}

/// The shape and label key of a region, from its control (or its `type` without a config).
/// `None` for regions VOC cannot hold (keypoints, ellipses, brushes, classifications).
fn shape_of(
    control: Option<&Control>,
    kind: &str,
    value: &exportkit_core::model::RawObject<'_>,
) -> Option<(Shape, &'static str)> {
    let tag = match control {
        Some(c) if is_geometric(c) => c.tag.as_str(),
        Some(_) => return None,
        None => kind,
    };
    if tag.eq_ignore_ascii_case("RectangleLabels") {
        Some((Shape::Rect, "rectanglelabels"))
    } else if tag.eq_ignore_ascii_case("PolygonLabels") {
        Some((Shape::Polygon, "polygonlabels"))
    } else if tag.eq_ignore_ascii_case("Labels") {
        // `<Labels>` used with the Rectangle or Polygon tool.
        if value.get("points").is_some() {
            Some((Shape::Polygon, "labels"))
        } else if value.get("x").is_some() {
            Some((Shape::Rect, "labels"))
        } else {
            None
        }
    } else {
        None
    }
}

fn num(v: Option<&RawValue>) -> Option<f64> {
    v.and_then(model::as_f64).filter(|f| f.is_finite())
}

/// The image size from the first region that has a usable one, rounded to whole pixels.
fn image_size(regions: &[&Region<'_>]) -> Option<(f64, f64)> {
    regions.iter().find_map(|r| {
        let w = num(r.original_width)?.round();
        let h = num(r.original_height)?.round();
        (w >= 1.0 && h >= 1.0).then_some((w, h))
    })
}

/// The continuous pixel extent `(x0, y0, x1, y1)` of a region, or why it has none.
fn extent(
    shape: &Shape,
    v: &exportkit_core::model::RawObject<'_>,
    w: f64,
    h: f64,
) -> std::result::Result<(f64, f64, f64, f64), String> {
    match shape {
        Shape::Rect => {
            let get = |k: &str| match v.get(k) {
                None => Err(format!("no {k:?}")),
                Some(r) => num(Some(r)).ok_or_else(|| format!("{k:?} is not a finite number")),
            };
            let (x, y, bw, bh) = (get("x")?, get("y")?, get("width")?, get("height")?);
            let rotation = match v.get("rotation") {
                None => 0.0,
                Some(r) if r.get() == "null" => 0.0,
                Some(r) => num(Some(r)).ok_or("\"rotation\" is not a number")?,
            };
            // The hull of the corners (geometry::rotated_hull's box, kept as edges so huge
            // values do not lose the near edge to `x0 + width` rounding).
            let corners = rotated_corners(
                x / 100.0 * w,
                y / 100.0 * h,
                bw / 100.0 * w,
                bh / 100.0 * h,
                rotation,
            );
            Ok(bounds(corners))
        }
        Shape::Polygon => {
            let raw = v.get("points").ok_or("no \"points\"")?;
            let points: Vec<[f64; 2]> = serde_json::from_str(raw.get())
                .map_err(|_| "\"points\" is not a list of [x, y] numbers".to_owned())?;
            if points.len() < 3 {
                return Err(format!("a polygon needs 3 points, it has {}", points.len()));
            }
            Ok(bounds(
                points
                    .into_iter()
                    .map(|[px, py]| (px / 100.0 * w, py / 100.0 * h)),
            ))
        }
    }
}

/// `(min x, min y, max x, max y)` of points (NaN if a coordinate is not finite).
pub(crate) fn bounds(points: impl IntoIterator<Item = (f64, f64)>) -> (f64, f64, f64, f64) {
    let mut e = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            return (f64::NAN, f64::NAN, f64::NAN, f64::NAN);
        }
        e = (e.0.min(x), e.1.min(y), e.2.max(x), e.3.max(y));
    }
    e
}

/// One object to write.
struct Object<'a> {
    name: Cow<'a, str>,
    bbox: PixelBox,
}

impl Clean {
    /// Encodes one task into a clean document (or warnings saying why it has none).
    pub(crate) fn encode_task(
        &self,
        rec: &TaskRecord<'_>,
        schema: &Schema<'_>,
        matcher: Option<&ControlMatcher<'_>>,
        reader: &mut Reader<'_>,
        docs: &mut Docs,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let key = self.data_key.as_str();
        let image = rec.task.data.as_ref().and_then(|d| d.get(key));
        let Some(image) = image.and_then(model::as_str) else {
            let what = if image.is_some() {
                "is not a string"
            } else {
                "is missing"
            };
            warnings.push(Warning::new(
                rec,
                format!("VOC: task data {key:?} {what}; no file written"),
            ));
            return Ok(());
        };
        let items = pick_items(rec, rec.items(schema)?, self.pick);
        let groups: Vec<_> = items.iter().flat_map(|i| i.outputs.iter()).collect();
        let regions: Vec<&Region<'_>> = groups
            .iter()
            .flat_map(|g| g.regions.iter().copied())
            .collect();
        // The image's size is the same in every annotation: fall back to the others (not
        // picked, or cancelled) when the picked ones carry none.
        let size = image_size(&regions).or_else(|| {
            let all = rec.annotations().ok().flatten().unwrap_or_default();
            let others: Vec<&Region<'_>> =
                all.iter().flat_map(|a| a.result.iter().flatten()).collect();
            image_size(&others)
        });
        // The header, when this export may read the image: the size when no region gives
        // one (regions win), and the channel count.
        let task_id = rec.id_text();
        let header = reader.read(&image, task_id.as_deref());
        let size = size.or_else(|| match &header {
            Some(Ok(hd)) => Some((f64::from(hd.width), f64::from(hd.height))),
            _ => None,
        });
        let Some((w, h)) = size else {
            let why = match &header {
                Some(Err(Failure::Fetch(e) | Failure::Header(e))) => {
                    format!(", and the image could not be read: {e}")
                }
                _ => String::new(),
            };
            warnings.push(Warning::new(
                rec,
                format!("VOC: image size unknown (no region has original_width/original_height{why}); no file written"),
            ));
            return Ok(());
        };
        let depth = match &header {
            Some(Ok(hd)) => hd.depth.unwrap_or(3),
            Some(Err(Failure::Fetch(_))) if reader.downloads() => 3, // the writer reports it
            Some(Err(Failure::Fetch(e) | Failure::Header(e))) => {
                warnings.push(Warning::new(
                    rec,
                    format!("VOC: image {}: {e}; <depth> 3 written", redact(&image)),
                ));
                3
            }
            None => 3,
        };

        let mut objects = Vec::new();
        for g in &groups {
            let control = matcher.and_then(|m| m.control_for(g.from_name));
            if matcher.is_some() && control.is_none() {
                continue;
            }
            for r in &g.regions {
                let Some(v) = r.value.as_ref() else { continue };
                let kind = r.kind.as_deref().unwrap_or(g.control_type);
                let Some((shape, label_key)) = shape_of(control, kind, v) else {
                    continue;
                };
                let id = r.id.as_deref().unwrap_or("?");
                let warn =
                    |msg: String| Warning::new(rec, format!("VOC: region {id}: {msg}; skipped"));
                let label_key = [label_key, "labels"]
                    .into_iter()
                    .find(|k| v.get(k).is_some())
                    .unwrap_or(label_key);
                let labels: Vec<&RawValue> =
                    match v.get(label_key).map(|l| serde_json::from_str(l.get())) {
                        Some(Ok(l)) => l,
                        Some(Err(_)) => {
                            warnings.push(warn(format!("{label_key:?} is not a list")));
                            continue;
                        }
                        None => Vec::new(),
                    };
                if labels.is_empty() {
                    warnings.push(warn("no label".into()));
                    continue;
                }
                let bbox = match extent(&shape, v, w, h) {
                    Ok((x0, y0, x1, y1)) => match pixel_box(x0, y0, x1, y1, w, h) {
                        Some(b) => b,
                        None if x0.is_nan() => {
                            warnings.push(warn("a coordinate is not finite".into()));
                            continue;
                        }
                        None => {
                            warnings.push(warn("empty once clipped to the image".into()));
                            continue;
                        }
                    },
                    Err(why) => {
                        warnings.push(warn(why));
                        continue;
                    }
                };
                let mut seen: Vec<Cow<'_, str>> = Vec::new();
                for l in labels {
                    let Some(name) = model::as_str(l) else {
                        warnings.push(warn(format!("label {} is not a string", l.get())));
                        continue;
                    };
                    if let Some(c) = &self.categories
                        && c.id_of(&name).is_none()
                    {
                        warnings.push(Warning::new(
                            rec,
                            format!("VOC: region {id}: label {name:?} is not in the label config; skipped"),
                        ));
                        continue;
                    }
                    if seen.contains(&name) {
                        continue;
                    }
                    seen.push(name.clone());
                    objects.push(Object { name, bbox });
                }
            }
        }

        let start = docs.bytes.len();
        docs.bytes.extend_from_slice(b"</filename>\n");
        // Inside <annotation>, after <folder> and <filename> (see HEAD).
        let mut x = Xml::at_depth(&mut docs.bytes, false, 1);
        x.open("source");
        x.leaf("database", "Label Studio");
        x.leaf("image", &image);
        x.close("source");
        x.open("size");
        x.leaf("width", &(w as u64).to_string());
        x.leaf("height", &(h as u64).to_string());
        x.leaf("depth", &depth.to_string());
        x.close("size");
        x.leaf("segmented", "0");
        for o in &objects {
            x.open("object");
            x.leaf("name", &o.name);
            x.leaf("pose", "Unspecified");
            x.leaf("truncated", if o.bbox.truncated { "1" } else { "0" });
            x.leaf("difficult", "0");
            x.open("bndbox");
            x.leaf("xmin", &o.bbox.xmin.to_string());
            x.leaf("ymin", &o.bbox.ymin.to_string());
            x.leaf("xmax", &o.bbox.xmax.to_string());
            x.leaf("ymax", &o.bbox.ymax.to_string());
            x.close("bndbox");
            x.close("object");
        }
        x.close("annotation");
        docs.docs.push(Doc {
            name: image.into_owned(),
            range: start..docs.bytes.len(),
            task: Some((rec.index, task_id)),
        });
        Ok(())
    }
}

/// The full clean document for the unique image `name` and the encoded tail.
pub(crate) fn assemble(name: &str, tail: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(DECLARATION.len() + HEAD.len() + name.len() + tail.len());
    out.extend_from_slice(DECLARATION);
    out.extend_from_slice(HEAD.as_bytes());
    crate::xml::escape_clean(&mut out, name);
    out.extend_from_slice(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use exportkit_core::geometry::rotated_hull;
    use proptest::prelude::*;

    fn pb(x0: u64, y0: u64, x1: u64, y1: u64, truncated: bool) -> Option<PixelBox> {
        Some(PixelBox {
            xmin: x0,
            ymin: y0,
            xmax: x1,
            ymax: y1,
            truncated,
        })
    }

    #[test]
    fn pixel_boxes_round_edges_and_clip() {
        assert_eq!(
            pixel_box(10.4, 20.5, 30.6, 40.49, 100.0, 100.0),
            pb(10, 21, 31, 40, false)
        );
        // Reversed corners are normalised.
        assert_eq!(
            pixel_box(30.6, 40.49, 10.4, 20.5, 100.0, 100.0),
            pb(10, 21, 31, 40, false)
        );
        // Past the border: clipped and marked truncated.
        assert_eq!(
            pixel_box(-5.0, 90.0, 50.0, 120.0, 100.0, 100.0),
            pb(0, 90, 50, 100, true)
        );
        // Exactly on the border is not truncated (floating noise tolerated).
        assert_eq!(
            pixel_box(0.0, 0.0, 100.0 + 1e-9, 100.0, 100.0, 100.0),
            pb(0, 0, 100, 100, false)
        );
        // Outside, or thinner than half a pixel: nothing.
        assert_eq!(pixel_box(120.0, 10.0, 130.0, 20.0, 100.0, 100.0), None);
        assert_eq!(pixel_box(10.1, 10.0, 10.3, 20.0, 100.0, 100.0), None);
        assert_eq!(pixel_box(f64::NAN, 10.0, 10.3, 20.0, 100.0, 100.0), None);
    }

    #[test]
    fn rotated_rectangle_hull_golden() {
        // ls-converter.md §6.5: 1000×500, x=20% y=30% w=30% h=10%, rotation 30°: the hull in
        // percent is (17.5, 30.0, 28.48, 38.66), i.e. pixels x 175..459.8, y 150..343.3.
        let c = rotated_corners(200.0, 150.0, 300.0, 50.0, 30.0);
        let (x0, y0, x1, y1) = bounds(c);
        assert_eq!(
            pixel_box(x0, y0, x1, y1, 1000.0, 500.0),
            pb(175, 150, 460, 343, false)
        );
    }

    #[test]
    fn image_key_prefers_the_labelled_image() {
        let cfg = exportkit_core::LabelConfig::parse(
            r#"<View><Text name="t" value="$text"/><Image name="i" value="$photo"/>
               <Choices name="c" toName="t"><Choice value="a"/></Choices>
               <RectangleLabels name="r" toName="i"><Label value="x"/></RectangleLabels></View>"#,
        )
        .unwrap();
        assert_eq!(image_key(Some(&cfg)), "photo");
        assert_eq!(image_key(None), "image");
    }

    proptest! {
        #[test]
        fn boxes_lie_inside_the_image_and_cover_the_clipped_corners(
            x in -50.0..150.0f64, y in -50.0..150.0f64, w in 0.0..120.0f64, h in 0.0..120.0f64,
            rot in -720.0..720.0f64, iw in 1u32..5000, ih in 1u32..5000,
        ) {
            let (iw, ih) = (f64::from(iw), f64::from(ih));
            let corners = rotated_corners(x / 100.0 * iw, y / 100.0 * ih, w / 100.0 * iw, h / 100.0 * ih, rot);
            let (x0, y0, x1, y1) = bounds(corners);
            // The hull contains every corner, and agrees with geometry::rotated_hull.
            let (hx, hy, hw, hh) = rotated_hull(x / 100.0 * iw, y / 100.0 * ih, w / 100.0 * iw, h / 100.0 * ih, rot);
            let tol = 1e-6 * (1.0 + iw + ih);
            prop_assert!((hx - x0).abs() < tol && (hy - y0).abs() < tol);
            prop_assert!((hx + hw - x1).abs() < tol && (hy + hh - y1).abs() < tol);
            if let Some(b) = pixel_box(x0, y0, x1, y1, iw, ih) {
                prop_assert!(b.xmin < b.xmax && b.ymin < b.ymax);
                prop_assert!(b.xmax as f64 <= iw && b.ymax as f64 <= ih);
                for (cx, cy) in corners {
                    let (cx, cy) = (cx.clamp(0.0, iw), cy.clamp(0.0, ih));
                    prop_assert!(cx >= b.xmin as f64 - 0.5 && cx <= b.xmax as f64 + 0.5);
                    prop_assert!(cy >= b.ymin as f64 - 0.5 && cy <= b.ymax as f64 + 0.5);
                }
                let inside = x0 >= -1e-6 && y0 >= -1e-6 && x1 <= iw + 1e-6 && y1 <= ih + 1e-6;
                prop_assert_eq!(b.truncated, !inside);
            }
        }
    }
}
