//! Normalised-space geometry for the clean layout: polygon clipping to the unit square
//! (Sutherland–Hodgman) and areas.

/// A point in normalised image coordinates.
pub(crate) type Pt = (f64, f64);

/// Clamps to `[0, 1]`.
pub(crate) fn unit(v: f64) -> f64 {
    v.clamp(0.0, 1.0)
}

/// The part of `poly` inside `[0,1]²` (Sutherland–Hodgman against the four sides), with
/// repeated consecutive points removed. A concave polygon may come back with zero-width
/// bridges along the border, which is harmless for segmentation masks.
pub(crate) fn clip_to_unit(poly: &[Pt]) -> Vec<Pt> {
    let mut pts = poly.to_vec();
    // (axis, keep >= bound?, bound)
    for (axis, low, bound) in [
        (0, true, 0.0),
        (0, false, 1.0),
        (1, true, 0.0),
        (1, false, 1.0),
    ] {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &Pt| {
            let v = if axis == 0 { p.0 } else { p.1 };
            if low { v >= bound } else { v <= bound }
        };
        let cross = |a: &Pt, b: &Pt| {
            let (av, bv) = if axis == 0 { (a.0, b.0) } else { (a.1, b.1) };
            let t = (bound - av) / (bv - av);
            if axis == 0 {
                (bound, a.1 + t * (b.1 - a.1))
            } else {
                (a.0 + t * (b.0 - a.0), bound)
            }
        };
        let mut next = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = pts[i];
            let prev = pts[(i + pts.len() - 1) % pts.len()];
            match (inside(&prev), inside(&cur)) {
                (true, true) => next.push(cur),
                (true, false) => next.push(cross(&prev, &cur)),
                (false, true) => {
                    next.push(cross(&prev, &cur));
                    next.push(cur);
                }
                (false, false) => {}
            }
        }
        pts = next;
    }
    let mut out: Vec<Pt> = Vec::with_capacity(pts.len());
    for (x, y) in pts {
        let p = (unit(x), unit(y));
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// The (unsigned) shoelace area of a polygon.
pub(crate) fn area(poly: &[Pt]) -> f64 {
    let n = poly.len();
    let mut s = 0.0;
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + 1) % n]);
        s += a.0 * b.1 - b.0 * a.1;
    }
    (s / 2.0).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_polygons_are_unchanged() {
        let p = [(0.1, 0.1), (0.5, 0.2), (0.3, 0.9)];
        assert_eq!(clip_to_unit(&p), p);
    }

    #[test]
    fn crossing_polygons_are_cut_at_the_border() {
        // A square half outside on the right.
        let p = [(0.5, 0.25), (1.5, 0.25), (1.5, 0.75), (0.5, 0.75)];
        let c = clip_to_unit(&p);
        assert_eq!(c, [(0.5, 0.25), (1.0, 0.25), (1.0, 0.75), (0.5, 0.75)]);
        assert!((area(&c) - 0.25).abs() < 1e-12);
        // Entirely outside.
        assert!(clip_to_unit(&[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0)]).is_empty());
        // Covering the whole image: the unit square.
        let big = clip_to_unit(&[(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)]);
        assert!((area(&big) - 1.0).abs() < 1e-12, "{big:?}");
    }
}
