//! `--compat label-studio`: Label Studio's `convert_to_voc`, byte for byte, as the server runs it
//! without a hostname (image resolution fails, so the raw URL's basename names the file).
//!
//! One document per item (task × annotation, newest first) with output; the writer writes
//! them in order into `Annotations/<stem>.xml`, so the last write wins (the oldest annotation,
//! and the last task of several with the same basename), exactly as Label Studio overwrites.

use crate::pynum::{BigInt, PyVal};
use crate::xml::{DECLARATION, Xml};
use crate::{Doc, Docs};
use exportkit_core::exporter::Warning;
use exportkit_core::model::{self, RawObject};
use exportkit_core::view::{self, Annotator};
use exportkit_core::{Result, Schema, TaskRecord};
use std::borrow::Cow;

/// Python's `os.path.basename` (POSIX): everything after the last `/`.
pub(crate) fn py_basename(p: &str) -> &str {
    p.rfind('/').map_or(p, |i| &p[i + 1..])
}

/// Python's `os.path.splitext(name)[0]`: drops the last `.ext` unless the name's dots are
/// all leading (`.hidden` keeps its name).
pub(crate) fn py_stem(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if name[..i].bytes().any(|b| b != b'.') => &name[..i],
        _ => name,
    }
}

/// Longest file name most file systems accept, in bytes.
const NAME_MAX: usize = 255;

/// Encodes one task's items (each that Label Studio would write) into `docs`.
pub(crate) fn encode_task(
    rec: &TaskRecord<'_>,
    schema: &Schema<'_>,
    data_key: &str,
    docs: &mut Docs,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let items = rec.items(schema)?;
    if !items.is_empty() {
        docs.saw_item = true;
    }
    for item in &items {
        if item.outputs.is_empty() {
            continue; // "No annotations found": no file.
        }
        let image = rec.task.data.as_ref().and_then(|d| d.get(data_key));
        let Some(image) = image.and_then(model::as_str) else {
            let what = if image.is_some() {
                "is not a string"
            } else {
                "is missing"
            };
            warnings.push(Warning::new(
                rec,
                format!("VOC: task data {data_key:?} {what}; task skipped (Label Studio crashes)"),
            ));
            return Ok(());
        };
        let image_name = py_basename(&image);
        let xml_name = format!("{}.xml", py_stem(image_name));
        if xml_name.contains('\0') || xml_name.len() > NAME_MAX {
            warnings.push(Warning::new(
                rec,
                format!("VOC: cannot name a file after {image_name:?}; task skipped"),
            ));
            return Ok(());
        }
        let mut values = Vec::new();
        for g in &item.outputs {
            for r in &g.regions {
                values.push(view::region_value(r)?);
            }
        }
        let Some(first) = values.first() else {
            continue;
        };
        let (Some(w_raw), Some(h_raw)) =
            (first.get("original_width"), first.get("original_height"))
        else {
            continue; // Label Studio skips the item (debug log only).
        };
        let (width, height) = (PyVal::of(w_raw), PyVal::of(h_raw));
        let (Some(w_text), Some(h_text)) = (width.py_str(), height.py_str()) else {
            warnings.push(Warning::new(
                rec,
                "VOC: original_width/original_height is a list or an object; item skipped",
            ));
            continue;
        };
        let annotator: Cow<'_, str> = match view::annotator(item, false) {
            // `get_annotator(item, "")`: a dict without email gives "", `null` gives "None".
            Annotator::None
                if item
                    .annotation
                    .is_some_and(|a| completed_by_is_null(rec, a)) =>
            {
                Cow::Borrowed("None")
            }
            Annotator::None => Cow::Borrowed(""),
            Annotator::Int(s) => Cow::Borrowed(s),
            Annotator::Str(s) => s,
        };

        let start = docs.bytes.len();
        docs.bytes.extend_from_slice(DECLARATION);
        let mut x = Xml::new(&mut docs.bytes, true);
        x.open("annotation");
        x.leaf("folder", "images");
        x.leaf("filename", image_name);
        x.open("source");
        x.leaf("database", "MyDatabase");
        x.leaf("annotation", "COCO2017");
        x.leaf("image", "flickr");
        x.leaf("flickrid", "NULL");
        x.leaf("annotator", &annotator);
        x.close("source");
        x.open("owner");
        x.leaf("flickrid", "NULL");
        x.leaf("name", "Label Studio");
        x.close("owner");
        x.open("size");
        x.leaf("width", &w_text);
        x.leaf("height", &h_text);
        x.leaf("depth", "3");
        x.close("size");
        x.leaf("segmented", "0");
        for v in &values {
            match object(v, &width, &height) {
                Ok(Some(o)) => {
                    x.open("object");
                    x.leaf("name", &o.name);
                    x.leaf("pose", "Unspecified");
                    x.leaf("truncated", "0");
                    x.leaf("difficult", "0");
                    x.open("bndbox");
                    x.leaf("xmin", &o.x.to_string());
                    x.leaf("ymin", &o.y.to_string());
                    x.leaf("xmax", &o.x.add(&o.w).to_string());
                    x.leaf("ymax", &o.y.add(&o.h).to_string());
                    x.close("bndbox");
                    x.close("object");
                }
                Ok(None) => {}
                Err(why) => warnings.push(Warning::new(
                    rec,
                    format!("VOC: region skipped: {why} (Label Studio crashes)"),
                )),
            }
        }
        x.close("annotation");
        docs.docs.push(Doc {
            name: xml_name,
            range: start..docs.bytes.len(),
            task: None,
        });
    }
    Ok(())
}

/// Whether the annotation has `"completed_by": null` (the typed model reads `null` and a
/// missing key alike; Label Studio prints the first as `None` and the second as "").
fn completed_by_is_null(rec: &TaskRecord<'_>, ann: &exportkit_core::model::Annotation<'_>) -> bool {
    if ann.completed_by.is_some() {
        return false;
    }
    let Ok(Some(list)) = rec.annotations() else {
        return false;
    };
    let Some(index) = list.iter().position(|a| std::ptr::eq(a, ann)) else {
        return false;
    };
    let raws: Vec<&serde_json::value::RawValue> = match &rec.kept_raw {
        Some(kept) => kept.clone(),
        None => match rec
            .task
            .annotations_raw()
            .map(|r| serde_json::from_str(r.get()))
        {
            Some(Ok(all)) => all,
            _ => return false,
        },
    };
    raws.get(index)
        .and_then(|r| RawObject::parse(r).ok())
        .is_some_and(|o| o.get("completed_by").is_some())
}

/// One `<object>`: the first label and the truncated pixel box.
struct Object<'a> {
    name: Cow<'a, str>,
    x: BigInt,
    y: BigInt,
    w: BigInt,
    h: BigInt,
}

/// The object Label Studio writes for a value: `Ok(None)` where it skips one silently, `Err`
/// where it would crash.
fn object<'a>(
    v: &RawObject<'a>,
    width: &PyVal<'_>,
    height: &PyVal<'_>,
) -> std::result::Result<Option<Object<'a>>, String> {
    let Some(labels) = v.get("rectanglelabels").or_else(|| v.get("labels")) else {
        return Ok(None);
    };
    let name: Cow<'a, str> = match labels.get().as_bytes().first() {
        Some(b'[') => {
            let list: Vec<&'a serde_json::value::RawValue> =
                serde_json::from_str(labels.get()).map_err(|e| e.to_string())?;
            let Some(first) = list.first() else {
                return Ok(None);
            };
            model::as_str(first).ok_or("the first label is not a string")?
        }
        // `labels[0]` of a string is its first character.
        Some(b'"') => match model::as_str(labels) {
            Some(Cow::Borrowed(s)) => match s.chars().next() {
                Some(c) => Cow::Borrowed(&s[..c.len_utf8()]),
                None => return Ok(None),
            },
            Some(Cow::Owned(s)) => match s.chars().next() {
                Some(c) => Cow::Owned(c.to_string()),
                None => return Ok(None),
            },
            None => return Err("labels is not valid JSON".into()),
        },
        // `len({}) == 0` skips; any other key lookup `[0]` raises.
        Some(b'{') if labels.get()[1..labels.get().len() - 1].trim().is_empty() => {
            return Ok(None);
        }
        _ => return Err("labels is not a list".into()),
    };
    let coord = |key: &str, factor: &PyVal<'_>| -> std::result::Result<BigInt, String> {
        let raw = v.get(key).ok_or_else(|| format!("no {key:?}"))?;
        let q = PyVal::of(raw)
            .div100()
            .ok_or_else(|| format!("{key:?} is not a number"))?;
        let f = factor
            .as_factor()
            .ok_or("original_width/original_height is not a number")?;
        BigInt::trunc(q * f).ok_or_else(|| format!("{key:?} gives a non-finite coordinate"))
    };
    Ok(Some(Object {
        name,
        x: coord("x", width)?,
        y: coord("y", height)?,
        w: coord("width", width)?,
        h: coord("height", height)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_path_helpers() {
        assert_eq!(py_basename("/data/upload/1/a.jpg"), "a.jpg");
        assert_eq!(py_basename("https://h/a.jpg?sig=1"), "a.jpg?sig=1");
        assert_eq!(py_basename("/data/local-files/?d=dir/x.png"), "x.png");
        assert_eq!(py_basename("dir/"), "");
        assert_eq!(py_stem("a.jpg?sig=1"), "a");
        assert_eq!(py_stem("a.b.c"), "a.b");
        assert_eq!(py_stem(".hidden"), ".hidden");
        assert_eq!(py_stem("..a"), "..a");
        assert_eq!(py_stem("a."), "a");
        assert_eq!(py_stem(""), "");
    }

    fn obj(
        json: &str,
        w: &str,
        h: &str,
    ) -> std::result::Result<Option<(String, [String; 4])>, String> {
        let raw = serde_json::value::RawValue::from_string(json.to_owned()).unwrap();
        let v = RawObject::parse(&raw).unwrap();
        let wr = serde_json::value::RawValue::from_string(w.to_owned()).unwrap();
        let hr = serde_json::value::RawValue::from_string(h.to_owned()).unwrap();
        Ok(object(&v, &PyVal::of(&wr), &PyVal::of(&hr))?.map(|o| {
            (
                o.name.into_owned(),
                [
                    o.x.to_string(),
                    o.y.to_string(),
                    o.x.add(&o.w).to_string(),
                    o.y.add(&o.h).to_string(),
                ],
            )
        }))
    }

    #[test]
    fn truncation_toward_zero_of_each_part() {
        // 10.5% of 1024 = 107.52 -> 107; 30.25% of 1024 = 309.76 -> 309; xmax = 416.
        let (name, b) = obj(
            r#"{"x": 10.5, "y": 20, "width": 30.25, "height": 40, "rectanglelabels": ["Кошка"]}"#,
            "1024",
            "768",
        )
        .unwrap()
        .unwrap();
        assert_eq!(name, "Кошка");
        assert_eq!(b, ["107", "153", "416", "460"]);
        // Negative coordinates truncate toward zero, not down.
        let (_, b) = obj(
            r#"{"x": -0.15, "y": -10, "width": 1, "height": 1, "labels": ["A"]}"#,
            "1000",
            "100",
        )
        .unwrap()
        .unwrap();
        assert_eq!(b, ["-1", "-10", "9", "-9"]);
    }

    #[test]
    fn label_studio_quirks_and_crashes() {
        // A string `labels` gives its first character.
        let (name, _) = obj(
            r#"{"x": 1, "y": 1, "width": 1, "height": 1, "labels": "Dog"}"#,
            "10",
            "10",
        )
        .unwrap()
        .unwrap();
        assert_eq!(name, "D");
        // No label key, or an empty list: silently nothing.
        assert!(
            obj(r#"{"x": 1, "choices": ["A"]}"#, "1", "1")
                .unwrap()
                .is_none()
        );
        assert!(
            obj(r#"{"x": 1, "labels": []}"#, "1", "1")
                .unwrap()
                .is_none()
        );
        // Polygon + Labels (no x): Label Studio raises KeyError.
        assert!(obj(r#"{"points": [[1, 2]], "labels": ["A"]}"#, "1", "1").is_err());
        assert!(
            obj(
                r#"{"x": "1", "y": 1, "width": 1, "height": 1, "labels": ["A"]}"#,
                "1",
                "1"
            )
            .is_err()
        );
        assert!(
            obj(
                r#"{"x": 1, "y": 1, "width": 1, "height": 1, "labels": ["A"]}"#,
                "\"1\"",
                "1"
            )
            .is_err()
        );
        assert!(
            obj(
                r#"{"x": 1e308, "y": 1, "width": 1, "height": 1, "labels": ["A"]}"#,
                "1e10",
                "1"
            )
            .is_err()
        );
        assert!(obj(r#"{"x": 1, "labels": [3]}"#, "1", "1").is_err());
        assert!(obj(r#"{"x": 1, "labels": null}"#, "1", "1").is_err());
        assert!(
            obj(r#"{"x": 1, "labels": { }}"#, "1", "1")
                .unwrap()
                .is_none()
        );
        assert!(obj(r#"{"x": 1, "labels": {"0": "A"}}"#, "1", "1").is_err());
    }
}
