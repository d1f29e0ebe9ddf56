//! A tiny XML element writer in two layouts: Label Studio's (minidom `writexml` with no
//! indent: one element per line, Python 3.11 text escaping) and the clean one (2-space
//! indent, text escaped so that any string survives a round trip through an XML parser).

/// The XML declaration both layouts start with.
pub(crate) const DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// An element writer appending to a buffer.
#[derive(Debug)]
pub(crate) struct Xml<'b> {
    buf: &'b mut Vec<u8>,
    compat: bool,
    depth: usize,
}

impl<'b> Xml<'b> {
    /// A writer in Label Studio's layout (`compat`) or the clean one.
    pub(crate) fn new(buf: &'b mut Vec<u8>, compat: bool) -> Self {
        Xml {
            buf,
            compat,
            depth: 0,
        }
    }

    /// A writer that continues inside `depth` open elements (their tags already written).
    pub(crate) fn at_depth(buf: &'b mut Vec<u8>, compat: bool, depth: usize) -> Self {
        Xml { buf, compat, depth }
    }

    fn indent(&mut self) {
        if !self.compat {
            self.buf.extend(std::iter::repeat_n(b' ', 2 * self.depth));
        }
    }

    /// `<tag>` on its own line; children follow.
    pub(crate) fn open(&mut self, tag: &str) {
        self.indent();
        self.buf.push(b'<');
        self.buf.extend_from_slice(tag.as_bytes());
        self.buf.extend_from_slice(b">\n");
        self.depth += 1;
    }

    /// `</tag>` closing the innermost open element.
    pub(crate) fn close(&mut self, tag: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(tag.as_bytes());
        self.buf.extend_from_slice(b">\n");
    }

    /// `<tag>text</tag>` on one line.
    pub(crate) fn leaf(&mut self, tag: &str, text: &str) {
        self.start_leaf(tag);
        self.text(text);
        self.end_leaf(tag);
    }

    /// The start of a leaf (`<tag>`), for text written later.
    pub(crate) fn start_leaf(&mut self, tag: &str) {
        self.indent();
        self.buf.push(b'<');
        self.buf.extend_from_slice(tag.as_bytes());
        self.buf.push(b'>');
    }

    /// The end of a leaf (`</tag>` and a newline).
    pub(crate) fn end_leaf(&mut self, tag: &str) {
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(tag.as_bytes());
        self.buf.extend_from_slice(b">\n");
    }

    /// Escaped text.
    pub(crate) fn text(&mut self, text: &str) {
        if self.compat {
            escape_minidom(self.buf, text)
        } else {
            escape_clean(self.buf, text)
        }
    }
}

/// minidom's `_write_data` (Python 3.11): `&`, `<`, `"` and `>` become entities; nothing else
/// is touched (control characters are written as they are).
pub(crate) fn escape_minidom(out: &mut Vec<u8>, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'"' => b"&quot;",
            b'>' => b"&gt;",
            _ => continue,
        };
        out.extend_from_slice(&text.as_bytes()[last..i]);
        out.extend_from_slice(rep);
        last = i + 1;
    }
    out.extend_from_slice(&text.as_bytes()[last..]);
}

/// Clean text escaping: `&`, `<`, `>` become entities, `\r` becomes `&#13;` (a parser would
/// otherwise turn it into `\n`), and characters XML 1.0 cannot carry at all (C0 controls other
/// than tab and newline, U+FFFE, U+FFFF) become U+FFFD.
pub(crate) fn escape_clean(out: &mut Vec<u8>, text: &str) {
    let mut tmp = [0u8; 4];
    for c in text.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '\r' => out.extend_from_slice(b"&#13;"),
            '\t' | '\n' => out.push(c as u8),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {
                out.extend_from_slice("\u{fffd}".as_bytes())
            }
            _ => out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut b = Vec::new();
        f(&mut b);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn minidom_escaping() {
        assert_eq!(
            s(|b| escape_minidom(b, "a&b<c>\"d' \u{1}\r\n")),
            "a&amp;b&lt;c&gt;&quot;d' \u{1}\r\n"
        );
    }

    #[test]
    fn clean_escaping() {
        assert_eq!(
            s(|b| escape_clean(b, "a&b<c>\"d' \u{1}\r\n\t\u{ffff}é")),
            "a&amp;b&lt;c&gt;\"d' \u{fffd}&#13;\n\t\u{fffd}é"
        );
    }

    #[test]
    fn layouts() {
        let doc = |compat| {
            s(|b| {
                let mut x = Xml::new(b, compat);
                x.open("a");
                x.leaf("b", "1");
                x.open("c");
                x.leaf("d", "");
                x.close("c");
                x.close("a");
            })
        };
        assert_eq!(doc(true), "<a>\n<b>1</b>\n<c>\n<d></d>\n</c>\n</a>\n");
        assert_eq!(
            doc(false),
            "<a>\n  <b>1</b>\n  <c>\n    <d></d>\n  </c>\n</a>\n"
        );
    }
}
