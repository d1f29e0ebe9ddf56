//! The pieces of Label Studio's brush file names, as Python's `str()` prints them.

use exportkit_core::model::{self, RawObject};
use serde_json::value::RawValue;

/// Python's `str()` of a JSON value: strings bare, `None`/`True`/`False`, integers as written,
/// floats by `repr`; objects and lists as their JSON text.
pub fn py_str(raw: &RawValue) -> String {
    let s = raw.get();
    match s.as_bytes().first() {
        Some(b'"') => model::as_str(raw).unwrap_or_default().into_owned(),
        Some(b'-' | b'0'..=b'9') if !s.contains(['.', 'e', 'E']) => {
            if s == "-0" {
                "0".into()
            } else {
                s.to_owned()
            }
        }
        Some(b'-' | b'0'..=b'9') => match s.parse::<f64>() {
            Ok(v) => {
                let mut b = Vec::new();
                exportkit_core::jsonfmt::write_py_float(&mut b, v);
                String::from_utf8(b).unwrap_or_default()
            }
            Err(_) => s.to_owned(),
        },
        _ => match s {
            "null" => "None".into(),
            "true" => "True".into(),
            "false" => "False".into(),
            _ => s.to_owned(),
        },
    }
}

/// The `by-` part: the email of an expanded user (`""` without one), else `str(completed_by)`
/// (`""` when absent: Label Studio defaults it to `{}`), keeping only alphanumerics, `@`, `.`.
pub fn annotator(completed_by: Option<&RawValue>) -> String {
    let text = match completed_by {
        None => String::new(),
        Some(raw) if raw.get().starts_with('{') => RawObject::parse(raw)
            .ok()
            .and_then(|o| o.get("email"))
            .map(py_str)
            .unwrap_or_default(),
        Some(raw) => py_str(raw),
    };
    text.chars()
        .filter(|c| c.is_alphanumeric() || *c == '@' || *c == '.')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn python_str_of_ids() {
        assert_eq!(py_str(&raw("12")), "12");
        assert_eq!(py_str(&raw("\"a b\"")), "a b");
        assert_eq!(py_str(&raw("null")), "None");
        assert_eq!(py_str(&raw("1.5")), "1.5");
        assert_eq!(py_str(&raw("1e3")), "1000.0");
    }

    #[test]
    fn annotators_keep_alnum_at_and_dot() {
        assert_eq!(
            annotator(Some(&raw("{\"email\": \"a.b+c@x.io\"}"))),
            "a.b@x.io".replace("b@", "bc@")
        );
        assert_eq!(annotator(Some(&raw("{\"id\": 3}"))), "");
        assert_eq!(annotator(Some(&raw("7"))), "7");
        assert_eq!(annotator(Some(&raw("null"))), "None");
        assert_eq!(annotator(None), "");
    }
}
