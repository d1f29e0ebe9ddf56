//! Helpers shared by the derived formats (JSON_MIN, CSV, ...): the annotator of an item, a
//! region's value as Label Studio exports it, and `prettify_result`.

use crate::error::{Error, ErrorKind, Result};
use crate::jsonfmt::JsonWriter;
use crate::model::{RawObject, Region};
use crate::task::{Item, OutputGroup};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Who made an item, as Label Studio's `get_annotator` returns it.
#[derive(Debug, Clone, PartialEq)]
pub enum Annotator<'a> {
    /// No annotator (a task without annotations, or a user object without `email`).
    None,
    /// An integer user id, as written.
    Int(&'a str),
    /// A string: the user's email, or Python's `str()` of anything else.
    Str(Cow<'a, str>),
}

/// `get_annotator(item, default=None, int_id)`: the email of an expanded user, the integer id
/// (when `int_id`), else the value as Python's `str()` prints it.
pub fn annotator<'a>(item: &Item<'_, 'a>, int_id: bool) -> Annotator<'a> {
    let Some(ann) = item.annotation else {
        return Annotator::None;
    };
    let Some(raw) = ann.completed_by else {
        return Annotator::None;
    };
    let s = raw.get();
    match s.as_bytes().first() {
        Some(b'{') => match RawObject::parse(raw).ok().and_then(|o| o.get("email")) {
            Some(email) => match crate::model::as_str(email) {
                Some(e) => Annotator::Str(e),
                None => Annotator::Str(Cow::Owned(py_str(email.get()))),
            },
            None => Annotator::None,
        },
        Some(b'-' | b'0'..=b'9') if !s.contains(['.', 'e', 'E']) => {
            if int_id {
                Annotator::Int(s)
            } else {
                Annotator::Str(Cow::Borrowed(
                    s.strip_prefix("-0")
                        .filter(|r| r.is_empty())
                        .map_or(s, |_| "0"),
                ))
            }
        }
        Some(b'"') => Annotator::Str(crate::model::as_str(raw).unwrap_or_default()),
        _ => Annotator::Str(Cow::Owned(py_str(s))),
    }
}

/// Python's `str()` of a scalar JSON literal (`null` → `None`, `true` → `True`, floats by repr).
fn py_str(lit: &str) -> String {
    match lit {
        "null" => "None".into(),
        "true" => "True".into(),
        "false" => "False".into(),
        _ => match lit.parse::<f64>() {
            Ok(v) => {
                let mut b = Vec::new();
                crate::jsonfmt::write_py_float(&mut b, v);
                String::from_utf8(b).unwrap_or_default()
            }
            Err(_) => lit.to_owned(),
        },
    }
}

/// A region's value as derived formats export it: the `value` members in order without
/// `type`, with `original_width`/`original_height` set from the region (in place if present).
pub fn region_value<'a>(r: &Region<'a>) -> Result<RawObject<'a>> {
    let mut v = r.value.clone().unwrap_or_default();
    v.0.retain(|(k, _)| k != "type");
    for (key, val) in [
        ("original_width", r.original_width),
        ("original_height", r.original_height),
    ] {
        if let Some(val) = val {
            match v.0.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = val,
                None => v.0.push((Cow::Borrowed(key), val)),
            }
        }
    }
    Ok(v)
}

/// One element of a prettified output.
#[derive(Debug, Clone)]
pub enum PrettyElem<'a> {
    /// A bare value: a single choice, a single text, a chat message.
    Raw(&'a RawValue),
    /// A region's value object.
    Object(RawObject<'a>),
}

/// Label Studio's `prettify_result` of one control's values.
#[derive(Debug, Clone)]
pub struct Pretty<'a> {
    /// The elements, one per region.
    pub elems: Vec<PrettyElem<'a>>,
    /// Whether the result is `elems[0]` alone rather than the list (the last value is a
    /// Choices/TextArea and there is exactly one element).
    pub single: bool,
}

fn one_of<'a>(v: &RawObject<'a>, key: &str) -> Option<&'a RawValue> {
    let list: Vec<&'a RawValue> = serde_json::from_str(v.get(key)?.get()).ok()?;
    if list.len() == 1 { Some(list[0]) } else { None }
}

/// `prettify_result(values)`: a single Choices choice or TextArea text becomes the bare value,
/// chat messages become `value.chatmessage`, everything else the value object.
pub fn prettify<'a>(group: &OutputGroup<'_, 'a>) -> Result<Pretty<'a>> {
    let t = group.control_type;
    let is = |name: &str| t.eq_ignore_ascii_case(name);
    let mut elems = Vec::with_capacity(group.regions.len());
    for r in &group.regions {
        let v = region_value(r)?;
        let bare = if is("choices") {
            one_of(&v, "choices")
        } else if is("textarea") {
            one_of(&v, "text")
        } else if is("chat") || is("chatmessage") {
            v.get("chatmessage")
        } else {
            None
        };
        elems.push(match bare {
            Some(raw) => PrettyElem::Raw(raw),
            None => PrettyElem::Object(v),
        });
    }
    let single = elems.len() == 1 && (is("choices") || is("textarea"));
    Ok(Pretty { elems, single })
}

impl Pretty<'_> {
    /// The bare string when the result is a single JSON string (CSV writes it unquoted-JSON).
    pub fn as_bare_str(&self) -> Option<Cow<'_, str>> {
        match (self.single, self.elems.first()) {
            (true, Some(PrettyElem::Raw(r))) => crate::model::as_str(r),
            _ => None,
        }
    }

    /// Writes the result as JSON at the writer's position.
    pub fn write(&self, w: &mut JsonWriter<'_>) -> Result<()> {
        if let (true, Some(e)) = (self.single, self.elems.first()) {
            return write_elem(w, e);
        }
        w.begin_array();
        for e in &self.elems {
            write_elem(w, e)?;
        }
        w.end_array();
        Ok(())
    }
}

fn write_elem(w: &mut JsonWriter<'_>, e: &PrettyElem<'_>) -> Result<()> {
    match e {
        PrettyElem::Raw(r) => raw(w, r.get()),
        PrettyElem::Object(o) => write_object(w, o),
    }
}

/// Writes a raw JSON value through the writer's style.
pub fn raw(w: &mut JsonWriter<'_>, json: &str) -> Result<()> {
    w.raw_value(json)
        .map(|_| ())
        .map_err(|e| Error::new(ErrorKind::Input, e.to_string()))
}

/// Writes an object's members through the writer's style.
pub fn write_object(w: &mut JsonWriter<'_>, o: &RawObject<'_>) -> Result<()> {
    w.begin_object();
    for (k, v) in o.iter() {
        w.key(k);
        raw(w, v.get())?;
    }
    w.end_object();
    Ok(())
}
