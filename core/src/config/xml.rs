//! Lexical XML 1.0 checks that quick-xml leaves to the caller but lxml (and so LS) enforces:
//! allowed characters, names, references, and attribute-value normalisation.

/// Whether `c` may appear in an XML 1.0 document.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

/// Byte offset and character of the first character not allowed in XML 1.0.
pub(crate) fn find_bad_char(s: &str) -> Option<(usize, char)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
            return Some((i, char::from(b)));
        }
        // U+FFFE / U+FFFF are EF BF BE / EF BF BF
        if b == 0xEF && bytes.get(i + 1) == Some(&0xBF) {
            match bytes.get(i + 2) {
                Some(0xBE) => return Some((i, '\u{FFFE}')),
                Some(0xBF) => return Some((i, '\u{FFFF}')),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':' || (!c.is_ascii() && c.is_alphanumeric())
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c.is_ascii_digit()
        || matches!(c, '-' | '.' | '\u{B7}')
        || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
}

/// An XML Name (approximation of the spec's production: ASCII exact, non-ASCII permissive).
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// What a reference `&...;` stands for: one of the five predefined entities or a character
/// reference to an allowed character. Anything else is an error (DTD entities are never
/// expanded, and an undeclared entity is an error in lxml too).
pub(crate) fn resolve_reference(name: &str) -> Result<char, String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x') {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => num.parse().ok(),
            _ => return Err(format!("malformed character reference &{name};")),
        };
        return match code.and_then(char::from_u32) {
            Some(c) if is_xml_char(c) => Ok(c),
            _ => Err(format!(
                "character reference &{name}; is not an allowed XML character"
            )),
        };
    }
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(format!(
            "entity &{name}; is not defined (DTD entities are never expanded)"
        )),
    }
}

/// Normalises a raw attribute value the way an XML parser does for CDATA attributes:
/// references resolved, and each literal tab, newline, CR or CR-LF turned into one space.
/// Errors carry the byte offset inside `raw`.
pub(crate) fn normalize_attr(raw: &str) -> Result<String, (usize, String)> {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            '<' => return Err((i, "'<' is not allowed in attribute values".into())),
            '\t' | '\n' => out.push(' '),
            '\r' => {
                if it.peek().is_some_and(|&(_, n)| n == '\n') {
                    it.next();
                }
                out.push(' ');
            }
            '&' => {
                let rest = raw.get(i + 1..).unwrap_or("");
                let Some(end) = rest.find(';') else {
                    return Err((i, "'&' without ';' in attribute value".into()));
                };
                let name = rest.get(..end).unwrap_or("");
                if !name.starts_with('#') && !is_name(name) {
                    return Err((i, "'&' not followed by a reference name".into()));
                }
                out.push(resolve_reference(name).map_err(|m| (i, m))?);
                // skip the name and the ';'
                for _ in 0..name.chars().count() + 1 {
                    it.next();
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_normalisation_matches_lxml() {
        // lxml: toName="a,\n\tb" -> "a,  b"; value="x&#10;y\r\nz" -> "x\ny z"
        assert_eq!(normalize_attr("a,\n\tb").as_deref(), Ok("a,  b"));
        assert_eq!(normalize_attr("x&#10;y\r\nz").as_deref(), Ok("x\ny z"));
        assert_eq!(
            normalize_attr("&#65;&#x42;&lt;&amp;&quot;").as_deref(),
            Ok("AB<&\"")
        );
        assert!(normalize_attr("&#0;").is_err());
        assert!(normalize_attr("&#xD800;").is_err());
        assert!(normalize_attr("&#1;").is_err());
        assert!(normalize_attr("&amp").is_err());
        assert!(normalize_attr("&foo;").is_err());
        assert!(normalize_attr("a<b").is_err());
        assert!(normalize_attr("& x;").is_err());
        assert_eq!(normalize_attr("é&#x1F600;").as_deref(), Ok("é😀"));
    }

    #[test]
    fn bad_chars() {
        assert_eq!(find_bad_char("ok\t\n\r é"), None);
        assert_eq!(find_bad_char("ab\u{1}"), Some((2, '\u{1}')));
        assert_eq!(find_bad_char("a\u{FFFF}"), Some((1, '\u{FFFF}')));
        assert_eq!(find_bad_char("a\u{FFFD}"), None);
    }

    #[test]
    fn names() {
        assert!(is_name("View"));
        assert!(is_name("ls:Image"));
        assert!(is_name("a-b.c_d1"));
        assert!(!is_name("1a"));
        assert!(!is_name(""));
        assert!(!is_name("a b"));
    }
}
