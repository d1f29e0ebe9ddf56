//! Cell encoding: Python's `csv` `QUOTE_NONNUMERIC` (compat) and minimal RFC 4180 quoting (clean).

use exportkit_core::jsonfmt::{self, JsonStyle, NumberStyle};
use exportkit_core::{Error, ErrorKind, Result};

/// Writes `s` quoted, with `"` doubled (every string cell in `QUOTE_NONNUMERIC`).
pub fn write_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut at = 0;
    for i in memchr_iter(s) {
        out.extend_from_slice(&s[at..=i]);
        out.push(b'"');
        at = i + 1;
    }
    out.extend_from_slice(&s[at..]);
    out.push(b'"');
}

fn memchr_iter(s: &[u8]) -> impl Iterator<Item = usize> + '_ {
    s.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'"')
        .map(|(i, _)| i)
}

/// Writes `s` as a clean cell: quoted only when it holds the delimiter, a quote, CR or LF.
pub fn write_clean_cell(out: &mut Vec<u8>, s: &[u8], delimiter: u8) {
    if s.iter()
        .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
    {
        write_quoted(out, s);
    } else {
        out.extend_from_slice(s);
    }
}

fn transcode_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Input, e.to_string())
}

/// Writes a raw JSON value as a cell.
///
/// Compat: strings quoted; integers and floats as Python prints them, unquoted; `true`/`false`
/// as `True`/`False`; `null` as `""`; objects and lists as compact ujson, quoted.
/// Clean: strings as text; numbers as written; `true`/`false`; `null` empty; objects and lists
/// as compact JSON; quoted only when needed.
pub fn write_value(
    out: &mut Vec<u8>,
    raw: &str,
    compat: bool,
    delimiter: u8,
    scratch: &mut Vec<u8>,
) -> Result<()> {
    scratch.clear();
    match raw.as_bytes().first() {
        Some(b'"') => {
            let s: std::borrow::Cow<'_, str> = serde_json::from_str(raw).map_err(transcode_err)?;
            if compat {
                write_quoted(out, s.as_bytes());
            } else {
                write_clean_cell(out, s.as_bytes(), delimiter);
            }
        }
        Some(b'{' | b'[') => {
            let style = if compat {
                JsonStyle::UJSON_COMPACT
            } else {
                JsonStyle::CLEAN_COMPACT
            };
            jsonfmt::transcode(raw, &style, 0, scratch).map_err(transcode_err)?;
            if compat {
                write_quoted(out, scratch);
            } else {
                write_clean_cell(out, scratch, delimiter);
            }
        }
        Some(b'n') => write_empty(out, compat),
        Some(b't') => out.extend_from_slice(if compat { b"True" } else { b"true" }),
        Some(b'f') => out.extend_from_slice(if compat { b"False" } else { b"false" }),
        Some(_) => jsonfmt::write_number(
            out,
            raw,
            if compat {
                NumberStyle::Python
            } else {
                NumberStyle::Verbatim
            },
        ),
        None => {}
    }
    Ok(())
}

/// Writes a string cell (`str` in Python).
pub fn write_text(out: &mut Vec<u8>, s: &str, compat: bool, delimiter: u8) {
    if compat {
        write_quoted(out, s.as_bytes());
    } else {
        write_clean_cell(out, s.as_bytes(), delimiter);
    }
}

/// Writes an empty cell (`""` in compat).
pub fn write_empty(out: &mut Vec<u8>, compat: bool) {
    if compat {
        out.extend_from_slice(b"\"\"");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(raw: &str, compat: bool) -> String {
        let mut out = Vec::new();
        write_value(&mut out, raw, compat, b',', &mut Vec::new()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn compat_cells_follow_quote_nonnumeric() {
        assert_eq!(cell(r#""a \"b\", c""#, true), r#""a ""b"", c""#);
        assert_eq!(cell("1E-7", true), "1e-07");
        assert_eq!(cell("-0", true), "0");
        assert_eq!(cell("true", true), "True");
        assert_eq!(cell("null", true), "\"\"");
        assert_eq!(
            cell(r#"{"a": [1, 2.50], "u": "x/y"}"#, true),
            r#""{""a"":[1,2.5],""u"":""x\/y""}""#
        );
    }

    #[test]
    fn clean_cells_quote_only_when_needed() {
        assert_eq!(cell(r#""plain""#, false), "plain");
        assert_eq!(cell(r#""a,b""#, false), r#""a,b""#);
        assert_eq!(cell("1E-7", false), "1E-7");
        assert_eq!(cell("null", false), "");
        assert_eq!(cell(r#"{"u": "x/y"}"#, false), r#""{""u"":""x/y""}""#);
    }
}
