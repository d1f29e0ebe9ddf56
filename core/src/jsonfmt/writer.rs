//! A push-style JSON writer that handles separators, new lines and indentation for a [`JsonStyle`].

use super::escape::write_str;
use super::float::{write_i64, write_json_f64, write_number, write_u64};
use super::style::{JsonStyle, newline_indent};
use super::transcode::{TranscodeError, transcode};

/// Builds JSON into a caller-owned buffer, one token at a time, in a given [`JsonStyle`], so that
/// records can be written with keys in any order and without building a tree.
///
/// The caller is responsible for a sensible call sequence (a `key` before each object member, balanced
/// `begin_*`/`end_*`); the writer only lays out what it is given. Values written at the base level
/// (outside any container) are written back to back with no separator.
///
/// ```
/// use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
/// let mut buf = Vec::new();
/// let mut w = JsonWriter::new(&mut buf, JsonStyle::UJSON_PRETTY);
/// w.begin_object().key("id").i64_value(2).key("tags").begin_array().end_array().end_object();
/// assert_eq!(buf, b"{\n  \"id\": 2,\n  \"tags\": []\n}");
/// ```
#[derive(Debug)]
pub struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    style: JsonStyle,
    base: usize,
    depth: usize,
    /// The innermost open container has no element yet.
    first: bool,
    /// A key was just written; the next value follows its separator directly.
    after_key: bool,
}

impl<'a> JsonWriter<'a> {
    /// A writer appending to `out` at nesting level 0.
    pub fn new(out: &'a mut Vec<u8>, style: JsonStyle) -> Self {
        Self::with_level(out, style, 0)
    }

    /// A writer appending to `out` as if already nested `level` deep: containers it opens indent their
    /// elements by `(level + 1) * indent` and put their closing bracket at `level * indent`.
    pub fn with_level(out: &'a mut Vec<u8>, style: JsonStyle, level: usize) -> Self {
        JsonWriter {
            out,
            style,
            base: level,
            depth: level,
            first: false,
            after_key: false,
        }
    }

    /// The style in use.
    pub fn style(&self) -> &JsonStyle {
        &self.style
    }

    /// Current nesting level (the base level plus open containers).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Writes the separator / new line / indentation due before an element (value or key).
    #[inline]
    fn before_element(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else if self.depth > self.base {
            if self.first {
                self.first = false;
            } else {
                self.out.extend_from_slice(self.style.item_sep.as_bytes());
            }
            newline_indent(self.out, self.style.indent, self.depth);
        }
    }

    #[inline]
    fn open(&mut self, bracket: u8) -> &mut Self {
        self.before_element();
        self.out.push(bracket);
        self.depth += 1;
        self.first = true;
        self
    }

    #[inline]
    fn close(&mut self, bracket: u8) -> &mut Self {
        debug_assert!(self.depth > self.base, "unbalanced end_object/end_array");
        self.after_key = false;
        let depth = self.depth.saturating_sub(1).max(self.base);
        if !self.first {
            newline_indent(self.out, self.style.indent, depth);
        }
        self.out.push(bracket);
        self.depth = depth;
        self.first = false;
        self
    }

    /// Opens an object (`{`).
    pub fn begin_object(&mut self) -> &mut Self {
        self.open(b'{')
    }

    /// Closes the innermost object; an empty one comes out as `{}`.
    pub fn end_object(&mut self) -> &mut Self {
        self.close(b'}')
    }

    /// Opens an array (`[`).
    pub fn begin_array(&mut self) -> &mut Self {
        self.open(b'[')
    }

    /// Closes the innermost array; an empty one comes out as `[]`.
    pub fn end_array(&mut self) -> &mut Self {
        self.close(b']')
    }

    /// Writes an object key and the key separator; the next call writes its value.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.before_element();
        write_str(self.out, key, &self.style);
        self.out.extend_from_slice(self.style.key_sep.as_bytes());
        self.after_key = true;
        self
    }

    /// Writes a string value.
    pub fn str_value(&mut self, s: &str) -> &mut Self {
        self.before_element();
        write_str(self.out, s, &self.style);
        self
    }

    /// Writes a float per the style's [`NumberStyle`](super::NumberStyle) (see
    /// [`write_json_f64`](super::write_json_f64)).
    pub fn f64_value(&mut self, v: f64) -> &mut Self {
        self.before_element();
        write_json_f64(self.out, v, self.style.numbers);
        self
    }

    /// Writes a signed integer.
    pub fn i64_value(&mut self, v: i64) -> &mut Self {
        self.before_element();
        write_i64(self.out, v);
        self
    }

    /// Writes an unsigned integer.
    pub fn u64_value(&mut self, v: u64) -> &mut Self {
        self.before_element();
        write_u64(self.out, v);
        self
    }

    /// Writes `true` or `false`.
    pub fn bool_value(&mut self, v: bool) -> &mut Self {
        self.before_element();
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        self
    }

    /// Writes `null`.
    pub fn null_value(&mut self) -> &mut Self {
        self.before_element();
        self.out.extend_from_slice(b"null");
        self
    }

    /// Writes a JSON number literal (as found in the input) per the style's number rules
    /// (see [`write_number`](super::write_number)). The literal is not validated.
    pub fn number_literal(&mut self, lit: &str) -> &mut Self {
        self.before_element();
        write_number(self.out, lit, self.style.numbers);
        self
    }

    /// Writes an existing JSON text (e.g. a `RawValue`'s text) re-laid out in this style at the current
    /// level, via [`transcode`]. On error nothing is written and the writer state is unchanged.
    pub fn raw_value(&mut self, raw_json: &str) -> Result<&mut Self, TranscodeError> {
        let (len, first, after_key) = (self.out.len(), self.first, self.after_key);
        self.before_element();
        if let Err(e) = transcode(raw_json, &self.style, self.depth, self.out) {
            self.out.truncate(len);
            self.first = first;
            self.after_key = after_key;
            return Err(e);
        }
        Ok(self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn build(style: JsonStyle, f: impl FnOnce(&mut JsonWriter<'_>)) -> String {
        let mut buf = Vec::new();
        f(&mut JsonWriter::new(&mut buf, style));
        String::from_utf8(buf).unwrap()
    }

    fn record(w: &mut JsonWriter<'_>) {
        w.begin_object()
            .key("image")
            .str_value("/data/upload/1/фото.jpg")
            .key("id")
            .i64_value(2)
            .key("label")
            .begin_array()
            .begin_object()
            .key("x")
            .f64_value(34.72122982020397)
            .key("w")
            .f64_value(1e-5)
            .key("rectanglelabels")
            .begin_array()
            .str_value("Dog")
            .end_array()
            .key("meta")
            .begin_object()
            .end_object()
            .key("original_width")
            .u64_value(1024)
            .end_object()
            .end_array()
            .key("annotator")
            .null_value()
            .key("ok")
            .bool_value(true)
            .key("lead_time")
            .f64_value(86.809)
            .end_object();
    }

    /// `r = {"image": "/data/upload/1/фото.jpg", "id": 2, "label": [{"x": 34.72122982020397,
    /// "w": 1e-05, "rectanglelabels": ["Dog"], "meta": {}, "original_width": 1024}],
    /// "annotator": None, "ok": True, "lead_time": 86.809}`; `ujson.dumps(r, indent=2, ensure_ascii=False)`
    const RECORD_UJSON_PRETTY: &str = "{\n  \"image\": \"\\/data\\/upload\\/1\\/фото.jpg\",\n  \"id\": 2,\n  \"label\": [\n    {\n      \"x\": 34.72122982020397,\n      \"w\": 1e-5,\n      \"rectanglelabels\": [\n        \"Dog\"\n      ],\n      \"meta\": {},\n      \"original_width\": 1024\n    }\n  ],\n  \"annotator\": null,\n  \"ok\": true,\n  \"lead_time\": 86.809\n}";
    /// `ujson.dumps(r, indent=2)`
    const RECORD_UJSON_PRETTY_ASCII: &str = "{\n  \"image\": \"\\/data\\/upload\\/1\\/\\u0444\\u043e\\u0442\\u043e.jpg\",\n  \"id\": 2,\n  \"label\": [\n    {\n      \"x\": 34.72122982020397,\n      \"w\": 1e-5,\n      \"rectanglelabels\": [\n        \"Dog\"\n      ],\n      \"meta\": {},\n      \"original_width\": 1024\n    }\n  ],\n  \"annotator\": null,\n  \"ok\": true,\n  \"lead_time\": 86.809\n}";
    /// `ujson.dumps(r, ensure_ascii=False)`
    const RECORD_UJSON_COMPACT: &str = "{\"image\":\"\\/data\\/upload\\/1\\/фото.jpg\",\"id\":2,\"label\":[{\"x\":34.72122982020397,\"w\":1e-5,\"rectanglelabels\":[\"Dog\"],\"meta\":{},\"original_width\":1024}],\"annotator\":null,\"ok\":true,\"lead_time\":86.809}";
    /// `json.dumps(r, indent=2, ensure_ascii=False)`
    const RECORD_PY_PRETTY: &str = "{\n  \"image\": \"/data/upload/1/фото.jpg\",\n  \"id\": 2,\n  \"label\": [\n    {\n      \"x\": 34.72122982020397,\n      \"w\": 1e-05,\n      \"rectanglelabels\": [\n        \"Dog\"\n      ],\n      \"meta\": {},\n      \"original_width\": 1024\n    }\n  ],\n  \"annotator\": null,\n  \"ok\": true,\n  \"lead_time\": 86.809\n}";
    /// `json.dumps(r)`
    const RECORD_PY_LINE: &str = "{\"image\": \"/data/upload/1/\\u0444\\u043e\\u0442\\u043e.jpg\", \"id\": 2, \"label\": [{\"x\": 34.72122982020397, \"w\": 1e-05, \"rectanglelabels\": [\"Dog\"], \"meta\": {}, \"original_width\": 1024}], \"annotator\": null, \"ok\": true, \"lead_time\": 86.809}";

    #[test]
    fn reference_records() {
        assert_eq!(build(JsonStyle::UJSON_PRETTY, record), RECORD_UJSON_PRETTY);
        assert_eq!(
            build(JsonStyle::UJSON_PRETTY_ASCII, record),
            RECORD_UJSON_PRETTY_ASCII
        );
        assert_eq!(
            build(JsonStyle::UJSON_COMPACT, record),
            RECORD_UJSON_COMPACT
        );
        assert_eq!(build(JsonStyle::PY_JSON_PRETTY, record), RECORD_PY_PRETTY);
        assert_eq!(build(JsonStyle::PY_JSON_LINE, record), RECORD_PY_LINE);
    }

    #[test]
    fn writer_matches_transcode() {
        for style in [
            JsonStyle::UJSON_PRETTY,
            JsonStyle::PY_JSON_LINE,
            JsonStyle::CLEAN_PRETTY,
            JsonStyle::CLEAN_COMPACT,
        ] {
            let written = build(style, record);
            let mut again = Vec::new();
            transcode(&written, &style, 0, &mut again).unwrap();
            assert_eq!(String::from_utf8(again).unwrap(), written);
        }
    }

    #[test]
    fn empties() {
        for style in [JsonStyle::UJSON_PRETTY, JsonStyle::UJSON_COMPACT] {
            assert_eq!(
                build(style, |w| {
                    w.begin_array().end_array();
                }),
                "[]"
            );
            assert_eq!(
                build(style, |w| {
                    w.begin_object().end_object();
                }),
                "{}"
            );
        }
        // ujson.dumps([[], {}], indent=2) == '[\n  [],\n  {}\n]'
        assert_eq!(
            build(JsonStyle::UJSON_PRETTY, |w| {
                w.begin_array()
                    .begin_array()
                    .end_array()
                    .begin_object()
                    .end_object()
                    .end_array();
            }),
            "[\n  [],\n  {}\n]"
        );
    }

    #[test]
    fn raw_values_and_levels() {
        let mut buf = Vec::new();
        let mut w = JsonWriter::with_level(&mut buf, JsonStyle::UJSON_PRETTY, 1);
        w.begin_object().key("data");
        w.raw_value(" {\"url\" : \"a/b\", \"n\": [1.50, 1E2]} ")
            .unwrap();
        assert!(w.key("bad").raw_value("{").is_err());
        w.raw_value("7").unwrap().end_object();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "{\n    \"data\": {\n      \"url\": \"a\\/b\",\n      \"n\": [\n        1.5,\n        100.0\n      ]\n    },\n    \"bad\": 7\n  }"
        );
        assert_eq!(
            build(JsonStyle::CLEAN_COMPACT, |w| {
                w.begin_array()
                    .number_literal("1.50")
                    .f64_value(f64::NAN)
                    .raw_value("[ ]")
                    .unwrap()
                    .end_array();
            }),
            "[1.50,null,[]]"
        );
    }
}
