//! Outer contours of a binary mask, point for point as OpenCV's `findContours(mask,
//! RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)` returns them (Suzuki–Abe border following with
//! OpenCV's marking rules), with OpenCV's `contourArea` and `boundingRect`.

/// Freeman directions: right, up-right, up, up-left, left, down-left, down, down-right.
const DIRS: [(i32, i32); 8] = [
    (1, 0),
    (1, -1),
    (0, -1),
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// A traced border pixel whose right neighbour was examined and empty (OpenCV `nbd | -128`).
const RIGHT: i8 = -126;
/// A traced border pixel (OpenCV `nbd`).
const MARK: i8 = 2;

/// The outer contours of `mask` (`width` × `height`, non-zero = inside), each a list of
/// `(x, y)` corner points, in OpenCV's order.
pub fn external_contours(mask: &[u8], width: usize, height: usize) -> Vec<Vec<(i32, i32)>> {
    external_contours_in(mask, width, height, &mut Vec::new())
}

/// [`external_contours`] with `img` as the tracer's working image (reused from mask to mask).
pub fn external_contours_in(
    mask: &[u8],
    width: usize,
    height: usize,
    img: &mut Vec<i8>,
) -> Vec<Vec<(i32, i32)>> {
    let stride = width + 2;
    img.clear();
    img.resize(stride * (height + 2), 0);
    let img = &mut img[..];
    for (y, row) in mask.chunks(width.max(1)).take(height).enumerate() {
        let base = (y + 1) * stride + 1;
        for (d, &v) in img[base..base + row.len()].iter_mut().zip(row) {
            *d = i8::from(v != 0);
        }
    }
    let deltas: [isize; 16] = std::array::from_fn(|i| {
        let (dx, dy) = DIRS[i & 7];
        dx as isize + dy as isize * stride as isize
    });
    let mut found = Vec::new();
    for y in 1..=height {
        let row = y * stride;
        let mut lnbd = y * stride; // column 0 of this row: the zero frame
        let mut prev = 0i8;
        let mut x = 1;
        while x <= width {
            let p = img[row + x];
            if p == prev {
                // Nothing happens until the value changes.
                x = skip_equal(&img[row..=row + width], x + 1, prev);
                continue;
            }
            if prev == 0 && p == 1 && img[lnbd] <= 0 {
                let pt = (x as i32 - 1, y as i32 - 1);
                found.push(fetch(img, row + x, pt, &deltas));
                prev = img[row + x];
                x += 1;
                continue;
            }
            prev = p;
            if p & -2 != 0 {
                lnbd = row + x;
            }
            x += 1;
        }
    }
    found.reverse();
    found
}

/// The first index from `x` where `row` is not `v` (`row.len()` if none).
fn skip_equal(row: &[i8], mut x: usize, v: i8) -> usize {
    const LANES: usize = 32;
    while let Some(chunk) = row.get(x..x + LANES) {
        if chunk.iter().fold(0, |acc, &q| acc | (q ^ v)) != 0 {
            break;
        }
        x += LANES;
    }
    while row.get(x).is_some_and(|&q| q == v) {
        x += 1;
    }
    x
}

fn at(i: usize, d: isize) -> usize {
    i.wrapping_add_signed(d)
}

/// Follows the outer border starting at `i0` (OpenCV `icvFetchContour`, `CHAIN_APPROX_SIMPLE`).
fn fetch(img: &mut [i8], i0: usize, mut pt: (i32, i32), deltas: &[isize; 16]) -> Vec<(i32, i32)> {
    let mut points = Vec::new();
    let mut s: usize = 4;
    let s_end = 4;
    let mut i1;
    loop {
        s = (s + 7) & 7;
        i1 = at(i0, deltas[s]);
        if img[i1] != 0 || s == s_end {
            break;
        }
    }
    if s == s_end && img[i1] == 0 {
        img[i0] = RIGHT;
        points.push(pt);
        return points;
    }
    let mut i3 = i0;
    let mut prev_s = s ^ 4;
    loop {
        let s_end = s;
        let mut i4 = i3;
        while s < 15 {
            s += 1;
            i4 = at(i3, deltas[s]);
            if img[i4] != 0 {
                break;
            }
        }
        s &= 7;
        if s.wrapping_sub(1) < s_end {
            img[i3] = RIGHT;
        } else if img[i3] == 1 {
            img[i3] = MARK;
        }
        if s != prev_s {
            points.push(pt);
            prev_s = s;
        }
        pt.0 += DIRS[s].0;
        pt.1 += DIRS[s].1;
        if i4 == i0 && i3 == i1 {
            break;
        }
        i3 = i4;
        s = (s + 4) & 7;
    }
    points
}

/// OpenCV's `contourArea` (not oriented) of integer points.
pub fn area(points: &[(i32, i32)]) -> f64 {
    let Some(&last) = points.last() else {
        return 0.0;
    };
    let mut a = 0.0f64;
    let mut prev = last;
    for &p in points {
        a += f64::from(prev.0) * f64::from(p.1) - f64::from(prev.1) * f64::from(p.0);
        prev = p;
    }
    (a * 0.5).abs()
}

/// OpenCV's `boundingRect` of integer points: `[x, y, w, h]`, inclusive of both ends.
pub fn bounding_rect(points: &[(i32, i32)]) -> [i32; 4] {
    let Some(&(x0, y0)) = points.first() else {
        return [0; 4];
    };
    let (mut xmin, mut ymin, mut xmax, mut ymax) = (x0, y0, x0, y0);
    for &(x, y) in points {
        xmin = xmin.min(x);
        xmax = xmax.max(x);
        ymin = ymin.min(y);
        ymax = ymax.max(y);
    }
    [xmin, ymin, xmax - xmin + 1, ymax - ymin + 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The scan before runs of equal values were skipped, as the oracle.
    fn reference(mask: &[u8], width: usize, height: usize) -> Vec<Vec<(i32, i32)>> {
        let stride = width + 2;
        let mut img = vec![0i8; stride * (height + 2)];
        for (y, row) in mask.chunks(width.max(1)).take(height).enumerate() {
            let base = (y + 1) * stride + 1;
            for (x, &v) in row.iter().enumerate() {
                img[base + x] = i8::from(v != 0);
            }
        }
        let deltas: [isize; 16] = std::array::from_fn(|i| {
            let (dx, dy) = DIRS[i & 7];
            dx as isize + dy as isize * stride as isize
        });
        let mut found = Vec::new();
        for y in 1..=height {
            let row = y * stride;
            let mut lnbd = y * stride;
            let mut prev = 0i8;
            let mut x = 1;
            while x <= width {
                let p = img[row + x];
                if p != prev {
                    if prev == 0 && p == 1 && img[lnbd] <= 0 {
                        let pt = (x as i32 - 1, y as i32 - 1);
                        found.push(fetch(&mut img, row + x, pt, &deltas));
                        prev = img[row + x];
                        x += 1;
                        continue;
                    }
                    prev = p;
                    if p & -2 != 0 {
                        lnbd = row + x;
                    }
                }
                x += 1;
            }
        }
        found.reverse();
        found
    }

    proptest! {
        /// Masks of rectangles (with holes where they overlap an odd number of times) and
        /// noise, up to 150 pixels wide so that long runs are skipped in chunks.
        #[test]
        fn same_contours_as_the_plain_scan(
            w in 1usize..150,
            h in 1usize..40,
            rects in prop::collection::vec((0usize..150, 0usize..40, 1usize..120, 1usize..30), 0..8),
            noise in prop::collection::vec(any::<u16>(), 0..30),
        ) {
            let mut m = vec![0u8; w * h];
            for &(x0, y0, rw, rh) in &rects {
                for y in y0.min(h)..(y0 + rh).min(h) {
                    for x in x0.min(w)..(x0 + rw).min(w) {
                        m[y * w + x] ^= 255;
                    }
                }
            }
            for &n in &noise {
                let i = usize::from(n) % m.len();
                m[i] ^= 7;
            }
            let mut img = vec![5; 3];
            prop_assert_eq!(external_contours_in(&m, w, h, &mut img), reference(&m, w, h));
            prop_assert_eq!(external_contours(&m, w, h), reference(&m, w, h));
        }
    }

    #[test]
    fn a_square_is_four_corners() {
        let mut m = vec![0u8; 5 * 5];
        for y in 1..4 {
            for x in 1..4 {
                m[y * 5 + x] = 255;
            }
        }
        let c = external_contours(&m, 5, 5);
        assert_eq!(c, vec![vec![(1, 1), (1, 3), (3, 3), (3, 1)]]);
        assert_eq!(area(&c[0]), 4.0);
        assert_eq!(bounding_rect(&c[0]), [1, 1, 3, 3]);
    }

    #[test]
    fn single_pixels_and_edges() {
        let m = [255u8, 0, 0, 0, 0, 0, 0, 0, 255];
        assert_eq!(
            external_contours(&m, 3, 3),
            vec![vec![(2, 2)], vec![(0, 0)]]
        );
        assert!(external_contours(&[], 0, 0).is_empty());
    }
}
