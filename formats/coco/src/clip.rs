//! Polygon clipping to the image and the shoelace area (clean mode).

/// Clips a polygon to the rectangle `[0, width] × [0, height]` (Sutherland–Hodgman; the clip
/// window is convex, so any simple polygon works). Points on a clipped edge lie exactly on the
/// border. Consecutive duplicates are removed.
pub(crate) fn clip_polygon(points: &[(f64, f64)], width: f64, height: f64) -> Vec<(f64, f64)> {
    // (axis: 0 = x, 1 = y; keep the side where `sign * (c - bound) >= 0`)
    let edges = [
        (0, 0.0, 1.0),
        (0, width, -1.0),
        (1, 0.0, 1.0),
        (1, height, -1.0),
    ];
    let mut poly: Vec<(f64, f64)> = points.to_vec();
    for (axis, bound, sign) in edges {
        if poly.is_empty() {
            break;
        }
        let coord = |p: (f64, f64)| if axis == 0 { p.0 } else { p.1 };
        let inside = |p: (f64, f64)| sign * (coord(p) - bound) >= 0.0;
        let cross = |a: (f64, f64), b: (f64, f64)| {
            let t = (bound - coord(a)) / (coord(b) - coord(a));
            if axis == 0 {
                (bound, a.1 + t * (b.1 - a.1))
            } else {
                (a.0 + t * (b.0 - a.0), bound)
            }
        };
        let mut next = Vec::with_capacity(poly.len() + 4);
        for i in 0..poly.len() {
            let cur = poly[i];
            let prev = poly[(i + poly.len() - 1) % poly.len()];
            match (inside(prev), inside(cur)) {
                (true, true) => next.push(cur),
                (true, false) => next.push(cross(prev, cur)),
                (false, true) => {
                    next.push(cross(prev, cur));
                    next.push(cur);
                }
                (false, false) => {}
            }
        }
        poly = next;
    }
    for p in &mut poly {
        // Interpolation can land a hair outside on the other axis.
        p.0 = p.0.clamp(0.0, width);
        p.1 = p.1.clamp(0.0, height);
    }
    poly.dedup();
    while poly.len() > 1 && poly.first() == poly.last() {
        poly.pop();
    }
    poly
}

/// The area of a simple polygon (shoelace formula).
pub(crate) fn shoelace(points: &[(f64, f64)]) -> f64 {
    let n = points.len();
    let mut s = 0.0;
    for i in 0..n {
        let (x0, y0) = points[i];
        let (x1, y1) = points[(i + 1) % n];
        s += x0 * y1 - x1 * y0;
    }
    (s / 2.0).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_polygon_is_unchanged() {
        let p = [(1.0, 1.0), (5.0, 1.0), (5.0, 4.0)];
        assert_eq!(clip_polygon(&p, 10.0, 10.0), p);
        assert_eq!(shoelace(&p), 6.0);
    }

    #[test]
    fn square_half_outside_is_cut_at_the_border() {
        let p = [(-5.0, 2.0), (5.0, 2.0), (5.0, 6.0), (-5.0, 6.0)];
        let c = clip_polygon(&p, 10.0, 10.0);
        assert_eq!(shoelace(&c), 20.0);
        assert!(
            c.iter()
                .all(|&(x, y)| (0.0..=10.0).contains(&x) && (0.0..=10.0).contains(&y))
        );
    }

    #[test]
    fn polygon_fully_outside_vanishes() {
        let p = [(-5.0, -5.0), (-1.0, -5.0), (-1.0, -1.0)];
        assert!(clip_polygon(&p, 10.0, 10.0).len() < 3);
    }
}
