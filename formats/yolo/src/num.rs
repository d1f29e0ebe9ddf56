//! Reading numbers and label lists out of raw region values, and writing numbers.

use exportkit_core::model::{self, RawObject};
use serde_json::value::RawValue;

/// A number as Label Studio's converter holds it: ijson gives Python `int`s for integer
/// literals (and `bool` is an `int`), `float`s for the rest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PyNum {
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
}

impl PyNum {
    /// `float(x)`: what Python's mixed `int`/`float` arithmetic uses.
    pub(crate) fn f(self) -> f64 {
        match self {
            PyNum::Int(i) => i as f64,
            PyNum::Float(v) => v,
        }
    }

    /// `x / d` for a small positive `int` `d`: for an `int` x Python rounds the exact
    /// quotient once (`12345678901234567 / 100` is `123456789012345.67`, not `...69`).
    pub(crate) fn div(self, d: i64) -> f64 {
        match self {
            PyNum::Int(a) => int_true_div(a, d),
            PyNum::Float(v) => v / d as f64,
        }
    }
}

/// Python's `int / int` (`long_true_divide`): the correctly rounded quotient (ties to even).
fn int_true_div(a: i64, d: i64) -> f64 {
    let approx = a as f64 / d as f64;
    if a.unsigned_abs() <= 1 << 53 || d == 0 || !approx.is_finite() {
        return approx; // both exact as floats: one IEEE division rounds once
    }
    // Exact comparison of candidate * d with a, scaled by 2^K (candidates here are >= 2^40,
    // so their exponents are far above -K).
    const K: i32 = 32;
    let exact = i128::from(a) << K;
    let mut best: Option<(i128, bool, f64)> = None;
    for c in [approx.next_down(), approx, approx.next_up()] {
        let bits = c.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let mant = (bits & ((1 << 52) - 1)) | if exp > 0 { 1 << 52 } else { 0 };
        let e = exp.max(1) - 1075 + K;
        if !(0..=60).contains(&e) {
            return approx;
        }
        let sign: i128 = if c < 0.0 { -1 } else { 1 };
        let scaled = sign * (i128::from(mant) << e) * i128::from(d);
        let err = (scaled - exact).abs();
        let even = mant & 1 == 0;
        let better = match best {
            None => true,
            Some((be, beven, _)) => err < be || (err == be && even && !beven),
        };
        if better {
            best = Some((err, even, c));
        }
    }
    best.map_or(approx, |b| b.2)
}

/// A raw JSON value as Python arithmetic sees it: numbers, and booleans as 1/0 (`bool` is an
/// `int` in Python). `None` for strings, `null`, lists and objects (a `TypeError` there).
pub(crate) fn py_number(raw: &RawValue) -> Option<PyNum> {
    let s = raw.get();
    match s {
        "true" => return Some(PyNum::Int(1)),
        "false" => return Some(PyNum::Int(0)),
        _ => {}
    }
    let v = model::as_f64(raw)?;
    if !s.contains(['.', 'e', 'E'])
        && let Ok(i) = s.parse::<i64>()
    {
        return Some(PyNum::Int(i));
    }
    Some(PyNum::Float(v))
}

/// A JSON number (not a boolean), finite.
pub(crate) fn finite_number(raw: Option<&RawValue>) -> Option<f64> {
    raw.and_then(model::as_f64).filter(|v| v.is_finite())
}

/// How Python iterates a label value (`for name in label[key]`) when it is truthy.
#[derive(Debug)]
pub(crate) enum PyIter {
    /// A list (its elements) or an object (its keys, as JSON strings).
    Items(Vec<Item>),
    /// A string: its characters.
    Chars(String),
    /// A number, boolean or `null`: `len()` raises `TypeError`.
    NotIterable,
}

/// One element of a list (or key of an object).
#[derive(Debug)]
pub(crate) enum Item {
    /// A string element.
    Str(String),
    /// Any other element (a number, `null`, a list, ...).
    Other,
}

/// `label[key]` as Python's `len()` and `for` see it.
pub(crate) fn py_iter(raw: &RawValue) -> PyIter {
    let s = raw.get();
    match s.as_bytes().first() {
        Some(b'[') => {
            let list: Vec<&RawValue> = serde_json::from_str(s).unwrap_or_default();
            PyIter::Items(
                list.into_iter()
                    .map(|e| match model::as_str(e) {
                        Some(t) => Item::Str(t.into_owned()),
                        None => Item::Other,
                    })
                    .collect(),
            )
        }
        Some(b'{') => PyIter::Items(
            RawObject::parse(raw)
                .map(|o| o.iter().map(|(k, _)| Item::Str(k.to_owned())).collect())
                .unwrap_or_default(),
        ),
        Some(b'"') => PyIter::Chars(
            model::as_str(raw)
                .map(|c| c.into_owned())
                .unwrap_or_default(),
        ),
        _ => PyIter::NotIterable,
    }
}

/// The elements of a raw JSON list, or `None` when it is not a list.
pub(crate) fn list(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if raw.get().starts_with('[') {
        serde_json::from_str(raw.get()).ok()
    } else {
        None
    }
}

/// A list of strings (label names), or `None` when it is not one.
pub(crate) fn string_list(raw: &RawValue) -> Option<Vec<String>> {
    list(raw)?
        .into_iter()
        .map(|e| model::as_str(e).map(|s| s.into_owned()))
        .collect()
}

/// Writes a normalised coordinate in the clean style: fixed 6 decimals with trailing zeros
/// (and a bare dot) removed: `0.5`, `0.123457`, `1`, `0`; never `-0`.
pub(crate) fn write_coord(out: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    let v = if v == 0.0 { 0.0 } else { v };
    let start = out.len();
    let _ = write!(out, "{v:.6}");
    if out[start..].contains(&b'.') {
        while out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            out.pop();
        }
    }
    if &out[start..] == b"-0" {
        out.truncate(start);
        out.push(b'0');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn coordinates_are_short_and_fixed() {
        for (v, s) in [
            (0.5, "0.5"),
            (0.1234567, "0.123457"),
            (1.0, "1"),
            (0.0, "0"),
            (-0.0, "0"),
            (-0.0000001, "0"),
            (1e-7, "0"),
            (0.0000006, "0.000001"),
            (0.0000004, "0"),
            (0.25, "0.25"),
        ] {
            let mut b = Vec::new();
            write_coord(&mut b, v);
            assert_eq!(String::from_utf8_lossy(&b), s, "{v}");
        }
    }

    #[test]
    fn python_int_division_rounds_once() {
        // Python: 12345678901234567 / 100 == 123456789012345.67; float(...) / 100 is ...69.
        assert_eq!(
            PyNum::Int(12_345_678_901_234_567).div(100),
            123_456_789_012_345.67
        );
        assert_eq!(
            PyNum::Int(12_345_678_901_234_567).f() / 100.0,
            123_456_789_012_345.69
        );
        assert_eq!(
            PyNum::Int(-12_345_678_901_234_567).div(100),
            -123_456_789_012_345.67
        );
        // 2**60 + 1 over 3, and a tie case: (2**54 + 2) / 4 = 2**52 + 0.5 -> ties to even.
        assert_eq!(PyNum::Int((1 << 60) + 1).div(3), 384_307_168_202_282_325.0);
        assert_eq!(PyNum::Int((1 << 54) + 2).div(4), 4_503_599_627_370_496.0);
        assert_eq!(PyNum::Int((1 << 54) + 6).div(4), 4_503_599_627_370_498.0);
        assert_eq!(PyNum::Int(7).div(100), 0.07);
        assert_eq!(PyNum::Float(7.0).div(100), 0.07);
    }

    #[test]
    fn python_views_of_values() {
        assert_eq!(py_number(&raw("true")), Some(PyNum::Int(1)));
        assert_eq!(py_number(&raw("12")), Some(PyNum::Int(12)));
        assert_eq!(py_number(&raw("12.0")), Some(PyNum::Float(12.0)));
        assert_eq!(py_number(&raw("-0")), Some(PyNum::Int(0)));
        assert_eq!(py_number(&raw("\"12\"")), None);
        assert_eq!(py_number(&raw("null")), None);
        assert!(matches!(py_iter(&raw("\"Cat\"")), PyIter::Chars(s) if s == "Cat"));
        assert!(matches!(py_iter(&raw("3")), PyIter::NotIterable));
        match py_iter(&raw("[\"A\", 1]")) {
            PyIter::Items(v) => {
                assert!(matches!(&v[0], Item::Str(s) if s == "A"));
                assert!(matches!(&v[1], Item::Other));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            string_list(&raw("[\"a\",\"b\"]")),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(string_list(&raw("[\"a\",2]")), None);
        assert_eq!(finite_number(Some(&raw("1e400"))), None);
    }
}
