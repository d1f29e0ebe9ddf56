//! Just enough of Python's numbers for Label Studio's VOC arithmetic
//! `int(value / 100 * width)`: JSON scalars as ijson gives them to Python, correctly rounded
//! `int / int` true division, truncation of any finite float to an exact integer, and `str()`.

use exportkit_core::jsonfmt::write_py_float;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A JSON scalar as a Python object (ijson with `use_float=True`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PyVal<'a> {
    /// An integer literal (or `true`/`false`, which are ints in arithmetic).
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// A literal with a fraction or exponent, or an integer beyond 64 bits.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// `null`.
    None,
    /// A list or an object (Python would print its repr; not reproduced).
    Other,
}

impl<'a> PyVal<'a> {
    /// The Python value of a raw JSON value.
    pub(crate) fn of(raw: &'a RawValue) -> Self {
        let s = raw.get();
        match s.as_bytes().first() {
            Some(b'"') => exportkit_core::model::as_str(raw).map_or(PyVal::Other, PyVal::Str),
            Some(b't') => PyVal::Bool(true),
            Some(b'f') => PyVal::Bool(false),
            Some(b'n') => PyVal::None,
            Some(b'-' | b'0'..=b'9') => {
                if !s.contains(['.', 'e', 'E'])
                    && let Ok(i) = s.parse::<i64>()
                {
                    return PyVal::Int(i);
                }
                // ijson rejects integers beyond 64 bits; a float is the sensible reading.
                s.parse::<f64>().map_or(PyVal::Other, PyVal::Float)
            }
            _ => PyVal::Other,
        }
    }

    /// `value / 100` as Python computes it, when the value is a number (bools included).
    pub(crate) fn div100(&self) -> Option<f64> {
        match *self {
            PyVal::Int(i) => Some(int_div_100(i)),
            PyVal::Bool(b) => Some(if b { 0.01 } else { 0.0 }),
            PyVal::Float(f) => Some(f / 100.0),
            _ => None,
        }
    }

    /// The value as a float operand of `*` (Python converts an int with correct rounding).
    pub(crate) fn as_factor(&self) -> Option<f64> {
        match *self {
            PyVal::Int(i) => Some(i as f64),
            PyVal::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
            PyVal::Float(f) => Some(f),
            _ => None,
        }
    }

    /// Python's `str()`; `None` for lists and objects.
    pub(crate) fn py_str(&self) -> Option<Cow<'a, str>> {
        Some(match self {
            PyVal::Int(i) => Cow::Owned(i.to_string()),
            PyVal::Bool(true) => Cow::Borrowed("True"),
            PyVal::Bool(false) => Cow::Borrowed("False"),
            PyVal::Float(f) => {
                let mut b = Vec::new();
                write_py_float(&mut b, *f);
                Cow::Owned(String::from_utf8_lossy(&b).into_owned())
            }
            PyVal::Str(s) => s.clone(),
            PyVal::None => Cow::Borrowed("None"),
            PyVal::Other => return None,
        })
    }
}

/// `(sign * m, e)` with the value `= m * 2^e` exactly, for a finite non-zero float.
fn decompose(v: f64) -> (i128, i32) {
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = (bits & ((1u64 << 52) - 1)) as i128;
    let (m, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1i128 << 52), exp - 1075)
    };
    (if v < 0.0 { -m } else { m }, e)
}

/// Python's `a / 100` for an int: the float nearest to the exact quotient (ties to even).
pub(crate) fn int_div_100(a: i64) -> f64 {
    if a.unsigned_abs() <= 1u64 << 53 {
        // Both operands are exact, and IEEE division rounds correctly.
        return a as f64 / 100.0;
    }
    let q = a as f64 / 100.0;
    // The rounding of `a` and of the division put `q` within two ulps of the answer.
    let mut cands = [q; 5];
    cands[1] = q.next_down();
    cands[0] = cands[1].next_down();
    cands[3] = q.next_up();
    cands[4] = cands[3].next_up();
    // |a| > 2^53, so every candidate is above 2^46 and has an exponent >= -6: scaling the
    // comparison by 2^16 keeps everything an exact i128.
    const S: i32 = 16;
    let target = i128::from(a) << S;
    let mut best = q;
    let mut best_err = i128::MAX;
    let mut best_even = false;
    for c in cands {
        let (m, e) = decompose(c);
        let scaled = if e + S >= 0 {
            (m * 100) << (e + S)
        } else {
            continue;
        };
        let err = (scaled - target).abs();
        let even = m % 2 == 0;
        if err < best_err || (err == best_err && even && !best_even) {
            best = c;
            best_err = err;
            best_even = even;
        }
    }
    best
}

/// An exact integer, as Python's `int(float)` gives it (any size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BigInt {
    negative: bool,
    /// Base 10^9 limbs, least significant first; empty for zero.
    limbs: Vec<u32>,
}

const BASE: u64 = 1_000_000_000;

impl BigInt {
    fn from_u128(negative: bool, mut v: u128) -> Self {
        let mut limbs = Vec::new();
        while v > 0 {
            limbs.push((v % u128::from(BASE)) as u32);
            v /= u128::from(BASE);
        }
        BigInt {
            negative: negative && !limbs.is_empty(),
            limbs,
        }
    }

    /// Python's `int(v)`: truncation toward zero. `None` for NaN and infinities (Python raises).
    pub(crate) fn trunc(v: f64) -> Option<Self> {
        if !v.is_finite() {
            return None;
        }
        let t = v.trunc();
        if t == 0.0 {
            return Some(Self::from_u128(false, 0));
        }
        let (m, e) = decompose(t);
        if e < 0 {
            // A truncated float below 2^53 is an integer: shift the zero fraction bits away.
            return Some(Self::from_u128(m < 0, m.unsigned_abs() >> (-e)));
        }
        let mut n = Self::from_u128(m < 0, m.unsigned_abs());
        let mut left = e;
        while left > 0 {
            let k = left.min(32);
            let mut carry = 0u64;
            for limb in &mut n.limbs {
                let x = (u64::from(*limb) << k) + carry;
                *limb = (x % BASE) as u32;
                carry = x / BASE;
            }
            while carry > 0 {
                n.limbs.push((carry % BASE) as u32);
                carry /= BASE;
            }
            left -= k;
        }
        Some(n)
    }

    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        self.limbs.len().cmp(&other.limbs.len()).then_with(|| {
            for (a, b) in self.limbs.iter().rev().zip(other.limbs.iter().rev()) {
                match a.cmp(b) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            Ordering::Equal
        })
    }

    /// `self + other`, exactly.
    pub(crate) fn add(&self, other: &Self) -> Self {
        if self.negative == other.negative {
            let mut limbs = Vec::with_capacity(self.limbs.len().max(other.limbs.len()) + 1);
            let mut carry = 0u64;
            for i in 0..self.limbs.len().max(other.limbs.len()) {
                let s = u64::from(self.limbs.get(i).copied().unwrap_or(0))
                    + u64::from(other.limbs.get(i).copied().unwrap_or(0))
                    + carry;
                limbs.push((s % BASE) as u32);
                carry = s / BASE;
            }
            if carry > 0 {
                limbs.push(carry as u32);
            }
            return BigInt {
                negative: self.negative,
                limbs,
            };
        }
        let (big, small) = match self.cmp_magnitude(other) {
            Ordering::Equal => return Self::from_u128(false, 0),
            Ordering::Greater => (self, other),
            Ordering::Less => (other, self),
        };
        let mut limbs = Vec::with_capacity(big.limbs.len());
        let mut borrow = 0i64;
        for (i, &b) in big.limbs.iter().enumerate() {
            let mut d = i64::from(b) - i64::from(small.limbs.get(i).copied().unwrap_or(0)) - borrow;
            borrow = 0;
            if d < 0 {
                d += BASE as i64;
                borrow = 1;
            }
            limbs.push(d as u32);
        }
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        BigInt {
            negative: big.negative && !limbs.is_empty(),
            limbs,
        }
    }
}

impl std::fmt::Display for BigInt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some((top, rest)) = self.limbs.split_last() else {
            return f.write_str("0");
        };
        if self.negative {
            f.write_str("-")?;
        }
        write!(f, "{top}")?;
        for limb in rest.iter().rev() {
            write!(f, "{limb:09}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn python_values_and_str() {
        let cases = [
            ("1024", "1024"),
            ("-0", "0"),
            ("1024.0", "1024.0"),
            ("1e3", "1000.0"),
            ("1e-05", "1e-05"),
            ("true", "True"),
            ("null", "None"),
            ("\"12\"", "12"),
        ];
        for (lit, want) in cases {
            let r = raw(lit);
            assert_eq!(PyVal::of(&r).py_str().unwrap(), want, "{lit}");
        }
        assert_eq!(PyVal::of(&raw("[1]")).py_str(), None);
        assert_eq!(
            PyVal::of(&raw("123456789012345678901234")),
            PyVal::Float(1.2345678901234568e23)
        );
    }

    #[test]
    fn truncation_is_exact_at_any_size() {
        let s = |v: f64| BigInt::trunc(v).unwrap().to_string();
        assert_eq!(s(0.0), "0");
        assert_eq!(s(-0.7), "0");
        assert_eq!(s(-1.7), "-1");
        assert_eq!(s(59259258725925920.0), "59259258725925920");
        assert_eq!(s(1e20), "100000000000000000000");
        assert_eq!(s(2f64.powi(100)), "1267650600228229401496703205376");
        assert_eq!(
            s(f64::MAX),
            "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368"
        );
        assert!(BigInt::trunc(f64::NAN).is_none());
        assert!(BigInt::trunc(f64::INFINITY).is_none());
    }

    #[test]
    fn addition_with_signs() {
        let b = |v: f64| BigInt::trunc(v).unwrap();
        assert_eq!(b(1e20).add(&b(-1.0)).to_string(), "99999999999999999999");
        assert_eq!(b(-1e20).add(&b(1.0)).to_string(), "-99999999999999999999");
        assert_eq!(b(-5.0).add(&b(5.0)).to_string(), "0");
        assert_eq!(b(-5.0).add(&b(-5.0)).to_string(), "-10");
        assert_eq!(
            b(1e30).add(&b(1e30)).to_string(),
            "2000000000000000039769249677312"
        );
    }

    #[test]
    fn int_division_is_correctly_rounded() {
        // Python: 12345678901234567 / 100 == 123456789012345.67 (the float nearest the quotient).
        assert_eq!(int_div_100(12345678901234567), 123456789012345.67);
        assert_eq!(int_div_100(i64::MAX), 9.223372036854776e16);
        assert_eq!(int_div_100(-9007199254740993), -90071992547409.94);
        assert_eq!(int_div_100(250), 2.5);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// `|c * 100 - a|` scaled by 2^16, exactly.
    fn err(c: f64, a: i64) -> i128 {
        let (m, e) = decompose(c);
        ((m * 100) << (e + 16)) - (i128::from(a) << 16)
    }

    proptest! {
        #[test]
        fn int_division_is_the_nearest_float(a in any::<i64>()) {
            let q = int_div_100(a);
            if a.unsigned_abs() > 1u64 << 53 {
                let e = err(q, a).abs();
                prop_assert!(e <= err(q.next_up(), a).abs());
                prop_assert!(e <= err(q.next_down(), a).abs());
            } else {
                prop_assert_eq!(q, a as f64 / 100.0);
            }
        }

        #[test]
        fn truncation_and_sums_match_i128(a in -1e30..1e30f64, b in -1e30..1e30f64) {
            let (ta, tb) = (a.trunc() as i128, b.trunc() as i128);
            let (ba, bb) = (BigInt::trunc(a).unwrap(), BigInt::trunc(b).unwrap());
            prop_assert_eq!(ba.to_string(), ta.to_string());
            prop_assert_eq!(ba.add(&bb).to_string(), (ta + tb).to_string());
        }
    }
}
