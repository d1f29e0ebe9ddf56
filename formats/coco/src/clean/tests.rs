//! Unit and property tests of the clean geometry.

use super::shapes::{Frame, polygon, rect};
use crate::clip::{clip_polygon, shoelace};
use crate::values::Label;
use exportkit_core::geometry::{rotated_corners, rotated_hull};
use exportkit_core::model::Region;
use proptest::prelude::*;

fn region(value: &str) -> Region<'_> {
    serde_json::from_str(value).expect("region JSON")
}

#[test]
fn rotated_box_on_a_non_square_image() {
    // ls-converter.md §6.5: 1000×500, x=20 y=30 w=30 h=10, rotation 30: the correct hull
    // in percent is (17.5, 30.0, 28.48, 38.66).
    let json = r#"{"value": {"x": 20, "y": 30, "width": 30, "height": 10, "rotation": 30}}"#;
    let r = region(json);
    let f = Frame {
        ow: 1000.0,
        oh: 500.0,
        w: 1000.0,
        h: 500.0,
    };
    let s = rect(&Label::new(&r), &f).expect("box");
    let pct = [
        s.bbox[0] / 10.0,
        s.bbox[1] / 5.0,
        s.bbox[2] / 10.0,
        s.bbox[3] / 5.0,
    ];
    let want = [17.5, 30.0, 28.480762113533157, 38.66025403784439];
    for (a, b) in pct.iter().zip(want) {
        assert!((a - b).abs() < 1e-9, "{pct:?}");
    }
    // Drawn at half size: the same box in the image's pixels.
    let half = Frame {
        ow: 500.0,
        oh: 250.0,
        w: 1000.0,
        h: 500.0,
    };
    let t = rect(&Label::new(&r), &half).expect("box");
    for (a, b) in s.bbox.iter().zip(t.bbox) {
        assert!((a - b).abs() < 1e-9, "{:?} {:?}", s.bbox, t.bbox);
    }
}

#[test]
fn malformed_rectangles_are_errors_not_panics() {
    let f = Frame {
        ow: 100.0,
        oh: 100.0,
        w: 100.0,
        h: 100.0,
    };
    for v in [
        r#"{"value": {"y": 1, "width": 2, "height": 3}}"#,
        r#"{"value": {"x": "1", "y": 1, "width": 2, "height": 3}}"#,
        r#"{"value": {"x": 1, "y": 1, "width": 2, "height": 3, "rotation": "a"}}"#,
        r#"{"value": {"x": 1e999, "y": 1, "width": 2, "height": 3}}"#,
        r#"{"value": {"x": 200, "y": 1, "width": 2, "height": 3}}"#,
        r#"{"value": {"x": 1, "y": 1, "width": 0, "height": 3}}"#,
        r#"{}"#,
    ] {
        let r = region(v);
        assert!(rect(&Label::new(&r), &f).is_err(), "{v}");
    }
    for v in [
        r#"{"value": {"points": [[1, 2], [3, 4]]}}"#,
        r#"{"value": {"points": [[1, 2], [3, "4"], [5, 6]]}}"#,
        r#"{"value": {"points": [[1], [3, 4], [5, 6]]}}"#,
        r#"{"value": {"points": "1,2 3,4 5,6"}}"#,
        r#"{"value": {"points": []}}"#,
        r#"{"value": {"points": [[1, 1], [2, 2], [3, 3]]}}"#,
        r#"{"value": {"points": [[-10, -10], [-5, -10], [-5, -5]]}}"#,
    ] {
        let r = region(v);
        assert!(polygon(&Label::new(&r), &f).is_err(), "{v}");
    }
}

proptest! {
    #[test]
    fn boxes_are_inside_the_image(
        x in -50.0f64..150.0, y in -50.0f64..150.0, w in 0.0f64..120.0, h in 0.0f64..120.0,
        rot in -360.0f64..360.0, ow in 1.0f64..5000.0, oh in 1.0f64..5000.0,
        same in any::<bool>(), iw in 1.0f64..5000.0, ih in 1.0f64..5000.0,
    ) {
        let (iw, ih) = if same { (ow, oh) } else { (iw, ih) };
        let json = format!(
            r#"{{"value": {{"x": {x}, "y": {y}, "width": {w}, "height": {h}, "rotation": {rot}}}}}"#
        );
        let r = region(&json);
        let f = Frame { ow, oh, w: iw, h: ih };
        if let Ok(s) = rect(&Label::new(&r), &f) {
            let [bx, by, bw, bh] = s.bbox;
            let eps = 1e-9 * iw.max(ih);
            prop_assert!(bx >= 0.0 && by >= 0.0 && bw > 0.0 && bh > 0.0, "{:?}", s.bbox);
            prop_assert!(bx + bw <= iw + eps && by + bh <= ih + eps, "{:?} {iw}x{ih}", s.bbox);
            prop_assert!((s.area - bw * bh).abs() <= 1e-9 * s.area.max(1.0));
        }
    }

    #[test]
    fn hull_contains_every_corner(
        x in -1e4f64..1e4, y in -1e4f64..1e4, w in 0.0f64..1e4, h in 0.0f64..1e4,
        rot in -720.0f64..720.0,
    ) {
        let (hx, hy, hw, hh) = rotated_hull(x, y, w, h, rot);
        let eps = 1e-9 * (x.abs() + y.abs() + w + h + 1.0);
        for (cx, cy) in rotated_corners(x, y, w, h, rot) {
            prop_assert!(cx >= hx - eps && cx <= hx + hw + eps, "{cx} vs {hx}+{hw}");
            prop_assert!(cy >= hy - eps && cy <= hy + hh + eps, "{cy} vs {hy}+{hh}");
        }
    }

    #[test]
    fn clipped_triangles_are_inside_and_not_larger(
        pts in proptest::collection::vec((-500.0f64..1500.0, -500.0f64..1500.0), 3),
        iw in 1.0f64..1000.0, ih in 1.0f64..1000.0,
    ) {
        let c = clip_polygon(&pts, iw, ih);
        for &(x, y) in &c {
            prop_assert!((0.0..=iw).contains(&x) && (0.0..=ih).contains(&y));
        }
        prop_assert!(shoelace(&c) <= shoelace(&pts) * (1.0 + 1e-9) + 1e-9);
    }
}
