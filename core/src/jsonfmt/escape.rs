//! JSON string escaping, table driven, with a fast path for runs that need no escaping.
//!
//! Facts checked against ujson 6.1.0 and CPython 3.11 `json`:
//! * both use the short escapes `\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r` and `\u00XX` (lowercase hex)
//!   for every other control character below 0x20;
//! * ujson escapes `/` as `\/` (default `escape_forward_slashes=True`); `json` never does;
//! * neither escapes `<`, `>`, `&`, U+2028 or U+2029 (ujson's `encode_html_chars` is off by default);
//! * with `ensure_ascii`, non-ASCII becomes `\uXXXX` in lowercase hex with surrogate pairs above the
//!   BMP; `json` then also escapes DEL (0x7f) as `\u007f`, ujson leaves DEL raw.

use super::style::JsonStyle;

/// Table entry: byte needs no escape.
const KEEP: u8 = 0;
/// Table entry: write `\u00XX`.
const HEX: u8 = b'u';
/// Table entry: first byte of a non-ASCII character to be written as `\uXXXX`.
const NON_ASCII: u8 = b'U';

/// Escape flag bits (see [`JsonStyle::escape_flags`]).
const F_SLASH: u8 = 1;
const F_ASCII: u8 = 2;
const F_DEL: u8 = 4;

const fn build_table(flags: u8) -> [u8; 256] {
    let mut t = [KEEP; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match i as u8 {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            b'\t' => b't',
            b'\n' => b'n',
            0x0c => b'f',
            b'\r' => b'r',
            0x00..=0x1f => HEX,
            b'/' if flags & F_SLASH != 0 => b'/',
            0x7f if flags & F_DEL != 0 => HEX,
            0x80..=0xff if flags & F_ASCII != 0 => NON_ASCII,
            _ => KEEP,
        };
        i += 1;
    }
    t
}

/// One table per combination of the three escape flags.
static TABLES: [[u8; 256]; 8] = [
    build_table(0),
    build_table(1),
    build_table(2),
    build_table(3),
    build_table(4),
    build_table(5),
    build_table(6),
    build_table(7),
];

/// The escape table for a style's flags.
#[inline]
pub(crate) fn table(flags: u8) -> &'static [u8; 256] {
    &TABLES[usize::from(flags & 7)]
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Writes `\uXXXX` (lowercase hex) for one UTF-16 code unit.
#[inline]
pub(crate) fn write_u_escape(out: &mut Vec<u8>, cu: u32) {
    out.extend_from_slice(&[
        b'\\',
        b'u',
        HEX_DIGITS[((cu >> 12) & 0xf) as usize],
        HEX_DIGITS[((cu >> 8) & 0xf) as usize],
        HEX_DIGITS[((cu >> 4) & 0xf) as usize],
        HEX_DIGITS[(cu & 0xf) as usize],
    ]);
}

/// Writes a code point beyond ASCII as `\uXXXX`, or as a surrogate pair above the BMP.
#[inline]
fn write_non_ascii_escape(out: &mut Vec<u8>, cp: u32) {
    if cp > 0xffff {
        let c = cp - 0x1_0000;
        write_u_escape(out, 0xd800 | (c >> 10));
        write_u_escape(out, 0xdc00 | (c & 0x3ff));
    } else {
        write_u_escape(out, cp);
    }
}

/// Decodes the UTF-8 sequence starting at `b[i]` (a lead byte of valid UTF-8); returns the code
/// point and its length. Invalid or truncated input yields U+FFFD for one byte.
#[inline]
fn decode_utf8(b: &[u8], i: usize) -> (u32, usize) {
    let cont = |k: usize| b.get(i + k).map_or(0, |&c| u32::from(c & 0x3f));
    match b.get(i) {
        Some(&c @ 0xc0..=0xdf) => ((u32::from(c & 0x1f) << 6) | cont(1), 2),
        Some(&c @ 0xe0..=0xef) => ((u32::from(c & 0x0f) << 12) | (cont(1) << 6) | cont(2), 3),
        Some(&c @ 0xf0..=0xf7) => (
            (u32::from(c & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
            4,
        ),
        _ => (0xfffd, 1),
    }
}

/// Writes the escape for byte `b` whose table entry `esc` is not [`KEEP`] (ASCII only).
#[inline]
fn write_ascii_escape(out: &mut Vec<u8>, b: u8, esc: u8) {
    if esc == HEX {
        write_u_escape(out, u32::from(b));
    } else {
        out.extend_from_slice(&[b'\\', esc]);
    }
}

/// Copies `b[i..]` to `out`, escaping per `table`. With `STOP_AT_QUOTE`, stops at the first `"` or `\`
/// and returns its index (the caller handles it); otherwise escapes those too and returns `b.len()`.
///
/// `b` must be valid UTF-8 from index `i` when the table escapes non-ASCII.
#[inline]
pub(crate) fn escape_run<const STOP_AT_QUOTE: bool>(
    out: &mut Vec<u8>,
    b: &[u8],
    mut i: usize,
    table: &[u8; 256],
) -> usize {
    let mut start = i;
    while i < b.len() {
        // Fast path: skip bytes that need no escaping, eight at a time where possible.
        while let Some(chunk) = b.get(i..i + 8) {
            if chunk.iter().any(|&c| table[usize::from(c)] != KEEP) {
                break;
            }
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if table[usize::from(c)] != KEEP {
                break;
            }
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        let esc = table[usize::from(c)];
        if STOP_AT_QUOTE && (c == b'"' || c == b'\\') {
            out.extend_from_slice(&b[start..i]);
            return i;
        }
        out.extend_from_slice(&b[start..i]);
        if esc == NON_ASCII {
            let (cp, len) = decode_utf8(b, i);
            write_non_ascii_escape(out, cp);
            i += len;
        } else {
            write_ascii_escape(out, c, esc);
            i += 1;
        }
        start = i;
    }
    let end = b.len();
    out.extend_from_slice(b.get(start..).unwrap_or_default());
    end
}

/// Writes one decoded code point (from a JSON escape) per `table`; `ensure_ascii` comes from the
/// style. Surrogate code points (lone surrogates) are always written as a `\uXXXX` escape.
#[inline]
pub(crate) fn write_code_point(out: &mut Vec<u8>, cp: u32, table: &[u8; 256], ensure_ascii: bool) {
    if cp < 0x80 {
        let b = cp as u8;
        let esc = table[usize::from(b)];
        if esc == KEEP {
            out.push(b);
        } else {
            write_ascii_escape(out, b, esc);
        }
    } else if ensure_ascii {
        write_non_ascii_escape(out, cp);
    } else if let Some(ch) = char::from_u32(cp) {
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    } else {
        write_u_escape(out, cp);
    }
}

/// Writes `s` as a quoted JSON string escaped per `style` (`escape_slash`, `ensure_ascii`,
/// `escape_del`). Runs with nothing to escape are copied in bulk.
pub fn write_str(out: &mut Vec<u8>, s: &str, style: &JsonStyle) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    escape_run::<false>(out, s.as_bytes(), 0, table(style.escape_flags()));
    out.push(b'"');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn esc(s: &str, style: &JsonStyle) -> String {
        let mut o = Vec::new();
        write_str(&mut o, s, style);
        String::from_utf8(o).unwrap()
    }

    fn ascii_0_to_7f() -> String {
        (0u8..0x80).map(char::from).collect()
    }

    /// `s = ''.join(map(chr, range(0x80)))`; `ujson.dumps(s, ensure_ascii=False)`; the same with
    /// `ensure_ascii=True` is identical (DEL stays raw).
    const UJSON_ASCII_RANGE: &str = "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f !\\\"#$%&'()*+,-.\\/0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\u{7f}\"";
    /// `json.dumps(s)` (ensure_ascii=True): no `\/`, DEL escaped.
    const PY_ASCII_RANGE: &str = "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\\u007f\"";

    #[test]
    fn ascii_range() {
        let s = ascii_0_to_7f();
        assert_eq!(esc(&s, &JsonStyle::UJSON_COMPACT), UJSON_ASCII_RANGE);
        assert_eq!(esc(&s, &JsonStyle::UJSON_COMPACT_ASCII), UJSON_ASCII_RANGE);
        assert_eq!(esc(&s, &JsonStyle::PY_JSON_LINE), PY_ASCII_RANGE);
        // json.dumps(s, ensure_ascii=False): like ensure_ascii=True but DEL raw.
        assert_eq!(
            esc(&s, &JsonStyle::PY_JSON_LINE_UTF8),
            PY_ASCII_RANGE.replace("\\u007f", "\u{7f}")
        );
        assert_eq!(
            esc(&s, &JsonStyle::CLEAN_COMPACT),
            UJSON_ASCII_RANGE.replace("\\/", "/")
        );
    }

    /// `t = 'é\u2028\u2029\x80\x9f\xa0\ufeff😀\U0010ffff\uffff'`; `ujson.dumps(t)` and
    /// `json.dumps(t)` both give the escaped form; with `ensure_ascii=False` both copy `t`.
    #[test]
    fn non_ascii() {
        let t = "é\u{2028}\u{2029}\u{80}\u{9f}\u{a0}\u{feff}😀\u{10ffff}\u{ffff}";
        let escaped =
            r#""\u00e9\u2028\u2029\u0080\u009f\u00a0\ufeff\ud83d\ude00\udbff\udfff\uffff""#;
        assert_eq!(esc(t, &JsonStyle::UJSON_PRETTY_ASCII), escaped);
        assert_eq!(esc(t, &JsonStyle::PY_JSON_LINE), escaped);
        let raw = format!("\"{t}\"");
        assert_eq!(esc(t, &JsonStyle::UJSON_PRETTY), raw);
        assert_eq!(esc(t, &JsonStyle::PY_JSON_PRETTY), raw);
        assert_eq!(esc(t, &JsonStyle::CLEAN_PRETTY), raw);
    }

    #[test]
    fn long_runs_and_mixed() {
        let s = "abcdefghijklmnopqrstuvwxyz/0123456789\"é\n".repeat(3);
        let mut expect = String::from("\"");
        for _ in 0..3 {
            expect.push_str("abcdefghijklmnopqrstuvwxyz\\/0123456789\\\"\\u00e9\\n");
        }
        expect.push('"');
        assert_eq!(esc(&s, &JsonStyle::UJSON_COMPACT_ASCII), expect);
        assert_eq!(esc("", &JsonStyle::UJSON_COMPACT), "\"\"");
        assert_eq!(
            esc("/data/upload/1/фото.jpg", &JsonStyle::UJSON_PRETTY_ASCII),
            r#""\/data\/upload\/1\/\u0444\u043e\u0442\u043e.jpg""#
        );
    }
}
