//! A region's box in source-image pixels, `[x1, y1, x2, y2]` as Antenna stores detections.

use exportkit_core::geometry::{clip_box, rotated_hull};
use exportkit_core::model::{self, Region};

fn px(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The pixel box of a rectangle (the hull of a rotated one), polygon, ellipse or keypoint,
/// clipped to the image and rounded to 0.01 px; `None` without `original_width` /
/// `original_height` or for regions without geometry (choices, brushes, ...).
pub fn pixel_bbox(region: &Region<'_>) -> Option<[f64; 4]> {
    let w = region.original_width.and_then(model::as_f64)?;
    let h = region.original_height.and_then(model::as_f64)?;
    if !(w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite()) {
        return None;
    }
    let value = region.value.as_ref()?;
    let num = |k: &str| {
        value
            .get(k)
            .and_then(model::as_f64)
            .filter(|v| v.is_finite())
    };
    let (sx, sy) = (w / 100.0, h / 100.0);
    let kind = region.kind.as_deref().unwrap_or("").to_ascii_lowercase();
    let b = match kind.as_str() {
        "rectangle" | "rectanglelabels" => rotated_hull(
            num("x")? * sx,
            num("y")? * sy,
            num("width")? * sx,
            num("height")? * sy,
            num("rotation").unwrap_or(0.0),
        ),
        "ellipse" | "ellipselabels" => {
            let (rx, ry) = (num("radiusX")? * sx, num("radiusY")? * sy);
            (num("x")? * sx - rx, num("y")? * sy - ry, 2.0 * rx, 2.0 * ry)
        }
        "keypoint" | "keypointlabels" => (num("x")? * sx, num("y")? * sy, 0.0, 0.0),
        "polygon" | "polygonlabels" => {
            let points: Vec<[f64; 2]> = serde_json::from_str(value.get("points")?.get()).ok()?;
            let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for [x, y] in points {
                b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
            }
            if b.0 > b.2 {
                return None;
            }
            (b.0 * sx, b.1 * sy, (b.2 - b.0) * sx, (b.3 - b.1) * sy)
        }
        _ => return None,
    };
    let (x, y, bw, bh) = clip_box(b, w, h);
    Some([px(x), px(y), px(x + bw), px(y + bh)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(json: &str) -> Region<'_> {
        serde_json::from_str(json).expect("region")
    }

    #[test]
    fn boxes_in_pixels() {
        let r = region(
            r#"{"type": "rectanglelabels", "original_width": 800, "original_height": 600,
            "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0}}"#,
        );
        assert_eq!(pixel_bbox(&r), Some([80.0, 120.0, 320.0, 360.0]));
        let r = region(
            r#"{"type": "polygonlabels", "original_width": 1000, "original_height": 500,
            "value": {"points": [[10, 10], [50, 20], [30, 120]]}}"#,
        );
        assert_eq!(pixel_bbox(&r), Some([100.0, 50.0, 500.0, 500.0]));
        let r = region(
            r#"{"type": "keypointlabels", "original_width": 1000, "original_height": 500,
            "value": {"x": 33.333333, "y": 50}}"#,
        );
        assert_eq!(pixel_bbox(&r), Some([333.33, 250.0, 333.33, 250.0]));
        let r = region(r#"{"type": "choices", "value": {"choices": ["a"]}}"#);
        assert_eq!(pixel_bbox(&r), None);
        let r = region(
            r#"{"type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 1, "height": 1}}"#,
        );
        assert_eq!(pixel_bbox(&r), None, "no image size");
    }
}
