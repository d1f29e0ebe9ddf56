//! Re-emitting an existing JSON text in another [`JsonStyle`] in one forward scan, without building
//! a tree and without recursion.

use super::escape::{escape_run, table, write_code_point, write_u_escape};
use super::float::write_number_classified;
use super::style::{JsonStyle, newline_indent};

/// Deepest nesting [`transcode`] accepts.
pub const MAX_DEPTH: usize = 10_000;

/// Why [`transcode`] rejected its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscodeError {
    /// The input is not valid JSON.
    #[error("invalid JSON at byte {offset}: {reason}")]
    Syntax {
        /// Byte offset in the input where the problem was found.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The input nests arrays/objects deeper than [`MAX_DEPTH`].
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// What the scanner accepts next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (top level, after `:` or after `,` in an array).
    Value,
    /// A value or `]`, right after `[`.
    ValueOrClose,
    /// A key or `}`, right after `{`.
    KeyOrClose,
    /// A key, after `,` in an object.
    Key,
    /// The `:` after a key.
    Colon,
    /// `,` or the closing bracket, after an element.
    CommaOrClose,
    /// Only whitespace, after the top-level value.
    End,
}

/// One bit per open container (set = object): the first 256 levels on the stack, deeper ones in a
/// heap vector that is only allocated for unusually deep input.
struct KindStack {
    inline: [u64; 4],
    spill: Vec<u64>,
}

impl KindStack {
    const INLINE_BITS: usize = 256;

    fn new() -> Self {
        KindStack {
            inline: [0; 4],
            spill: Vec::new(),
        }
    }

    #[inline]
    fn word_mut(&mut self, depth: usize) -> &mut u64 {
        if depth < Self::INLINE_BITS {
            &mut self.inline[depth / 64]
        } else {
            let w = (depth - Self::INLINE_BITS) / 64;
            if self.spill.len() <= w {
                self.spill.resize(w + 1, 0);
            }
            &mut self.spill[w]
        }
    }

    #[inline]
    fn set(&mut self, depth: usize, is_object: bool) {
        let bit = 1 << (depth % 64);
        let word = self.word_mut(depth);
        if is_object {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }

    #[inline]
    fn is_object(&self, depth: usize) -> bool {
        let word = if depth < Self::INLINE_BITS {
            self.inline.get(depth / 64)
        } else {
            self.spill.get((depth - Self::INLINE_BITS) / 64)
        };
        word.is_some_and(|w| w & (1 << (depth % 64)) != 0)
    }
}

#[inline]
fn syntax(offset: usize, reason: &'static str) -> TranscodeError {
    TranscodeError::Syntax { offset, reason }
}

/// Re-emits the JSON text `raw` into `out` in `style`, as if the value were written at nesting
/// `level`: the first byte goes at the current cursor, nested lines are indented by
/// `(level + 1) * indent`, and the closing bracket's line by `level * indent`.
///
/// Whitespace is dropped and re-laid out, strings are unescaped and re-escaped per the style (so
/// `\/`, `\u00e9` and `\ud83d\ude00` are normalised), numbers follow `style.numbers`. A lone
/// surrogate escape (e.g. `\ud800` without its pair) cannot be UTF-8, so it is kept as a lowercase
/// `\udXXX` escape in every style: lossless, and what Python's `json.dumps` writes for such a string.
///
/// (The reference ijson/yajl writes `?` for a lone high surrogate and fails on a lone low one.)
///
/// The scan is iterative with an explicit bit stack, so nesting is bounded by [`MAX_DEPTH`] and
/// never by the thread's stack; no heap allocation happens below 256 levels. On error `out` is truncated back to its length on entry. Raw control
/// characters inside strings (invalid JSON) are tolerated and escaped.
pub fn transcode(
    raw: &str,
    style: &JsonStyle,
    level: usize,
    out: &mut Vec<u8>,
) -> Result<(), TranscodeError> {
    let start_len = out.len();
    out.reserve(raw.len());
    let result = transcode_inner(raw.as_bytes(), style, level, out);
    if result.is_err() {
        out.truncate(start_len);
    }
    result
}

fn transcode_inner(
    b: &[u8],
    style: &JsonStyle,
    level: usize,
    out: &mut Vec<u8>,
) -> Result<(), TranscodeError> {
    let indent = style.indent;
    let item_sep = style.item_sep.as_bytes();
    let key_sep = style.key_sep.as_bytes();
    let table = table(style.escape_flags());
    let mut kinds = KindStack::new();
    let mut depth = 0usize;
    let mut expect = Expect::Value;
    let mut i = 0usize;

    loop {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        match expect {
            Expect::End => return Err(syntax(i, "trailing characters")),
            Expect::Colon => {
                if c != b':' {
                    return Err(syntax(i, "expected ':'"));
                }
                out.extend_from_slice(key_sep);
                expect = Expect::Value;
                i += 1;
            }
            Expect::CommaOrClose | Expect::ValueOrClose | Expect::KeyOrClose
                if c == b']' || c == b'}' =>
            {
                let in_object = kinds.is_object(depth);
                if (c == b'}') != in_object {
                    return Err(syntax(i, "mismatched closing bracket"));
                }
                if expect == Expect::CommaOrClose {
                    newline_indent(out, indent, level + depth - 1);
                }
                out.push(c);
                depth -= 1;
                expect = if depth == 0 {
                    Expect::End
                } else {
                    Expect::CommaOrClose
                };
                i += 1;
            }
            Expect::CommaOrClose => {
                if c != b',' {
                    return Err(syntax(i, "expected ',' or closing bracket"));
                }
                out.extend_from_slice(item_sep);
                newline_indent(out, indent, level + depth);
                expect = if kinds.is_object(depth) {
                    Expect::Key
                } else {
                    Expect::Value
                };
                i += 1;
            }
            Expect::KeyOrClose | Expect::Key => {
                if c != b'"' {
                    return Err(syntax(i, "expected a string key"));
                }
                if expect == Expect::KeyOrClose {
                    newline_indent(out, indent, level + depth);
                }
                i = transcode_string(b, i, out, table, style.ensure_ascii)?;
                expect = Expect::Colon;
            }
            Expect::Value | Expect::ValueOrClose => {
                if expect == Expect::ValueOrClose {
                    newline_indent(out, indent, level + depth);
                }
                let mut opened = false;
                match c {
                    b'{' | b'[' => {
                        if depth >= MAX_DEPTH {
                            return Err(TranscodeError::TooDeep);
                        }
                        depth += 1;
                        kinds.set(depth, c == b'{');
                        out.push(c);
                        opened = true;
                        expect = if c == b'{' {
                            Expect::KeyOrClose
                        } else {
                            Expect::ValueOrClose
                        };
                        i += 1;
                    }
                    b'"' => i = transcode_string(b, i, out, table, style.ensure_ascii)?,
                    b'-' | b'0'..=b'9' => {
                        let (end, is_float) = scan_number(b, i)?;
                        let lit = std::str::from_utf8(&b[i..end])
                            .map_err(|_| syntax(i, "invalid number"))?;
                        write_number_classified(out, lit, is_float, style.numbers);
                        i = end;
                    }
                    b't' | b'f' | b'n' => {
                        let lit: &[u8] = match c {
                            b't' => b"true",
                            b'f' => b"false",
                            _ => b"null",
                        };
                        if !b[i..].starts_with(lit) {
                            return Err(syntax(i, "invalid literal"));
                        }
                        out.extend_from_slice(lit);
                        i += lit.len();
                    }
                    _ => return Err(syntax(i, "expected a value")),
                }
                if !opened {
                    expect = if depth == 0 {
                        Expect::End
                    } else {
                        Expect::CommaOrClose
                    };
                }
            }
        }
    }
    if expect == Expect::End {
        Ok(())
    } else {
        Err(syntax(b.len(), "unexpected end of input"))
    }
}

/// Scans a JSON number starting at `i`; returns its end and whether it has a fraction or exponent.
fn scan_number(b: &[u8], mut i: usize) -> Result<(usize, bool), TranscodeError> {
    let start = i;
    let digits = |i: &mut usize| {
        let s = *i;
        while let Some(b'0'..=b'9') = b.get(*i) {
            *i += 1;
        }
        *i - s
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return Err(syntax(start, "invalid number")),
    }
    let mut is_float = false;
    if b.get(i) == Some(&b'.') {
        i += 1;
        is_float = true;
        if digits(&mut i) == 0 {
            return Err(syntax(start, "invalid number"));
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        is_float = true;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return Err(syntax(start, "invalid number"));
        }
    }
    Ok((i, is_float))
}

/// Reads four hex digits at `b[i..i + 4]`.
#[inline]
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let h = b.get(i..i + 4)?;
    h.iter().try_fold(0u32, |acc, &c| {
        let d = (c as char).to_digit(16)?;
        Some(acc << 4 | d)
    })
}

/// Transcodes the string whose opening quote is at `b[i]`; returns the index after its closing quote.
fn transcode_string(
    b: &[u8],
    i: usize,
    out: &mut Vec<u8>,
    table: &[u8; 256],
    ensure_ascii: bool,
) -> Result<usize, TranscodeError> {
    let open = i;
    out.push(b'"');
    let mut i = i + 1;
    loop {
        i = escape_run::<true>(out, b, i, table);
        match b.get(i) {
            Some(b'"') => {
                out.push(b'"');
                return Ok(i + 1);
            }
            Some(b'\\') => {
                let cp = match b.get(i + 1) {
                    Some(b'"') => u32::from(b'"'),
                    Some(b'\\') => u32::from(b'\\'),
                    Some(b'/') => u32::from(b'/'),
                    Some(b'b') => 0x08,
                    Some(b'f') => 0x0c,
                    Some(b'n') => u32::from(b'\n'),
                    Some(b'r') => u32::from(b'\r'),
                    Some(b't') => u32::from(b'\t'),
                    Some(b'u') => {
                        let cu = hex4(b, i + 2).ok_or_else(|| syntax(i, "invalid \\u escape"))?;
                        if (0xd800..0xdc00).contains(&cu)
                            && b.get(i + 6) == Some(&b'\\')
                            && b.get(i + 7) == Some(&b'u')
                            && let Some(lo @ 0xdc00..=0xdfff) = hex4(b, i + 8)
                        {
                            let cp = 0x1_0000 + ((cu - 0xd800) << 10) + (lo - 0xdc00);
                            write_code_point(out, cp, table, ensure_ascii);
                            i += 12;
                            continue;
                        }
                        if (0xd800..0xe000).contains(&cu) {
                            write_u_escape(out, cu);
                            i += 6;
                            continue;
                        }
                        i += 4;
                        cu
                    }
                    Some(_) => return Err(syntax(i, "invalid escape")),
                    None => return Err(syntax(open, "unterminated string")),
                };
                write_code_point(out, cp, table, ensure_ascii);
                i += 2;
            }
            _ => return Err(syntax(open, "unterminated string")),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::jsonfmt::NumberStyle;
    use proptest::prelude::*;
    use serde_json::Value;

    fn tc(raw: &str, style: &JsonStyle, level: usize) -> String {
        let mut o = Vec::new();
        transcode(raw, style, level, &mut o).unwrap();
        String::from_utf8(o).unwrap()
    }

    const ALL_STYLES: [JsonStyle; 9] = [
        JsonStyle::UJSON_PRETTY,
        JsonStyle::UJSON_PRETTY_ASCII,
        JsonStyle::UJSON_COMPACT,
        JsonStyle::UJSON_COMPACT_ASCII,
        JsonStyle::PY_JSON_PRETTY,
        JsonStyle::PY_JSON_LINE,
        JsonStyle::PY_JSON_LINE_UTF8,
        JsonStyle::CLEAN_PRETTY,
        JsonStyle::CLEAN_COMPACT,
    ];

    /// Input for the layout vectors below (note the odd whitespace and escapes).
    const DOC: &str = " {\"a\" :1,\"b\":[ 1 , 2.50,{\"c\":\"x\\/y\"}], \"d\":{ },\"e\":[[ ],{}],\r\n\
        \"f\":null,\"g\":true,\"h\":1.5e-5,\"i\":-0,\"j\":1E2,\"k\":\"\\u00e9\\ud83d\\ude00\\u007f<&>\"}\t";

    /// `o = next(ijson.items(io.BytesIO(DOC.encode()), '', use_float=True))`, then
    /// `ujson.dumps(o, indent=2, ensure_ascii=False)`.
    const DOC_UJSON_PRETTY: &str = "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2.5,\n    {\n      \"c\": \"x\\/y\"\n    }\n  ],\n  \"d\": {},\n  \"e\": [\n    [],\n    {}\n  ],\n  \"f\": null,\n  \"g\": true,\n  \"h\": 1.5e-5,\n  \"i\": 0,\n  \"j\": 100.0,\n  \"k\": \"é😀\u{7f}<&>\"\n}";
    /// `ujson.dumps(o, indent=2)`
    const DOC_UJSON_PRETTY_ASCII: &str = "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2.5,\n    {\n      \"c\": \"x\\/y\"\n    }\n  ],\n  \"d\": {},\n  \"e\": [\n    [],\n    {}\n  ],\n  \"f\": null,\n  \"g\": true,\n  \"h\": 1.5e-5,\n  \"i\": 0,\n  \"j\": 100.0,\n  \"k\": \"\\u00e9\\ud83d\\ude00\u{7f}<&>\"\n}";
    /// `ujson.dumps(o, ensure_ascii=False)`
    const DOC_UJSON_COMPACT: &str = "{\"a\":1,\"b\":[1,2.5,{\"c\":\"x\\/y\"}],\"d\":{},\"e\":[[],{}],\"f\":null,\"g\":true,\"h\":1.5e-5,\"i\":0,\"j\":100.0,\"k\":\"é😀\u{7f}<&>\"}";
    /// `json.dumps(o, indent=2, ensure_ascii=False)`
    const DOC_PY_PRETTY: &str = "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2.5,\n    {\n      \"c\": \"x/y\"\n    }\n  ],\n  \"d\": {},\n  \"e\": [\n    [],\n    {}\n  ],\n  \"f\": null,\n  \"g\": true,\n  \"h\": 1.5e-05,\n  \"i\": 0,\n  \"j\": 100.0,\n  \"k\": \"é😀\u{7f}<&>\"\n}";
    /// `json.dumps(o)`
    const DOC_PY_LINE: &str = "{\"a\": 1, \"b\": [1, 2.5, {\"c\": \"x/y\"}], \"d\": {}, \"e\": [[], {}], \"f\": null, \"g\": true, \"h\": 1.5e-05, \"i\": 0, \"j\": 100.0, \"k\": \"\\u00e9\\ud83d\\ude00\\u007f<&>\"}";

    #[test]
    fn reference_layouts() {
        assert_eq!(tc(DOC, &JsonStyle::UJSON_PRETTY, 0), DOC_UJSON_PRETTY);
        assert_eq!(
            tc(DOC, &JsonStyle::UJSON_PRETTY_ASCII, 0),
            DOC_UJSON_PRETTY_ASCII
        );
        assert_eq!(tc(DOC, &JsonStyle::UJSON_COMPACT, 0), DOC_UJSON_COMPACT);
        assert_eq!(tc(DOC, &JsonStyle::PY_JSON_PRETTY, 0), DOC_PY_PRETTY);
        assert_eq!(tc(DOC, &JsonStyle::PY_JSON_LINE, 0), DOC_PY_LINE);
    }

    #[test]
    fn clean_styles_keep_numbers() {
        assert_eq!(
            tc(
                "[1.50, -0, 1E2, {\"k\": \"a\\/b\"}]",
                &JsonStyle::CLEAN_COMPACT,
                0
            ),
            "[1.50,-0,1E2,{\"k\":\"a/b\"}]"
        );
        assert_eq!(
            tc("{\"a\":[1,{}]}", &JsonStyle::CLEAN_PRETTY, 0),
            "{\n  \"a\": [\n    1,\n    {}\n  ]\n}"
        );
    }

    #[test]
    fn empties_and_scalars() {
        for style in &ALL_STYLES {
            assert_eq!(tc(" [ ] ", style, 3), "[]");
            assert_eq!(tc("{\n}", style, 0), "{}");
            assert_eq!(tc("\"s\"", style, 0), "\"s\"");
            assert_eq!(tc("7", style, 0), "7");
            assert_eq!(tc(" null", style, 0), "null");
        }
        // ujson.dumps([[]], indent=2) == '[\n  []\n]'
        assert_eq!(
            tc("[[],{}]", &JsonStyle::UJSON_PRETTY, 0),
            "[\n  [],\n  {}\n]"
        );
    }

    #[test]
    fn base_level() {
        assert_eq!(
            tc("{\"a\":[1]}", &JsonStyle::UJSON_PRETTY, 2),
            "{\n      \"a\": [\n        1\n      ]\n    }"
        );
    }

    #[test]
    fn surrogates() {
        let s = &JsonStyle::UJSON_COMPACT;
        assert_eq!(tc(r#""\uD83D\uDE00""#, s, 0), "\"😀\"");
        assert_eq!(
            tc(r#""\uD83D\uDE00""#, &JsonStyle::UJSON_COMPACT_ASCII, 0),
            r#""\ud83d\ude00""#
        );
        // Lone surrogates are kept as escapes.
        assert_eq!(tc(r#""a\uD800b""#, s, 0), r#""a\ud800b""#);
        assert_eq!(tc(r#""\uDC00\uD800""#, s, 0), r#""\udc00\ud800""#);
        assert_eq!(tc(r#""\uD800\u0041""#, s, 0), r#""\ud800A""#);
        assert_eq!(tc(r#""\uD800\n""#, s, 0), r#""\ud800\n""#);
        assert_eq!(tc(r#""\uD800""#, s, 0), r#""\ud800""#);
    }

    #[test]
    fn errors_leave_buffer_untouched() {
        let bad = [
            "",
            " ",
            "[",
            "]",
            "[1,]",
            "{\"a\"}",
            "{\"a\":}",
            "{1:2}",
            "[1 2]",
            "[}",
            "{]",
            "tru",
            "nul",
            "01",
            "-",
            "1.",
            "1e",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "[1]]",
            "1 2",
            "{,}",
            "[,1]",
            "\"\\",
            "+1",
            ".5",
        ];
        for s in bad {
            let mut o = b"keep".to_vec();
            assert!(
                transcode(s, &JsonStyle::UJSON_PRETTY, 0, &mut o).is_err(),
                "{s:?}"
            );
            assert_eq!(o, b"keep");
        }
    }

    #[test]
    fn deep_nesting() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let mut o = Vec::new();
        transcode(&ok, &JsonStyle::CLEAN_COMPACT, 0, &mut o).unwrap();
        assert_eq!(o, ok.as_bytes());
        let mut o = Vec::new();
        transcode(&ok, &JsonStyle::CLEAN_PRETTY, 0, &mut o).unwrap();
        let deep = format!(
            "{}{}",
            "[{\"a\":".repeat(MAX_DEPTH),
            "1}]".repeat(MAX_DEPTH)
        );
        assert_eq!(
            transcode(&deep, &JsonStyle::UJSON_COMPACT, 0, &mut o),
            Err(TranscodeError::TooDeep)
        );
    }

    /// A test-only serializer that writes a `Value` with random whitespace and random `\u` escapes,
    /// so transcode sees the variety a `RawValue` can hold.
    fn weird_json(v: &Value, rng: &mut u64, out: &mut String) {
        fn next(rng: &mut u64) -> u64 {
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            *rng
        }
        fn ws(rng: &mut u64, out: &mut String) {
            for _ in 0..(next(rng) % 4).saturating_sub(1) {
                out.push([' ', '\n', '\t', '\r'][(next(rng) % 4) as usize]);
            }
        }
        fn string(s: &str, rng: &mut u64, out: &mut String) {
            out.push('"');
            for ch in s.chars() {
                let r = next(rng) % 4;
                match ch {
                    '"' | '\\' | '\u{0}'..='\u{1f}' => {
                        let mut buf = [0u16; 2];
                        out.push_str(&format!("\\u{:04X}", ch.encode_utf16(&mut buf)[0]));
                    }
                    '/' if r == 0 => out.push_str("\\/"),
                    _ if r == 1 => {
                        let mut buf = [0u16; 2];
                        for cu in ch.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{cu:04x}"));
                        }
                    }
                    _ => out.push(ch),
                }
            }
            out.push('"');
        }
        ws(rng, out);
        match v {
            Value::Array(a) => {
                out.push('[');
                for (k, x) in a.iter().enumerate() {
                    if k > 0 {
                        ws(rng, out);
                        out.push(',');
                    }
                    weird_json(x, rng, out);
                }
                ws(rng, out);
                out.push(']');
            }
            Value::Object(m) => {
                out.push('{');
                for (k, (key, x)) in m.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    string(key, rng, out);
                    ws(rng, out);
                    out.push(':');
                    weird_json(x, rng, out);
                }
                ws(rng, out);
                out.push('}');
            }
            Value::String(s) => string(s, rng, out),
            other => out.push_str(&other.to_string()),
        }
        ws(rng, out);
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            (-1000i32..1000, -30i32..30)
                .prop_map(|(m, e)| Value::from(f64::from(m) * 10f64.powi(e))),
            any::<String>().prop_map(Value::String),
            "[a-z/\"\\\\é😀\u{7f}\u{2028}\n]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec(("[a-z/é]{0,4}", inner), 0..8)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// Numbers compared by value: ints exactly, floats within a few ulps, because serde_json's default
    /// float parser is not always correctly rounded (exactness of the float writers is tested in
    /// `float.rs` with `str::parse`).
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                    (Some(p), Some(q), _, _) => p == q,
                    (_, _, Some(p), Some(q)) => p == q,
                    _ => match (x.as_f64(), y.as_f64()) {
                        (Some(p), Some(q)) => p == q || p.to_bits().abs_diff(q.to_bits()) <= 8,
                        _ => false,
                    },
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
            }
            _ => a == b,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn round_trips_in_every_style(v in arb_value(), seed in 1u64.., level in 0usize..3) {
            let inputs = [
                serde_json::to_string(&v).unwrap(),
                serde_json::to_string_pretty(&v).unwrap(),
                { let mut s = String::new(); let mut r = seed; weird_json(&v, &mut r, &mut s); s },
            ];
            for raw in &inputs {
                // The input must be what a RawValue can hold.
                let _: Box<serde_json::value::RawValue> = serde_json::from_str(raw).unwrap();
                for style in &ALL_STYLES {
                    let mut o = Vec::new();
                    transcode(raw, style, level, &mut o).unwrap();
                    let text = std::str::from_utf8(&o).unwrap();
                    if style.ensure_ascii {
                        prop_assert!(text.is_ascii());
                    }
                    if style.indent.is_none() {
                        prop_assert!(!text.contains('\n'));
                    }
                    let back: Value = serde_json::from_str(text).unwrap();
                    if style.numbers == NumberStyle::Verbatim {
                        let parsed_input: Value = serde_json::from_str(raw).unwrap();
                        prop_assert_eq!(&back, &parsed_input, "{}", text);
                    }
                    prop_assert!(same(&back, &v), "{} vs {}", text, v);
                    // Re-transcoding the output is a fixed point.
                    let mut o2 = Vec::new();
                    transcode(text, style, level, &mut o2).unwrap();
                    prop_assert_eq!(&o2, &o);
                }
            }
        }

        #[test]
        fn never_panics_on_garbage(s in any::<String>()) {
            for style in &ALL_STYLES {
                let _ = transcode(&s, style, 1, &mut Vec::new());
            }
        }

        #[test]
        fn mutated_json_validity_matches_raw_value(
            v in arb_value(),
            pos in any::<prop::sample::Index>(),
            insert in prop::option::of(prop::sample::select(&['[', ']', '{', '}', ':', ',', '"', '\\', '0', '-', '.', 'e', 'u', ' '][..])),
        ) {
            let mut s = serde_json::to_string(&v).unwrap();
            let at = pos.index(s.len() + 1);
            let at = (0..=at).rev().find(|&k| s.is_char_boundary(k)).unwrap_or(0);
            match insert {
                Some(c) => s.insert(at, c),
                None if at < s.len() => { s.remove(at); }
                None => {}
            }
            let valid = serde_json::from_str::<Box<serde_json::value::RawValue>>(&s).is_ok();
            let mut o = Vec::new();
            let ok = transcode(&s, &JsonStyle::UJSON_PRETTY, 0, &mut o).is_ok();
            // Raw control characters inside strings are the one thing transcode tolerates.
            prop_assert!(ok == valid || (ok && s.bytes().any(|b| b < 0x20)), "{:?}", s);
        }

        #[test]
        fn accepts_exactly_what_raw_value_accepts(s in "[\\[\\]{}:, \"\\\\/u0-9a-fDEtrlsn.+\\-]{0,40}") {
            let valid = serde_json::from_str::<Box<serde_json::value::RawValue>>(&s).is_ok();
            for style in &ALL_STYLES {
                let mut o = Vec::new();
                prop_assert_eq!(transcode(&s, style, 0, &mut o).is_ok(), valid, "{:?}", s);
                if valid {
                    let text = std::str::from_utf8(&o).unwrap();
                    prop_assert!(serde_json::from_str::<Box<serde_json::value::RawValue>>(text).is_ok());
                }
            }
        }

    }
}
