//! Tab-separated rows: `\t` between cells, `\n` after each row, `"` around a cell only when
//! it holds a tab, a line break or a quote (quotes doubled), as Python's `QUOTE_MINIMAL`.

/// Appends one cell (with the separator before it unless it is the first).
pub fn cell(out: &mut Vec<u8>, first: bool, value: &str) {
    if !first {
        out.push(b'\t');
    }
    if value
        .bytes()
        .any(|b| matches!(b, b'\t' | b'\n' | b'\r' | b'"'))
    {
        out.push(b'"');
        for b in value.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

/// Appends a row.
pub fn row(out: &mut Vec<u8>, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        cell(out, i == 0, c);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        let mut v = Vec::new();
        row(&mut v, &["a b", "x\ty", "line\nbreak", "say \"hi\"", ""]);
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "a b\t\"x\ty\"\t\"line\nbreak\"\t\"say \"\"hi\"\"\"\t\n"
        );
    }
}
