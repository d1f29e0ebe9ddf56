//! Region geometry shared by detection formats. Label Studio stores rectangles as percent of
//! the image (`x`, `y`, `width`, `height`) with `rotation` in degrees, clockwise, about the
//! top-left corner.

/// The four corners (top-left, top-right, bottom-right, bottom-left) of a rectangle given in
/// pixels, rotated by `rotation` degrees about its top-left corner.
pub fn rotated_corners(x: f64, y: f64, w: f64, h: f64, rotation: f64) -> [(f64, f64); 4] {
    let (sin, cos) = rotation.to_radians().sin_cos();
    [
        (x, y),
        (x + w * cos, y + w * sin),
        (x + w * cos - h * sin, y + w * sin + h * cos),
        (x - h * sin, y + h * cos),
    ]
}

/// The axis-aligned bounding box `(x, y, w, h)` of a rotated rectangle, all in pixels. This is
/// computed in pixel space, so it is right for non-square images (Label Studio's COCO export
/// rotates in percent space).
pub fn rotated_hull(x: f64, y: f64, w: f64, h: f64, rotation: f64) -> (f64, f64, f64, f64) {
    if rotation == 0.0 {
        return (x, y, w, h);
    }
    let c = rotated_corners(x, y, w, h, rotation);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (px, py) in c {
        x0 = x0.min(px);
        y0 = y0.min(py);
        x1 = x1.max(px);
        y1 = y1.max(py);
    }
    (x0, y0, x1 - x0, y1 - y0)
}

/// Clips a box `(x, y, w, h)` to the image `[0, width] × [0, height]`.
pub fn clip_box(b: (f64, f64, f64, f64), width: f64, height: f64) -> (f64, f64, f64, f64) {
    let x0 = b.0.clamp(0.0, width);
    let y0 = b.1.clamp(0.0, height);
    let x1 = (b.0 + b.2).clamp(0.0, width);
    let y1 = (b.1 + b.3).clamp(0.0, height);
    (x0, y0, x1 - x0, y1 - y0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9
            && (a.1 - b.1).abs() < 1e-9
            && (a.2 - b.2).abs() < 1e-9
            && (a.3 - b.3).abs() < 1e-9
    }

    #[test]
    fn hull_of_rotated_box_in_pixel_space() {
        // ls-converter.md §6.5: 1000×500 image, x=20% y=30% w=30% h=10%, rotation 30°:
        // the correct hull in percent is (17.5, 30.0, 28.48, 38.66).
        let (px, py, pw, ph) = (200.0, 150.0, 300.0, 50.0);
        let (x, y, w, h) = rotated_hull(px, py, pw, ph, 30.0);
        let pct = (x / 10.0, y / 5.0, w / 10.0, h / 5.0);
        assert!(
            (pct.0 - 17.5).abs() < 1e-9 && (pct.1 - 30.0).abs() < 1e-9,
            "{pct:?}"
        );
        assert!(
            (pct.2 - 28.480762113533157).abs() < 1e-9 && (pct.3 - 38.66025403784439).abs() < 1e-9,
            "{pct:?}"
        );
    }

    #[test]
    fn no_rotation_is_identity_and_right_angle_swaps() {
        assert!(close(
            rotated_hull(1.0, 2.0, 3.0, 4.0, 0.0),
            (1.0, 2.0, 3.0, 4.0)
        ));
        assert!(close(
            rotated_hull(10.0, 10.0, 4.0, 2.0, 90.0),
            (8.0, 10.0, 2.0, 4.0)
        ));
    }

    #[test]
    fn clipping() {
        assert!(close(
            clip_box((-5.0, 2.0, 10.0, 100.0), 50.0, 50.0),
            (0.0, 2.0, 5.0, 48.0)
        ));
    }
}
