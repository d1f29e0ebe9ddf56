//! Python- and ujson-compatible number formatting.
//!
//! Both CPython's `repr(float)` and ujson 6.1.0 (double-conversion) write the shortest digits that
//! round-trip, in decimal notation when the decimal exponent `e` (as in `d.ddd × 10^e`) satisfies
//! `-4 <= e < 16`, otherwise in exponent notation. They differ only in the exponent (`1e-05` vs `1e-5`)
//! and in non-finite values (`inf` vs `Infinity`).
//!
//! Digits come from exact `u128` arithmetic for the common range and from Rust's `{:e}` (also
//! shortest round-trip) elsewhere, with CPython's round-half-even tie rule applied to both; they
//! are then laid out by hand. Cross-checked against CPython 3.11 / ujson 6.1.0 on 700k values.

use std::fmt::Write as _;

use super::style::NumberStyle;

/// Shortest round-trip decimal digits of a finite, non-negative `f64`: `d1 d2 … dn × 10^(exp - n + 1)`.
struct Digits {
    buf: [u8; 32],
    len: usize,
    exp: i32,
}

/// A fixed-size `fmt::Write` sink on the stack.
struct StackBuf {
    buf: [u8; 32],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Digits {
    /// `v` must be finite; its sign is ignored.
    #[inline]
    fn of(v: f64) -> Digits {
        Digits::exact_small(v).unwrap_or_else(|| Digits::via_fmt(v))
    }

    /// Shortest digits by exact integer arithmetic, for normal values below 2^52 whose shortest
    /// form needs at most 22 fraction digits (the bulk of real data); `None` elsewhere.
    ///
    /// For a count `e` of fraction digits, the decimals `X / 10^e` inside v's rounding interval
    /// are found with shifts; the least `e` that has one (binary search: having one is monotone
    /// in `e`) gives the shortest length, and `X = round_half_even(v * 10^e)` is the closest
    /// candidate, which is what CPython and double-conversion pick.
    fn exact_small(v: f64) -> Option<Digits> {
        let bits = v.abs().to_bits();
        let (ef, frac) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
        // Normal, not a power of two (asymmetric interval), and v = m / 2^s with s >= 1.
        if ef == 0 || frac == 0 || ef >= 1075 {
            return None;
        }
        let m = u128::from(frac | (1 << 52));
        let s = 1075 - ef as u32;
        let k = s + 1;
        if k >= 128 {
            return None;
        }
        let even = m.is_multiple_of(2);
        let mask = (1u128 << k) - 1;
        // Candidates X with lo <= X * 2^k <= hi (strict unless m is even), lo/hi = (2m ∓ 1) * 10^e.
        let bounds = |e: usize| {
            let (lo, hi) = ((2 * m - 1) * POW10[e], (2 * m + 1) * POW10[e]);
            let x_lo = if even {
                (lo >> k) + u128::from(lo & mask != 0)
            } else {
                (lo >> k) + 1
            };
            let x_hi = if even || hi & mask != 0 {
                hi >> k
            } else {
                (hi >> k) - 1
            };
            (x_lo, x_hi)
        };
        // Having a candidate is monotone in e (X works, so does 10 X): binary search the least e.
        let (x_lo, x_hi) = bounds(22);
        if x_lo > x_hi {
            return None;
        }
        let (mut lo_e, mut hi_e, mut found) = (0usize, 22usize, (x_lo, x_hi));
        while lo_e < hi_e {
            let mid = (lo_e + hi_e) / 2;
            let b = bounds(mid);
            if b.0 <= b.1 {
                hi_e = mid;
                found = b;
            } else {
                lo_e = mid + 1;
            }
        }
        let (e, (x_lo, x_hi)) = (hi_e, found);
        // Closest candidate: round(m * 10^e / 2^s), ties to even.
        let num = m * POW10[e];
        let mut x = num >> s;
        let rem = num & ((1u128 << s) - 1);
        let half = 1u128 << (s - 1);
        if rem > half || rem == half && x % 2 == 1 {
            x += 1;
        }
        if x < x_lo || x > x_hi {
            return None;
        }
        let mut x = u64::try_from(x).ok()?;
        let mut scale = -(e as i32);
        while x != 0 && x.is_multiple_of(10) {
            x /= 10;
            scale += 1;
        }
        let mut d = Digits {
            buf: [0; 32],
            len: 0,
            exp: 0,
        };
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        while x != 0 {
            i -= 1;
            tmp[i] = b'0' + (x % 10) as u8;
            x /= 10;
        }
        let n = tmp.len() - i;
        if n == 0 {
            return None;
        }
        d.buf[..n].copy_from_slice(&tmp[i..]);
        d.len = n;
        d.exp = scale + n as i32 - 1;
        Some(d)
    }

    /// Shortest digits from Rust's `{:e}` (shortest round-trip), with CPython's tie rule applied.
    fn via_fmt(v: f64) -> Digits {
        let mut sci = StackBuf {
            buf: [0; 32],
            len: 0,
        };
        // `{:e}` of an f64 is at most 24 bytes ("1.2345678901234567e-308"), so this cannot fail.
        let _ = write!(sci, "{:e}", v.abs());
        let mut d = Digits {
            buf: [0; 32],
            len: 0,
            exp: 0,
        };
        let mut exp_neg = false;
        let mut in_exp = false;
        for &b in &sci.buf[..sci.len] {
            match b {
                b'0'..=b'9' if in_exp => d.exp = d.exp * 10 + i32::from(b - b'0'),
                b'0'..=b'9' => {
                    d.buf[d.len] = b;
                    d.len += 1;
                }
                b'e' => in_exp = true,
                b'-' => exp_neg = true,
                _ => {}
            }
        }
        if exp_neg {
            d.exp = -d.exp;
        }
        if d.len == 0 {
            d.buf[0] = b'0';
            d.len = 1;
        }
        d.round_half_even(v.abs());
        d
    }

    /// Rust's shortest digits break an exact tie between two equally short candidates upwards
    /// (`1408118346374037.25` → `…037.3`); CPython (dtoa mode 0) and double-conversion pick the even
    /// one (`…037.2`). Switch to the lower candidate in that case, if it still round-trips.
    fn round_half_even(&mut self, v: f64) {
        let n = self.len;
        let mut big: u64 = 0;
        for &c in self.digits() {
            big = big * 10 + u64::from(c - b'0');
        }
        if big.is_multiple_of(2) {
            return;
        }
        // v = m * 2^q with m odd.
        let bits = v.to_bits();
        let (mut m, mut q) = match (bits >> 52) & 0x7ff {
            0 => (bits & ((1 << 52) - 1), -1074i32),
            e => ((bits & ((1 << 52) - 1)) | (1 << 52), e as i32 - 1075),
        };
        if m == 0 {
            return;
        }
        q += m.trailing_zeros() as i32;
        m >>= m.trailing_zeros();
        // Tie iff v == (big - 1/2) * 10^e10, i.e. 2v = t * 2^e10 * 5^e10 with t = 2 * big - 1 odd.
        let e10 = self.exp - (n as i32 - 1);
        if q + 1 != e10 {
            return;
        }
        let t = u128::from(2 * big - 1);
        let (m, k) = (u128::from(m), e10.unsigned_abs());
        if k > 27 {
            return;
        }
        let p5 = 5u128.pow(k);
        let tie = if e10 >= 0 { m == t * p5 } else { m * p5 == t };
        if !tie {
            return;
        }
        let lower = big - 1;
        let mut s = StackBuf {
            buf: [0; 32],
            len: 0,
        };
        if lower == 0
            || write!(s, "{lower}e{e10}").is_err()
            || std::str::from_utf8(&s.buf[..s.len])
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                != Some(v)
        {
            return;
        }
        let mut x = lower;
        while x.is_multiple_of(10) {
            x /= 10;
        }
        let mut len = 0;
        let mut tmp = x;
        while tmp > 0 {
            len += 1;
            tmp /= 10;
        }
        for i in (0..len).rev() {
            self.buf[i] = b'0' + (x % 10) as u8;
            x /= 10;
        }
        self.len = len;
    }

    #[inline]
    fn digits(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

const ZEROS: &[u8; 32] = b"00000000000000000000000000000000";

fn push_zeros(out: &mut Vec<u8>, mut n: usize) {
    while n > 0 {
        let k = n.min(ZEROS.len());
        out.extend_from_slice(&ZEROS[..k]);
        n -= k;
    }
}

/// Lays out a finite value as Python/ujson do; `pad_exp` pads the exponent to two digits (Python).
fn write_finite(out: &mut Vec<u8>, v: f64, pad_exp: bool) {
    layout(out, v.is_sign_negative(), &Digits::of(v), pad_exp);
}

/// Writes `±d1.d2…dn × 10^exp` in decimal notation for `-4 <= exp < 16`, else in exponent notation.
fn layout(out: &mut Vec<u8>, neg: bool, d: &Digits, pad_exp: bool) {
    let digits = d.digits();
    let n = digits.len();
    out.reserve(n + 24);
    if neg {
        out.push(b'-');
    }
    let exp = d.exp;
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if n <= int_len {
                out.extend_from_slice(digits);
                push_zeros(out, int_len - n);
                out.extend_from_slice(b".0");
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        } else {
            out.extend_from_slice(b"0.");
            push_zeros(out, (-exp - 1) as usize);
            out.extend_from_slice(digits);
        }
    } else {
        out.push(digits[0]);
        if n > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if pad_exp && e < 10 {
            out.push(b'0');
        }
        write_u64(out, u64::from(e));
    }
}

/// Powers of ten up to 10^22 (exact as `u128`).
const POW10: [u128; 23] = {
    let mut t = [1u128; 23];
    let mut i = 1;
    while i < 23 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// A JSON float literal split into sign and significant digits (no leading/trailing zeros).
struct Literal {
    neg: bool,
    digits: Digits,
}

impl Literal {
    /// Splits a JSON number literal; `None` for anything unusual (more than 17 significant digits,
    /// huge exponents, bad syntax), which then takes the general path.
    fn parse(lit: &str) -> Option<Literal> {
        let b = lit.as_bytes();
        let neg = b.first() == Some(&b'-');
        let digits_from = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let int_start = usize::from(neg);
        let mut i = digits_from(int_start);
        let int = b.get(int_start..i)?;
        if int.is_empty() {
            return None;
        }
        let mut frac: &[u8] = &[];
        if b.get(i) == Some(&b'.') {
            let end = digits_from(i + 1);
            frac = b.get(i + 1..end)?;
            i = end;
        }
        let mut exp: i32 = 0;
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            let eneg = b.get(i) == Some(&b'-');
            if let Some(b'-' | b'+') = b.get(i) {
                i += 1;
            }
            let end = digits_from(i);
            let e = b.get(i..end)?;
            if e.is_empty() || e.len() > 6 {
                return None;
            }
            for &c in e {
                exp = exp * 10 + i32::from(c - b'0');
            }
            if eneg {
                exp = -exp;
            }
            i = end;
        }
        if i != b.len() {
            return None;
        }
        // Significant digits: int ++ frac without leading zeros, then without trailing zeros.
        let lead = |s: &[u8]| s.iter().take_while(|&&c| c == b'0').count();
        let (int_sig, frac_sig) = match lead(int) {
            n if n == int.len() => (&int[n..], &frac[lead(frac)..]),
            n => (&int[n..], frac),
        };
        let mut d = Digits {
            buf: [0; 32],
            len: int_sig.len() + frac_sig.len(),
            exp: 0,
        };
        d.buf.get_mut(..int_sig.len())?.copy_from_slice(int_sig);
        d.buf
            .get_mut(int_sig.len()..d.len)?
            .copy_from_slice(frac_sig);
        let mut trailing_zeros = 0;
        while d.len > 0 && d.buf[d.len - 1] == b'0' {
            d.len -= 1;
            trailing_zeros += 1;
        }
        if d.len > 17 {
            return None;
        }
        d.exp = exp - frac.len() as i32 + trailing_zeros + d.len as i32 - 1;
        Some(Literal { neg, digits: d })
    }
}

/// Writes `v` exactly as Python's `repr(float)` / `str(float)` does: `0.1`, `12.0`, `1e-05`,
/// `1.5e-05`, `1e+16`, `-0.0`, `inf`, `-inf`, `nan`.
pub fn write_py_float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
    } else {
        write_finite(out, v, true);
    }
}

/// Writes `v` exactly as `ujson.dumps(float)` (ujson 6.1.0) does: `0.30000000000000004`, `12.0`,
/// `1e-5`, `1e+16`, `5e-324`, `-0.0`, `Infinity`, `-Infinity`, `NaN`.
pub fn write_ujson_float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-Infinity" } else { b"Infinity" });
    } else {
        write_finite(out, v, false);
    }
}

/// Writes `v` as a JSON value in the given number style: ujson's output for [`NumberStyle::Ujson`],
/// the stdlib `json` module's (`repr`, `NaN`, `Infinity`, `-Infinity`) for [`NumberStyle::Python`],
/// and ujson-style digits with `null` for non-finite values for [`NumberStyle::Verbatim`].
pub fn write_json_f64(out: &mut Vec<u8>, v: f64, style: NumberStyle) {
    match style {
        NumberStyle::Ujson => write_ujson_float(out, v),
        NumberStyle::Python if v.is_finite() => write_finite(out, v, true),
        NumberStyle::Python => write_ujson_float(out, v),
        NumberStyle::Verbatim if v.is_finite() => write_finite(out, v, false),
        NumberStyle::Verbatim => out.extend_from_slice(b"null"),
    }
}

/// Writes a JSON integer literal as Python prints the int: unchanged (any length) except `-0` → `0`.
pub fn write_py_int(out: &mut Vec<u8>, lit: &str) {
    let b = lit.as_bytes();
    if b.len() > 1 && b[0] == b'-' && b[1..].iter().all(|&c| c == b'0') {
        out.push(b'0');
    } else {
        out.extend_from_slice(b);
    }
}

/// Writes a JSON number literal in `style`.
///
/// [`NumberStyle::Verbatim`] copies it. Otherwise (mirroring ijson `use_float=True`) a literal without
/// `.`, `e` or `E` is an int ([`write_py_int`]) and anything else is parsed as `f64` and written with
/// [`write_ujson_float`] / [`write_py_float`] (`1e2` → `100.0`). A literal that does not parse, or
/// overflows to infinity (ijson would abort there), is copied as written.
pub fn write_number(out: &mut Vec<u8>, lit: &str, style: NumberStyle) {
    let is_float = lit.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
    write_number_classified(out, lit, is_float, style);
}

/// [`write_number`] when the caller already knows whether `lit` has a fraction or exponent.
#[inline]
pub(crate) fn write_number_classified(
    out: &mut Vec<u8>,
    lit: &str,
    is_float: bool,
    style: NumberStyle,
) {
    match style {
        NumberStyle::Verbatim => out.extend_from_slice(lit.as_bytes()),
        _ if !is_float => write_py_int(out, lit),
        NumberStyle::Ujson | NumberStyle::Python => {
            let pad = style == NumberStyle::Python;
            // Short literals with up to 15 significant digits in the normal range are their own
            // shortest repr (DBL_DIG: such decimals survive the round trip), so they are re-laid
            // out without parsing. Everything else is parsed and formatted.
            if lit.len() <= 16
                && let Some(l) = Literal::parse(lit)
            {
                if l.digits.len == 0 {
                    out.extend_from_slice(if l.neg { b"-0.0" } else { b"0.0" });
                    return;
                }
                if l.digits.len <= 15 && (-300..=300).contains(&l.digits.exp) {
                    layout(out, l.neg, &l.digits, pad);
                    return;
                }
            }
            match lit.parse::<f64>() {
                Ok(v) if v.is_finite() => write_finite(out, v, pad),
                _ => out.extend_from_slice(lit.as_bytes()),
            }
        }
    }
}

/// Writes an unsigned integer in decimal.
#[inline]
pub fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Writes a signed integer in decimal.
#[inline]
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::excessive_precision)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn py(v: f64) -> String {
        let mut o = Vec::new();
        write_py_float(&mut o, v);
        String::from_utf8(o).unwrap()
    }

    fn uj(v: f64) -> String {
        let mut o = Vec::new();
        write_ujson_float(&mut o, v);
        String::from_utf8(o).unwrap()
    }

    fn num(lit: &str, style: NumberStyle) -> String {
        let mut o = Vec::new();
        write_number(&mut o, lit, style);
        String::from_utf8(o).unwrap()
    }

    /// (value, `repr(v)`, `ujson.dumps(v)`), generated with CPython 3.11.7 / ujson 6.1.0:
    /// `for v in VALUES: print(repr(v), ujson.dumps(v))`
    const VECTORS: &[(f64, &str, &str)] = &[
        (
            0.30000000000000004,
            "0.30000000000000004",
            "0.30000000000000004",
        ),
        (12.0, "12.0", "12.0"),
        (1e15, "1000000000000000.0", "1000000000000000.0"),
        (
            9999999999999998.0,
            "9999999999999998.0",
            "9999999999999998.0",
        ),
        (1e16, "1e+16", "1e+16"),
        (3e16, "3e+16", "3e+16"),
        (1e22, "1e+22", "1e+22"),
        (1e-4, "0.0001", "0.0001"),
        (0.00012345, "0.00012345", "0.00012345"),
        (9.9999e-5, "9.9999e-05", "9.9999e-5"),
        (9.9999999e-05, "9.9999999e-05", "9.9999999e-5"),
        (1e-5, "1e-05", "1e-5"),
        (1.5e-5, "1.5e-05", "1.5e-5"),
        (1e-7, "1e-07", "1e-7"),
        (-2.5e-7, "-2.5e-07", "-2.5e-7"),
        (
            123456789012345680000.0,
            "1.2345678901234568e+20",
            "1.2345678901234568e+20",
        ),
        (
            1.2345678901234568e+17,
            "1.2345678901234568e+17",
            "1.2345678901234568e+17",
        ),
        (
            1234567890123456.7,
            "1234567890123456.8",
            "1234567890123456.8",
        ),
        (5e-324, "5e-324", "5e-324"),
        (
            2.2250738585072014e-308,
            "2.2250738585072014e-308",
            "2.2250738585072014e-308",
        ),
        (
            1.7976931348623157e308,
            "1.7976931348623157e+308",
            "1.7976931348623157e+308",
        ),
        (1e100, "1e+100", "1e+100"),
        (1e-100, "1e-100", "1e-100"),
        (-0.0, "-0.0", "-0.0"),
        (0.0, "0.0", "0.0"),
        (0.001, "0.001", "0.001"),
        (1.5, "1.5", "1.5"),
        (123.456, "123.456", "123.456"),
        (1e21, "1e+21", "1e+21"),
        (86.809, "86.809", "86.809"),
        (34.72122982020397, "34.72122982020397", "34.72122982020397"),
        (1.5e-323, "1.5e-323", "1.5e-323"),
        // Exact ties between two shortest candidates go to the even digit (Rust's `{:e}` rounds up).
        (
            1408118346374037.25,
            "1408118346374037.2",
            "1408118346374037.2",
        ),
        (
            -83992540645848.125,
            "-83992540645848.12",
            "-83992540645848.12",
        ),
        (
            -11815244629156.3125,
            "-11815244629156.312",
            "-11815244629156.312",
        ),
        (
            147117772004750.625,
            "147117772004750.62",
            "147117772004750.62",
        ),
        (f64::INFINITY, "inf", "Infinity"),
        (f64::NEG_INFINITY, "-inf", "-Infinity"),
        (f64::NAN, "nan", "NaN"),
    ];

    #[test]
    fn float_vectors() {
        for &(v, p, u) in VECTORS {
            assert_eq!(py(v), p, "repr({v:e})");
            assert_eq!(uj(v), u, "ujson({v:e})");
        }
    }

    #[test]
    fn json_f64_non_finite() {
        let f = |v, s| {
            let mut o = Vec::new();
            write_json_f64(&mut o, v, s);
            String::from_utf8(o).unwrap()
        };
        // json.dumps(float('inf')) == 'Infinity'; json.dumps(float('nan')) == 'NaN'
        assert_eq!(f(f64::INFINITY, NumberStyle::Python), "Infinity");
        assert_eq!(f(f64::NEG_INFINITY, NumberStyle::Python), "-Infinity");
        assert_eq!(f(f64::NAN, NumberStyle::Python), "NaN");
        assert_eq!(f(1e-5, NumberStyle::Python), "1e-05");
        assert_eq!(f(f64::NAN, NumberStyle::Verbatim), "null");
        assert_eq!(f(1e-5, NumberStyle::Verbatim), "1e-5");
        assert_eq!(f(2.0, NumberStyle::Ujson), "2.0");
    }

    /// ijson (yajl2_c, use_float=True) then ujson.dumps / json.dumps, e.g.
    /// `ujson.dumps(list(ijson.items(io.BytesIO(b'[1E2]'), 'item', use_float=True)))` == `[100.0]`.
    #[test]
    fn number_literals() {
        let cases = [
            ("1.0", "1.0", "1.0"),
            ("1e2", "100.0", "100.0"),
            ("1E2", "100.0", "100.0"),
            ("-0", "0", "0"),
            ("-0.0", "-0.0", "-0.0"),
            ("-0e0", "-0.0", "-0.0"),
            ("2.50", "2.5", "2.5"),
            ("1e-400", "0.0", "0.0"),
            ("2e-324", "0.0", "0.0"),
            ("4.9e-324", "5e-324", "5e-324"),
            ("1.5e-7", "1.5e-7", "1.5e-07"),
            (
                "9223372036854775807",
                "9223372036854775807",
                "9223372036854775807",
            ),
            ("-17", "-17", "-17"),
            (
                "1.7976931348623158e308",
                "1.7976931348623157e+308",
                "1.7976931348623157e+308",
            ),
            // Overflow: ijson aborts; we keep the literal.
            ("1e400", "1e400", "1e400"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
        ];
        for (lit, u, p) in cases {
            assert_eq!(num(lit, NumberStyle::Ujson), u, "{lit}");
            assert_eq!(num(lit, NumberStyle::Python), p, "{lit}");
            assert_eq!(num(lit, NumberStyle::Verbatim), lit);
        }
    }

    #[test]
    fn integers() {
        let s = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut o = Vec::new();
            f(&mut o);
            String::from_utf8(o).unwrap()
        };
        assert_eq!(s(&|o| write_i64(o, i64::MIN)), "-9223372036854775808");
        assert_eq!(s(&|o| write_i64(o, 0)), "0");
        assert_eq!(s(&|o| write_u64(o, u64::MAX)), "18446744073709551615");
        assert_eq!(s(&|o| write_py_int(o, "-000")), "0");
        assert_eq!(s(&|o| write_py_int(o, "-")), "-");
    }

    proptest! {
        #[test]
        fn py_float_round_trips(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            let s = py(v);
            prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), bits, "{}", s);
        }

        #[test]
        fn ujson_float_round_trips(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            let s = uj(v);
            prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), bits, "{}", s);
        }

        /// The literal fast paths (digits reused as written) agree with formatting the parsed value.
        #[test]
        fn literal_paths_agree_with_value_paths(
            v in any::<f64>(),
            prec in 0usize..20,
            form in 0u8..4,
            zeros in 0usize..3,
        ) {
            prop_assume!(v.is_finite());
            let mut lit = match form {
                0 => format!("{v:.prec$e}"),
                1 => format!("{v:e}"),
                2 => format!("{v}"),
                _ => format!("{:.prec$}", v % 1e6),
            };
            if !lit.contains('e') && !lit.contains('.') {
                lit.push_str(".0");
            }
            if let Some(pos) = lit.find('e') {
                lit.insert_str(pos, &"0".repeat(if lit[..pos].contains('.') { zeros } else { 0 }));
            } else {
                lit.push_str(&"0".repeat(zeros));
            }
            let parsed: f64 = lit.parse().unwrap();
            prop_assume!(parsed.is_finite());
            prop_assert_eq!(num(&lit, NumberStyle::Python), py(parsed), "{}", lit);
            prop_assert_eq!(num(&lit, NumberStyle::Ujson), uj(parsed), "{}", lit);
        }

        #[test]
        fn short_decimal_literals(int in 0u64..100_000_000, frac in 0u64..100_000_000, e in -330i32..300, neg: bool) {
            let lit = format!("{}{int}.{frac:08}e{e}", if neg { "-" } else { "" });
            let parsed: f64 = lit.parse().unwrap();
            prop_assume!(parsed.is_finite());
            prop_assert_eq!(num(&lit, NumberStyle::Python), py(parsed), "{}", lit);
            prop_assert_eq!(num(&lit, NumberStyle::Ujson), uj(parsed), "{}", lit);
        }

        /// The exact-arithmetic digit generator agrees with Rust's `{:e}` (plus the tie rule).
        #[test]
        fn exact_small_matches_fmt(bits in any::<u64>(), scale in -8i32..16, pick: bool) {
            let v = if pick {
                f64::from_bits(bits)
            } else {
                (bits % 1_000_000_007) as f64 * 10f64.powi(scale) / 7.0
            };
            prop_assume!(v.is_finite());
            if let Some(fast) = Digits::exact_small(v) {
                let slow = Digits::via_fmt(v);
                prop_assert_eq!(fast.digits(), slow.digits(), "{:e}", v);
                prop_assert_eq!(fast.exp, slow.exp, "{:e}", v);
            }
        }

        #[test]
        fn ujson_and_py_differ_only_in_exponent_padding(v in any::<f64>()) {
            prop_assume!(v.is_finite());
            let (p, u) = (py(v), uj(v));
            prop_assert_eq!(p.replace("e-0", "e-").replace("e+0", "e+"), u);
        }
    }
}
