//! Region geometry of the clean COCO: which shape a region is, and its box or polygon in the
//! image's pixels (rotated in the region's own frame, scaled to the image, clipped to it).

use super::Setup;
use crate::clip::{clip_polygon, shoelace};
use crate::values::{Label, finite, list};
use exportkit_core::geometry::{clip_box, rotated_hull};
use exportkit_core::model::Region;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Rect,
    Polygon,
    Keypoint,
    Unsupported,
}

/// The shape a region is, from its control, its type and its value (`None`: not a shape).
pub(super) fn kind(setup: &Setup, from_name: &str, control: &str, r: &Region<'_>) -> Option<Kind> {
    let by_type = |t: &str| match t.to_ascii_lowercase().as_str() {
        "rectanglelabels" | "rectangle" => Some(Kind::Rect),
        "polygonlabels" | "polygon" => Some(Kind::Polygon),
        "keypointlabels" | "keypoint" => Some(Kind::Keypoint),
        "ellipselabels" | "ellipse" | "brushlabels" | "brush" | "bitmasklabels" | "bitmask" => {
            Some(Kind::Unsupported)
        }
        _ => None,
    };
    if control == "Labels" {
        if !setup.image_labels.contains(from_name) {
            return None;
        }
        if let Some(k) = r.kind.as_deref().and_then(by_type) {
            return Some(k);
        }
        let l = Label::new(r);
        return if l.has("points") {
            Some(Kind::Polygon)
        } else if l.has("radiusX") || l.has("rle") {
            Some(Kind::Unsupported)
        } else if l.has("x") && l.has("height") {
            Some(Kind::Rect)
        } else if l.has("x") {
            Some(Kind::Keypoint)
        } else {
            None
        };
    }
    by_type(control)
}

/// A positive, finite size.
pub(super) fn size_of(l: &Label<'_, '_>) -> Option<(f64, f64)> {
    let w = finite(l.original_width()).filter(|v| *v > 0.0)?;
    let h = finite(l.original_height()).filter(|v| *v > 0.0)?;
    Some((w, h))
}

/// A region's geometry in image pixels.
pub(super) struct Frame {
    /// The region's own size (percent → pixels).
    pub(super) ow: f64,
    pub(super) oh: f64,
    /// The image's size.
    pub(super) w: f64,
    pub(super) h: f64,
}

impl Frame {
    /// A percent x in image pixels (the same point whatever size the region was drawn at).
    pub(super) fn x(&self, pct: f64) -> f64 {
        pct * self.w / 100.0
    }

    /// A percent y in image pixels.
    pub(super) fn y(&self, pct: f64) -> f64 {
        pct * self.h / 100.0
    }
}

/// A box or polygon in image pixels.
pub(super) struct Shape {
    pub(super) bbox: [f64; 4],
    pub(super) area: f64,
    pub(super) segmentation: Option<Vec<(f64, f64)>>,
}

pub(super) fn rect(l: &Label<'_, '_>, f: &Frame) -> Result<Shape, &'static str> {
    let get = |k| finite(l.get(k));
    let (Some(x), Some(y), Some(w), Some(h)) = (get("x"), get("y"), get("width"), get("height"))
    else {
        return Err("rectangle with a missing or non-numeric x, y, width or height skipped");
    };
    if w <= 0.0 || h <= 0.0 {
        return Err("rectangle with a zero or negative width or height skipped");
    }
    let rot = match l.get("rotation") {
        None => 0.0,
        Some(r) if r.get() == "null" => 0.0,
        Some(r) => finite(Some(r)).ok_or("rectangle with a non-numeric rotation skipped")?,
    };
    let (bx, by, bw, bh) = if rot == 0.0 {
        (f.x(x), f.y(y), f.x(w), f.y(h))
    } else {
        // Rotate in the region's own pixel frame (the aspect ratio the annotator saw),
        // then scale to the image's size.
        let (ow, oh) = (f.ow, f.oh);
        let (bx, by, bw, bh) = rotated_hull(
            x * ow / 100.0,
            y * oh / 100.0,
            w * ow / 100.0,
            h * oh / 100.0,
            rot,
        );
        let (sx, sy) = (f.w / ow, f.h / oh);
        if ow == f.w && oh == f.h {
            (bx, by, bw, bh)
        } else {
            (bx * sx, by * sy, bw * sx, bh * sy)
        }
    };
    let inside = bx >= 0.0 && by >= 0.0 && bx + bw <= f.w && by + bh <= f.h;
    // Clipping recomputes the size from the corners; a box inside keeps its exact numbers.
    let (cx, cy, cw, ch) = if inside {
        (bx, by, bw, bh)
    } else {
        clip_box((bx, by, bw, bh), f.w, f.h)
    };
    if cw.is_nan() || ch.is_nan() || cw <= 0.0 || ch <= 0.0 {
        return Err("rectangle outside the image (or empty) skipped");
    }
    Ok(Shape {
        bbox: [cx, cy, cw, ch],
        area: cw * ch,
        segmentation: None,
    })
}

pub(super) fn polygon(l: &Label<'_, '_>, f: &Frame) -> Result<Shape, &'static str> {
    let bad = "polygon whose points are not [x, y] numbers skipped";
    let points = l.get("points").and_then(list).ok_or(bad)?;
    let mut pts = Vec::with_capacity(points.len());
    for p in points {
        let xy = list(p).ok_or(bad)?;
        let (Some(x), Some(y)) = (finite(xy.first().copied()), finite(xy.get(1).copied())) else {
            return Err(bad);
        };
        pts.push((f.x(x), f.y(y)));
    }
    if pts.len() < 3 {
        return Err("polygon with fewer than 3 points skipped");
    }
    let pts = clip_polygon(&pts, f.w, f.h);
    let area = shoelace(&pts);
    if pts.len() < 3 || area.is_nan() || area <= 0.0 {
        return Err("polygon outside the image (or without area) skipped");
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in &pts {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    Ok(Shape {
        bbox: [x0, y0, x1 - x0, y1 - y0],
        area,
        segmentation: Some(pts),
    })
}
