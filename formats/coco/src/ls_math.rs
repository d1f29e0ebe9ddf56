//! Label Studio's COCO arithmetic, operation for operation, so that the floats come out
//! bit-identical (ls-converter.md §6.5). Only for `--compat label-studio`.

use std::f64::consts::PI;

/// Python's `v ** 2` for a float: C `pow(|v|, 2.0)` from the platform libm, as CPython's
/// `float_pow` calls it. The exponent goes through `black_box` so that the compiler does not
/// turn the call into `v * v` (glibc's `pow` is not always correctly rounded).
pub(crate) fn py_square(v: f64) -> f64 {
    v.abs().powf(std::hint::black_box(2.0))
}

/// `Converter.rotated_rectangle`: the axis-aligned hull of a rectangle rotated about its
/// top-left corner, computed in percent space (wrong for non-square images, as in Label
/// Studio). `Err` where Python raises (`atan(h / 0)`).
pub(crate) fn rotated_rectangle(
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    r: f64,
) -> Result<(f64, f64, f64, f64), &'static str> {
    if r.abs() <= 0.0 {
        return Ok((x, y, w, h));
    }
    if w == 0.0 {
        return Err("a rotated rectangle of width 0 (Label Studio divides by it)");
    }
    let alpha = (h / w).atan();
    let beta = PI * (r / 180.0);
    let radius = (py_square(w / 2.0) + py_square(h / 2.0)).sqrt();
    let x0 = x - radius * ((PI - alpha - beta).cos() - (PI - alpha).cos()) + w / 2.0;
    let y0 = y + radius * ((PI - alpha - beta).sin() - (PI - alpha).sin()) + h / 2.0;
    let thetas = [
        alpha + beta,
        PI - alpha + beta,
        PI + alpha + beta,
        2.0 * PI - alpha + beta,
    ];
    let xs = thetas.map(|t| x0 + radius * t.cos());
    let ys = thetas.map(|t| y0 + radius * t.sin());
    let lx = py_min(&xs);
    let ly = py_min(&ys);
    Ok((lx, ly, py_max(&xs) - lx, py_max(&ys) - ly))
}

/// Python's `min()` of floats: the first element not greater than every later one.
pub(crate) fn py_min(v: &[f64]) -> f64 {
    let mut m = v.first().copied().unwrap_or(f64::NAN);
    for &x in v.iter().skip(1) {
        if x < m {
            m = x;
        }
    }
    m
}

/// Python's `max()` of floats.
pub(crate) fn py_max(v: &[f64]) -> f64 {
    let mut m = v.first().copied().unwrap_or(f64::NAN);
    for &x in v.iter().skip(1) {
        if x > m {
            m = x;
        }
    }
    m
}

/// OpenBLAS `ddot` (x86-64, SkylakeX kernel, one thread) with unit strides: the first
/// `n & -16` products go through the vector kernel (four 8-lane fused multiply-add
/// accumulators per 32 elements, folded to four 4-lane ones that take 16 elements per step,
/// then summed pairwise), the rest are added one by one with fused multiply-adds.
fn openblas_ddot(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    let n1 = n & !15;
    let mut dot = 0.0f64;
    if n1 > 0 {
        let n32 = n1 & !31;
        let mut acc5 = [[0.0f64; 8]; 4];
        let mut i = 0;
        while i < n32 {
            for (k, acc) in acc5.iter_mut().enumerate() {
                for (l, a) in acc.iter_mut().enumerate() {
                    let j = i + 8 * k + l;
                    *a = x[j].mul_add(y[j], *a);
                }
            }
            i += 32;
        }
        let mut acc = [[0.0f64; 4]; 4];
        for (k, a4) in acc.iter_mut().enumerate() {
            for (l, a) in a4.iter_mut().enumerate() {
                *a = acc5[k][l] + acc5[k][l + 4];
            }
        }
        while i < n1 {
            for (k, a4) in acc.iter_mut().enumerate() {
                for (l, a) in a4.iter_mut().enumerate() {
                    let j = i + 4 * k + l;
                    *a = x[j].mul_add(y[j], *a);
                }
            }
            i += 16;
        }
        let lanes: [f64; 4] =
            std::array::from_fn(|l| ((acc[0][l] + acc[1][l]) + acc[2][l]) + acc[3][l]);
        dot = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
    }
    for i in n1..n {
        dot = y[i].mul_add(x[i], dot);
    }
    dot
}

/// `float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))`.
///
/// numpy hands the dots to OpenBLAS, whose summation order depends on the CPU's kernel; this
/// reproduces the AVX-512 (SkylakeX) kernel bit for bit, and with it every x86-64 kernel for
/// polygons of fewer than 16 points. Elsewhere the last bits may differ (ls-converter.md §6.5).
pub(crate) fn ls_polygon_area(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n == 0 {
        return 0.0;
    }
    let roll = |v: &[f64]| -> Vec<f64> { (0..n).map(|i| v[(i + n - 1) % n]).collect() };
    // numpy: `sum = 0.; sum += cblas_ddot(...)`.
    let d1 = 0.0 + openblas_ddot(&x[..n], &roll(y));
    let d2 = 0.0 + openblas_ddot(&y[..n], &roll(x));
    0.5 * (d1 - d2).abs()
}

/// Python's `int(round(v))`: round half to even; `None` where Python raises (NaN, infinity).
pub(crate) fn py_round_int(v: f64) -> Option<i64> {
    if !v.is_finite() {
        return None;
    }
    Some(v.round_ties_even() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_space_hull_of_the_spec_example() {
        // ls-converter.md §6.5: x=20 y=30 w=30 h=10 rotation 30 gives (15.0, 30.0, 30.98, 23.66).
        let (x, y, w, h) = rotated_rectangle(20.0, 30.0, 30.0, 10.0, 30.0).expect("ok");
        assert!(
            (x - 15.0).abs() < 0.01 && (y - 30.0).abs() < 0.01,
            "{x} {y}"
        );
        assert!(
            (w - 30.98).abs() < 0.01 && (h - 23.66).abs() < 0.01,
            "{w} {h}"
        );
        assert_eq!(
            rotated_rectangle(1.0, 2.0, 3.0, 4.0, 0.0),
            Ok((1.0, 2.0, 3.0, 4.0))
        );
        assert!(rotated_rectangle(1.0, 2.0, 0.0, 4.0, 10.0).is_err());
    }

    #[test]
    fn golden_numbers_from_the_real_converter() {
        // Converter.rotated_rectangle({"x": 13.2443926351576, "y": 20.264664200590136,
        // "width": 63.946639827885825, "height": 11.252366072445657, "rotation": 45}).
        let got = rotated_rectangle(
            13.2443926351576,
            20.264664200590136,
            63.946639827885825,
            11.252366072445657,
            45.0,
        )
        .expect("ok");
        let want = GOLDEN_ROT45;
        assert_eq!(got, want);
        // get_polygon_area of a quadrilateral (exactly as numpy + OpenBLAS computed it).
        let area = ls_polygon_area(&GOLDEN_POLY.0, &GOLDEN_POLY.1);
        assert_eq!(area, GOLDEN_POLY.2);
    }

    #[test]
    fn rounding_is_bankers() {
        assert_eq!(py_round_int(2.5), Some(2));
        assert_eq!(py_round_int(3.5), Some(4));
        assert_eq!(py_round_int(-0.5), Some(0));
        assert_eq!(py_round_int(f64::NAN), None);
    }

    const GOLDEN_ROT45: (f64, f64, f64, f64) = (
        5.287768280937836,
        20.264664200590136,
        53.1737270106116,
        53.1737270106116,
    );
    #[allow(clippy::excessive_precision)]
    const GOLDEN_POLY: ([f64; 4], [f64; 4], f64) = (
        [
            749.7774255213016,
            635.4562815927811,
            600.6938353751948,
            513.28,
        ],
        [
            299.52790836498576,
            347.48124825727007,
            236.86983357176035,
            221.04,
        ],
        5597.492321375175,
    );
}
