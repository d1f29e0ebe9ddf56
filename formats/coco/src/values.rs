//! Reading the raw JSON of region values without building a tree.

use exportkit_core::model::{self, RawObject, Region};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The label keys a detection region may carry, in the order Label Studio's COCO export tries them.
pub(crate) const LABEL_KEYS: [&str; 4] = [
    "rectanglelabels",
    "polygonlabels",
    "keypointlabels",
    "labels",
];

/// A raw JSON number as `f64` (integers and floats); `None` for anything else.
pub(crate) fn num(raw: Option<&RawValue>) -> Option<f64> {
    raw.and_then(model::as_f64)
}

/// A finite number.
pub(crate) fn finite(raw: Option<&RawValue>) -> Option<f64> {
    num(raw).filter(|v| v.is_finite())
}

/// A region's value as Label Studio's items see it: the `value` members, with
/// `original_width`/`original_height` taken from the region when it has them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Label<'r, 'a> {
    pub(crate) region: &'r Region<'a>,
    value: Option<&'r RawObject<'a>>,
}

impl<'r, 'a> Label<'r, 'a> {
    /// The label of `region`.
    pub(crate) fn new(region: &'r Region<'a>) -> Self {
        Label {
            region,
            value: region.value.as_ref(),
        }
    }

    /// A member of the value.
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.value.and_then(|v| v.get(key))
    }

    /// Whether the value has `key`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// `original_width`: the region's, else one inside the value.
    pub(crate) fn original_width(&self) -> Option<&'a RawValue> {
        self.region
            .original_width
            .or_else(|| self.get("original_width"))
    }

    /// `original_height`: the region's, else one inside the value.
    pub(crate) fn original_height(&self) -> Option<&'a RawValue> {
        self.region
            .original_height
            .or_else(|| self.get("original_height"))
    }
}

/// A list of raw values, if `raw` is a JSON array.
pub(crate) fn list(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if raw.get().starts_with('[') {
        serde_json::from_str(raw.get()).ok()
    } else {
        None
    }
}

/// A list of strings, if `raw` is a JSON array of strings.
pub(crate) fn str_list(raw: &RawValue) -> Option<Vec<Cow<'_, str>>> {
    list(raw)?.into_iter().map(model::as_str).collect()
}

/// What Label Studio's `label[key][0]` gives for the first label key with `len(...) > 0`.
#[derive(Debug, PartialEq)]
pub(crate) enum LsName<'a> {
    /// A category name.
    Name(Cow<'a, str>),
    /// No label key with a non-empty value (Choices, TextArea, ...).
    Missing,
    /// Label Studio would crash here (a number, `null`, a non-string element...).
    Bad,
}

/// Label Studio's category name of a label: the first non-empty of [`LABEL_KEYS`], element 0
/// (for a string that is its first character, as Python indexes it).
pub(crate) fn ls_name<'a>(label: &Label<'_, 'a>) -> LsName<'a> {
    for key in LABEL_KEYS {
        let Some(raw) = label.get(key) else { continue };
        match raw.get().as_bytes().first() {
            Some(b'[') => match list(raw) {
                Some(l) if l.is_empty() => continue,
                Some(l) => {
                    return match model::as_str(l[0]) {
                        Some(s) => LsName::Name(s),
                        None => LsName::Bad,
                    };
                }
                None => return LsName::Bad,
            },
            Some(b'"') => match model::as_str(raw) {
                Some(s) => match s.chars().next() {
                    Some(c) => return LsName::Name(Cow::Owned(c.to_string())),
                    None => continue,
                },
                None => return LsName::Bad,
            },
            Some(b'{') => match RawObject::parse(raw) {
                Ok(o) if o.0.is_empty() => continue,
                _ => return LsName::Bad,
            },
            _ => return LsName::Bad,
        }
    }
    LsName::Missing
}

pub(crate) use exportkit_core::labels::py_int;

#[cfg(test)]
mod tests {
    use super::*;

    fn region(json: &str) -> Region<'_> {
        serde_json::from_str(json).expect("region")
    }

    #[test]
    fn label_studio_names() {
        let cases = [
            (
                r#"{"value": {"rectanglelabels": ["Cat", "Dog"]}}"#,
                LsName::Name("Cat".into()),
            ),
            (
                r#"{"value": {"rectanglelabels": [], "labels": ["B"]}}"#,
                LsName::Name("B".into()),
            ),
            (r#"{"value": {"labels": "Dog"}}"#, LsName::Name("D".into())),
            (r#"{"value": {"labels": ""}}"#, LsName::Missing),
            (r#"{"value": {"choices": ["A"]}}"#, LsName::Missing),
            (r#"{"value": {"labels": [3]}}"#, LsName::Bad),
            (r#"{"value": {"labels": null}}"#, LsName::Bad),
            (r#"{}"#, LsName::Missing),
        ];
        for (json, want) in cases {
            let r = region(json);
            assert_eq!(ls_name(&Label::new(&r)), want, "{json}");
        }
    }

    #[test]
    fn sizes_come_from_the_region_first() {
        let r = region(
            r#"{"original_width": 10, "value": {"original_width": 5, "original_height": 7}}"#,
        );
        let l = Label::new(&r);
        assert_eq!(num(l.original_width()), Some(10.0));
        assert_eq!(num(l.original_height()), Some(7.0));
    }

    #[test]
    fn python_ints() {
        assert_eq!(py_int(" 3 "), Some(3));
        assert_eq!(py_int("1_0"), Some(10));
        assert_eq!(py_int("-2"), Some(-2));
        assert_eq!(py_int("1.0"), None);
        assert_eq!(py_int(""), None);
    }
}
