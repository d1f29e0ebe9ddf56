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

/// XML 1.0 (5th edition) `NameStartChar`, as libxml2 uses by default.
fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 (5th edition) `NameChar`.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// An XML `Name`.
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

/// Whether every quoted attribute value in the raw attribute text of a tag is followed by
/// whitespace or the end of the tag (`a="1"b="2"` is an error in XML; quick-xml accepts it).
pub(crate) fn attrs_separated(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        match quote {
            None if c == b'"' || c == b'\'' => quote = Some(c),
            Some(q) if c == q => {
                quote = None;
                if let Some(n) = b.get(i + 1)
                    && !matches!(n, b' ' | b'\t' | b'\n' | b'\r' | b'/')
                {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// Parses `s` as an RFC 3986 URI reference, as libxml2 checks namespace names: `None` if
/// invalid, else whether it is absolute (has a scheme).
pub(crate) fn uri_kind(s: &str) -> Option<bool> {
    if !is_uri_reference(s) {
        return None;
    }
    let head_end = s.find(['/', '?', '#']).unwrap_or(s.len());
    Some(s.get(..head_end).is_some_and(|h| h.contains(':')))
}

/// An RFC 3986 URI reference, checked like libxml2's `xmlParseURIReference` (which also
/// accepts `[`/`]` in a fragment).
pub(crate) fn is_uri_reference(s: &str) -> bool {
    // split off fragment and query
    let (rest, fragment) = match s.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (s, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let pchars_ok = |part: &str, extra: &[u8]| pct_ok(part, |c| is_pchar(c) || extra.contains(&c));
    if !fragment.is_none_or(|f| pchars_ok(f, b"/?[]")) || !query.is_none_or(|q| pchars_ok(q, b"/?"))
    {
        return false;
    }
    // scheme: a ':' before the first '/'
    let head_end = rest.find('/').unwrap_or(rest.len());
    let rest = match rest.get(..head_end).and_then(|h| h.find(':')) {
        Some(colon) => {
            let scheme = rest.get(..colon).unwrap_or("").as_bytes();
            let ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
            if !ok {
                return false;
            }
            rest.get(colon + 1..).unwrap_or("")
        }
        None => rest,
    };
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            let authority = after.get(..end).unwrap_or("");
            if !authority_ok(authority) {
                return false;
            }
            after.get(end..).unwrap_or("")
        }
        None => rest,
    };
    pchars_ok(path, b"/")
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(c: u8) -> bool {
    b"!$&'()*+,;=".contains(&c)
}

fn is_pchar(c: u8) -> bool {
    is_unreserved(c) || is_sub_delim(c) || c == b':' || c == b'@'
}

/// Every byte is allowed by `ok` or starts a `%XX` escape.
fn pct_ok(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = |k: usize| b.get(i + k).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(1) && hex(2)) {
                return false;
            }
            i += 3;
        } else if ok(c) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// `[userinfo "@"] host [":" port]`, host a reg-name or a bracketed IP literal.
fn authority_ok(a: &str) -> bool {
    let (userinfo, hostport) = match a.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, a),
    };
    if !userinfo.is_none_or(|u| pct_ok(u, |c| is_unreserved(c) || is_sub_delim(c) || c == b':')) {
        return false;
    }
    let (host, port) = if let Some(lit) = hostport.strip_prefix('[') {
        let Some((inside, after)) = lit.split_once(']') else {
            return false;
        };
        if inside.is_empty()
            || !inside
                .bytes()
                .all(|c| is_unreserved(c) || is_sub_delim(c) || c == b':')
        {
            return false;
        }
        match after.strip_prefix(':') {
            Some(p) => ("", Some(p)),
            None if after.is_empty() => ("", None),
            None => return false,
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    pct_ok(host, |c| is_unreserved(c) || is_sub_delim(c))
        && port.is_none_or(|p| p.bytes().all(|c| c.is_ascii_digit()))
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
    fn attribute_separation() {
        assert!(attrs_separated(r#" a="1" b='2' "#));
        assert!(attrs_separated(r#" a="1"/"#));
        assert!(attrs_separated(r#" a="x'y""#));
        assert!(!attrs_separated(r#" a="1"b="2""#));
    }

    #[test]
    fn uri_references_like_libxml2() {
        for ok in [
            "",
            "x",
            "urn:x",
            "a:b:c",
            "http://[::1]/",
            "#frag",
            "http://e.com/%20",
        ] {
            assert!(is_uri_reference(ok), "{ok}");
        }
        for bad in [
            "a b",
            "$http://e.com",
            "h>ttp://e",
            "http://e.com/%zz",
            "http://e.com/{x}",
            "1a:b",
            "é",
            "a\\b",
            "a|b",
            "a\"b",
        ] {
            assert!(!is_uri_reference(bad), "{bad}");
        }
        assert_eq!(uri_kind("rel"), Some(false));
        assert_eq!(uri_kind("urn:x"), Some(true));
        assert_eq!(uri_kind("a b"), None);
    }

    #[test]
    fn names() {
        assert!(is_name("View"));
        assert!(is_name("ls:Image"));
        assert!(is_name("a-b.c_d1"));
        assert!(!is_name("1a"));
        assert!(!is_name(""));
        assert!(!is_name("a b"));
        assert!(is_name("\u{FEFF}value")); // U+FEFF is a NameStartChar
        assert!(is_name("é·x"));
        assert!(!is_name("\u{D7}"));
    }
}
