//! A small borrowed tree for the canonical writer: our own objects get sorted keys, opaque user
//! JSON (`data`, `result`, unknown fields) is re-laid out verbatim (key order and number literals
//! kept) through [`exportkit_core::jsonfmt::transcode`].

use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};
use exportkit_core::{Error, ErrorKind, Result};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The layout of every file this crate writes: 2-space indent, UTF-8, numbers as written.
pub const STYLE: JsonStyle = JsonStyle::CLEAN_PRETTY;

/// One value to write.
#[derive(Debug)]
pub enum Node<'a> {
    /// Opaque JSON, re-laid out but otherwise verbatim.
    Raw(&'a RawValue),
    /// A string.
    Str(String),
    /// An unsigned integer.
    Num(u64),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// A list.
    List(Vec<Node<'a>>),
    /// An object of ours: keys are written sorted (by code point); a repeated key keeps its last
    /// value, as Python does.
    Obj(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl Node<'_> {
    /// Writes the node.
    pub fn emit(&self, w: &mut JsonWriter<'_>) -> Result<()> {
        match self {
            Node::Raw(r) => {
                w.raw_value(r.get())
                    .map_err(|e| Error::new(ErrorKind::Input, e.to_string()))?;
            }
            Node::Str(s) => {
                w.str_value(s);
            }
            Node::Num(n) => {
                w.u64_value(*n);
            }
            Node::Bool(b) => {
                w.bool_value(*b);
            }
            Node::Null => {
                w.null_value();
            }
            Node::List(items) => {
                w.begin_array();
                for i in items {
                    i.emit(w)?;
                }
                w.end_array();
            }
            Node::Obj(members) => {
                let mut idx: Vec<usize> = (0..members.len()).collect();
                // Stable sort, then keep the last of equal keys.
                idx.sort_by(|&a, &b| members[a].0.cmp(&members[b].0));
                w.begin_object();
                for (pos, &i) in idx.iter().enumerate() {
                    let key = &members[i].0;
                    if idx.get(pos + 1).is_some_and(|&n| members[n].0 == *key) {
                        continue;
                    }
                    w.key(key);
                    members[i].1.emit(w)?;
                }
                w.end_object();
            }
        }
        Ok(())
    }

    /// The node's bytes, written at nesting `level`.
    pub fn to_bytes(&self, level: usize, out: &mut Vec<u8>) -> Result<()> {
        let mut w = JsonWriter::with_level(out, STYLE, level);
        self.emit(&mut w)
    }
}

/// Parses a JSON list of raw values.
pub fn raw_list(raw: &RawValue) -> serde_json::Result<Vec<&RawValue>> {
    serde_json::from_str(raw.get())
}

/// The string value of a raw JSON string, if it is one.
pub fn raw_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    exportkit_core::model::as_str(raw)
}

/// Whether a raw value is JSON `null`.
pub fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

/// Trimmed, lower-cased email: the identity of a user in the document.
pub fn norm_email(s: &str) -> String {
    s.trim().to_lowercase()
}
