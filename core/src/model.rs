//! The task model: typed, borrowed views of one Label Studio export task.
//!
//! Parsing borrows from the raw task bytes (`Cow<str>` and `&RawValue`), never builds a
//! `serde_json::Value`, and skips fields no format reads. `data` keeps its key order and every
//! value exactly as written (a 20-digit integer stays a 20-digit integer).

use crate::error::{Error, Result};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A JSON object's members in document order, values kept raw.
#[derive(Debug, Default, Clone)]
pub struct RawObject<'a>(pub Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> RawObject<'a> {
    /// The raw value of `key` (the last one if the key repeats, as Python does).
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Members in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &'a RawValue)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), *v))
    }

    /// Parses a raw JSON object.
    pub fn parse(raw: &'a RawValue) -> serde_json::Result<Self> {
        serde_json::from_str(raw.get())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RawObject<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(
                self,
                mut m: M,
            ) -> std::result::Result<Self::Value, M::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(4));
                while let Some(k) = m.next_key::<Cow<'de, str>>()? {
                    let val: &'de RawValue = m.next_value()?;
                    v.push((k, val));
                }
                Ok(RawObject(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// One task of a Label Studio export (the fields formats read; everything else is skipped).
#[derive(Debug, Deserialize)]
pub struct Task<'a> {
    /// Task id (usually an integer), raw.
    #[serde(borrow, default)]
    pub id: Option<&'a RawValue>,
    /// The task data, keys in document order.
    #[serde(borrow, default)]
    pub data: Option<RawObject<'a>>,
    /// Annotations, raw (see [`Task::annotations`]).
    #[serde(borrow, default)]
    pub annotations: Option<&'a RawValue>,
    /// The legacy name of `annotations` (Label Studio 0.x exports).
    #[serde(borrow, default)]
    pub completions: Option<&'a RawValue>,
    /// Predictions, raw (ids or expanded objects).
    #[serde(borrow, default)]
    pub predictions: Option<&'a RawValue>,
    /// Drafts, raw (ids or expanded objects).
    #[serde(borrow, default)]
    pub drafts: Option<&'a RawValue>,
    /// Task meta, raw.
    #[serde(borrow, default)]
    pub meta: Option<&'a RawValue>,
    /// Agreement score, raw, when the export carries it.
    #[serde(borrow, default)]
    pub agreement: Option<&'a RawValue>,
    /// Task creation time, raw.
    #[serde(borrow, default)]
    pub created_at: Option<&'a RawValue>,
    /// Task update time, raw.
    #[serde(borrow, default)]
    pub updated_at: Option<&'a RawValue>,
}

/// One annotation (or completion) of a task.
#[derive(Debug, Deserialize)]
pub struct Annotation<'a> {
    /// Annotation id, raw.
    #[serde(borrow, default)]
    pub id: Option<&'a RawValue>,
    /// Who made it: a user id, or an object with `email` when expanded. An explicit `null` is
    /// kept as a raw `null` (Label Studio prints it as `None`, unlike a missing key).
    #[serde(borrow, default, deserialize_with = "keep_null")]
    pub completed_by: Option<&'a RawValue>,
    /// The result regions.
    #[serde(borrow, default)]
    pub result: Option<Vec<Region<'a>>>,
    /// Cancelled (skipped) by the annotator; any JSON, judged by Python truthiness.
    #[serde(borrow, default)]
    pub was_cancelled: Option<&'a RawValue>,
    /// Legacy skip flag; any JSON, judged by Python truthiness.
    #[serde(borrow, default)]
    pub skipped: Option<&'a RawValue>,
    /// Ground-truth flag.
    #[serde(borrow, default)]
    pub ground_truth: Option<&'a RawValue>,
    /// Creation time, raw (a string, `null`, or absent).
    #[serde(borrow, default)]
    pub created_at: Option<&'a RawValue>,
    /// Update time, raw.
    #[serde(borrow, default)]
    pub updated_at: Option<&'a RawValue>,
    /// Seconds spent, raw.
    #[serde(borrow, default)]
    pub lead_time: Option<&'a RawValue>,
    /// Annotation history (Enterprise), raw.
    #[serde(borrow, default)]
    pub history: Option<&'a RawValue>,
}

/// One result region of an annotation.
#[derive(Debug, Deserialize)]
pub struct Region<'a> {
    /// Region id.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// The control that produced it.
    #[serde(borrow, default)]
    pub from_name: Option<Cow<'a, str>>,
    /// The object it is attached to.
    #[serde(borrow, default)]
    pub to_name: Option<Cow<'a, str>>,
    /// The result type as written (e.g. `rectanglelabels`).
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    /// The value object's members, each raw.
    #[serde(borrow, default)]
    pub value: Option<RawObject<'a>>,
    /// Width of the image the region was drawn on, raw.
    #[serde(borrow, default)]
    pub original_width: Option<&'a RawValue>,
    /// Height of the image the region was drawn on, raw.
    #[serde(borrow, default)]
    pub original_height: Option<&'a RawValue>,
    /// Parent region id (keypoints inside a box).
    #[serde(borrow, default, rename = "parentID")]
    pub parent_id: Option<Cow<'a, str>>,
}

/// Deserializes a present value, `null` included, as `Some(raw)` (serde maps `null` to `None`
/// for a plain `Option`).
fn keep_null<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(d).map(Some)
}

/// Python truthiness of a raw JSON value (`false`, `null`, `0`, `""`, `[]`, `{}` are false).
pub fn truthy(raw: Option<&RawValue>) -> bool {
    let Some(raw) = raw else { return false };
    let s = raw.get().trim();
    match s.as_bytes().first() {
        None | Some(b'n') | Some(b'f') => false,
        Some(b'"') => s.len() > 2,
        Some(b'[') | Some(b'{') => !s[1..s.len() - 1].trim().is_empty(),
        Some(_) => s.parse::<f64>().map(|v| v != 0.0).unwrap_or(true),
    }
}

/// Whether a raw value is JSON `null` (or absent).
pub fn is_null(raw: Option<&RawValue>) -> bool {
    raw.is_none_or(|r| r.get() == "null")
}

/// A raw JSON string's content, if the value is a string.
pub fn as_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    if raw.get().starts_with('"') {
        serde_json::from_str(raw.get()).ok()
    } else {
        None
    }
}

/// A raw JSON number as f64, if the value is a number.
pub fn as_f64(raw: &RawValue) -> Option<f64> {
    let s = raw.get();
    match s.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => s.parse().ok(),
        _ => None,
    }
}

impl<'a> Task<'a> {
    /// Parses one raw task (`input_offset` is its byte offset in the input, for errors).
    pub fn parse(raw: &'a str, input_offset: u64) -> Result<Self> {
        serde_json::from_str(raw).map_err(|e| json_error(raw, input_offset, &e))
    }

    /// The task id as text (for messages), e.g. `345` or `"abc"`.
    pub fn id_text(&self) -> Option<String> {
        self.id.map(|r| r.get().to_owned())
    }

    /// The raw annotation list: `annotations`, else the legacy `completions`; `None` when absent.
    pub fn annotations_raw(&self) -> Option<&'a RawValue> {
        self.annotations
            .or(self.completions)
            .filter(|r| r.get() != "null")
    }

    /// Parses the annotation list. `Ok(None)` when the task has none.
    pub fn parse_annotations(&self) -> serde_json::Result<Option<Vec<Annotation<'a>>>> {
        self.annotations_raw()
            .map(|raw| serde_json::from_str(raw.get()))
            .transpose()
    }

    /// Parses the annotation list, each with its raw JSON. `Ok(None)` when the task has none.
    pub fn annotations(&self) -> serde_json::Result<Option<Vec<(&'a RawValue, Annotation<'a>)>>> {
        let Some(raw) = self.annotations_raw() else {
            return Ok(None);
        };
        let list: Vec<&'a RawValue> = serde_json::from_str(raw.get())?;
        let mut out = Vec::with_capacity(list.len());
        for r in list {
            out.push((r, serde_json::from_str(r.get())?));
        }
        Ok(Some(out))
    }
}

/// Turns a serde_json error on `raw` (at `base` in the input) into an input error at a byte offset.
pub fn json_error(raw: &str, base: u64, e: &serde_json::Error) -> Error {
    let offset = line_col_to_offset(raw, e.line(), e.column());
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the byte offset replaces it.
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => &msg[..],
    };
    Error::input(format!("invalid task JSON: {msg}"), base + offset as u64)
}

fn line_col_to_offset(s: &str, line: usize, col: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &s.as_bytes()[start..]) {
            Some(k) => start += k + 1,
            None => break,
        }
    }
    (start + col).min(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_borrowed_task_keeping_data_order_and_numbers() {
        let raw = r#"{"id": 7, "data": {"z": 12345678901234567890, "a": "x\/y", "m": {"k": [1.50]}},
            "completions": [{"id": 3, "result": [{"from_name": "label", "type": "choices", "value": {"choices": ["A"]}}],
            "was_cancelled": 0, "created_at": "2024"}], "unknown": {"deep": [1, 2]}}"#;
        let t = Task::parse(raw, 0).unwrap();
        let data = t.data.as_ref().unwrap();
        let keys: Vec<_> = data.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert_eq!(data.get("z").unwrap().get(), "12345678901234567890");
        assert_eq!(data.get("m").unwrap().get(), r#"{"k": [1.50]}"#);
        let anns = t.annotations().unwrap().unwrap();
        assert_eq!(anns.len(), 1);
        assert!(!truthy(anns[0].1.was_cancelled));
        assert_eq!(
            anns[0].1.result.as_ref().unwrap()[0].from_name.as_deref(),
            Some("label")
        );
        assert_eq!(t.id_text().as_deref(), Some("7"));
    }

    #[test]
    fn truthiness_follows_python() {
        let r = |s: &str| truthy(Some(&*RawValue::from_string(s.to_owned()).unwrap()));
        for f in ["false", "null", "0", "0.0", "\"\"", "[]", "{ }"] {
            assert!(!r(f), "{f}");
        }
        for t in ["true", "1", "-2.5", "\"x\"", "[0]", "{\"a\":1}"] {
            assert!(r(t), "{t}");
        }
        assert!(!truthy(None));
    }

    #[test]
    fn json_errors_carry_byte_offsets() {
        let e = Task::parse("{\"id\": 1,\n \"data\": [}", 100).unwrap_err();
        assert_eq!(e.offset(), Some(100 + 19), "points at the `[`");
        assert!(e.message().starts_with("invalid task JSON: "), "{e}");
    }
}
