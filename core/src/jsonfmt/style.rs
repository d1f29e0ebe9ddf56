//! Output styles: layout, escaping and number rules, with presets matching the reference libraries.

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberStyle {
    /// JSON number literals are copied as written; `f64` values use shortest digits in ujson's
    /// layout (`12.0`, `1e-5`, `1e+16`) and non-finite values become `null`.
    Verbatim,
    /// As ujson 6.1.0 writes a Python value parsed by ijson (`use_float=True`): integer literals stay
    /// integers (`-0` becomes `0`), other literals become floats written like `ujson.dumps(float)`.
    Ujson,
    /// As the stdlib `json` module writes it: integers as Python ints, floats as `repr(float)`.
    Python,
}

/// A complete JSON output style. `Copy`, so presets can be passed by value or reference freely.
///
/// Presets were checked byte for byte against ujson 6.1.0 and the CPython 3.11 `json` module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonStyle {
    /// Spaces per nesting level; `None` writes everything on one line. With `Some(n)` every element
    /// goes on its own line (`Some(0)`: new lines without indentation, like Python's `indent=0`).
    /// Empty containers are always `[]` / `{}`.
    pub indent: Option<usize>,
    /// Written between elements; in indented mode the new line follows it.
    pub item_sep: &'static str,
    /// Written between a key and its value.
    pub key_sep: &'static str,
    /// Escape `/` as `\/` (ujson's `escape_forward_slashes`, on by default there).
    pub escape_slash: bool,
    /// Escape every non-ASCII character as `\uXXXX` (lowercase hex, surrogate pairs above the BMP).
    pub ensure_ascii: bool,
    /// Escape DEL (0x7f) as `\u007f` (Python's `json` does this when `ensure_ascii`; ujson never does).
    pub escape_del: bool,
    /// How numbers are written.
    pub numbers: NumberStyle,
}

impl JsonStyle {
    /// `ujson.dump(obj, indent=2, ensure_ascii=False)` (JSON_MIN records, JSON with `is_dir`).
    pub const UJSON_PRETTY: JsonStyle = JsonStyle {
        indent: Some(2),
        item_sep: ",",
        key_sep: ": ",
        escape_slash: true,
        ensure_ascii: false,
        escape_del: false,
        numbers: NumberStyle::Ujson,
    };

    /// `ujson.dump(obj, indent=2)`, i.e. with the default `ensure_ascii=True` (COCO, YOLO notes.json).
    pub const UJSON_PRETTY_ASCII: JsonStyle = JsonStyle {
        ensure_ascii: true,
        ..JsonStyle::UJSON_PRETTY
    };

    /// `ujson.dumps(v, ensure_ascii=False)`: compact, no spaces (CSV cells).
    pub const UJSON_COMPACT: JsonStyle = JsonStyle {
        indent: None,
        item_sep: ",",
        key_sep: ":",
        escape_slash: true,
        ensure_ascii: false,
        escape_del: false,
        numbers: NumberStyle::Ujson,
    };

    /// `ujson.dumps(v)` with its defaults (compact, `ensure_ascii=True`).
    pub const UJSON_COMPACT_ASCII: JsonStyle = JsonStyle {
        ensure_ascii: true,
        ..JsonStyle::UJSON_COMPACT
    };

    /// Stdlib `json.dump(obj, indent=2, ensure_ascii=False)` (BRUSH_TO_COCO).
    pub const PY_JSON_PRETTY: JsonStyle = JsonStyle {
        indent: Some(2),
        item_sep: ",",
        key_sep: ": ",
        escape_slash: false,
        ensure_ascii: false,
        escape_del: false,
        numbers: NumberStyle::Python,
    };

    /// Stdlib `json.dumps(obj)` with its defaults: one line, `", "` / `": "`, `ensure_ascii=True`
    /// (which also escapes DEL).
    pub const PY_JSON_LINE: JsonStyle = JsonStyle {
        indent: None,
        item_sep: ", ",
        key_sep: ": ",
        escape_slash: false,
        ensure_ascii: true,
        escape_del: true,
        numbers: NumberStyle::Python,
    };

    /// Stdlib `json.dumps(obj, ensure_ascii=False)`.
    pub const PY_JSON_LINE_UTF8: JsonStyle = JsonStyle {
        ensure_ascii: false,
        escape_del: false,
        ..JsonStyle::PY_JSON_LINE
    };

    /// Clean default: 2-space indent, `": "`, UTF-8, minimal escaping, numbers as written.
    pub const CLEAN_PRETTY: JsonStyle = JsonStyle {
        indent: Some(2),
        item_sep: ",",
        key_sep: ": ",
        escape_slash: false,
        ensure_ascii: false,
        escape_del: false,
        numbers: NumberStyle::Verbatim,
    };

    /// Clean default on one line without spaces.
    pub const CLEAN_COMPACT: JsonStyle = JsonStyle {
        indent: None,
        item_sep: ",",
        key_sep: ":",
        ..JsonStyle::CLEAN_PRETTY
    };

    /// Index of the escape table for this style's string options.
    #[inline]
    pub(crate) const fn escape_flags(&self) -> u8 {
        (self.escape_slash as u8)
            | ((self.ensure_ascii as u8) << 1)
            | ((self.escape_del as u8) << 2)
    }
}

impl Default for JsonStyle {
    /// [`JsonStyle::CLEAN_PRETTY`].
    fn default() -> Self {
        JsonStyle::CLEAN_PRETTY
    }
}

const SPACES: &[u8; 64] = b"                                                                ";

/// Writes a new line plus `level * indent` spaces (nothing at all in one-line mode).
#[inline]
pub(crate) fn newline_indent(out: &mut Vec<u8>, indent: Option<usize>, level: usize) {
    if let Some(width) = indent {
        out.push(b'\n');
        let mut n = width.saturating_mul(level);
        while n > 0 {
            let k = n.min(SPACES.len());
            out.extend_from_slice(&SPACES[..k]);
            n -= k;
        }
    }
}
