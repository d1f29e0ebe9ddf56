//! The dataset files beside `labels/`: `classes.txt`, `notes.json` and (clean) `data.yaml`.

use exportkit_core::jsonfmt::{JsonStyle, JsonWriter};

/// One class as `notes.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Class {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// Whether its entry lists the keypoint names (boxes that carry keypoints).
    pub(crate) keypoints: bool,
}

/// `classes.txt`: one name per line.
pub(crate) fn classes_txt<'n>(names: impl IntoIterator<Item = &'n str>) -> Vec<u8> {
    let mut out = Vec::new();
    for n in names {
        out.extend_from_slice(n.as_bytes());
        out.push(b'\n');
    }
    out
}

/// `notes.json`: `{"categories": [{"id", "name"(, "keypoints")}...], "info": {...}}`.
/// Compat: ujson `indent=2` with `ensure_ascii`, `info` = year (now), version, contributor, no
/// final newline. Clean: UTF-8, `info` without the date, a final newline.
pub(crate) fn notes_json(classes: &[Class], keypoints: Option<&[String]>, compat: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let style = if compat {
        JsonStyle::UJSON_PRETTY_ASCII
    } else {
        JsonStyle::CLEAN_PRETTY
    };
    let mut w = JsonWriter::new(&mut out, style);
    w.begin_object().key("categories").begin_array();
    for c in classes {
        w.begin_object()
            .key("id")
            .i64_value(c.id)
            .key("name")
            .str_value(&c.name);
        if let Some(kps) = keypoints.filter(|_| c.keypoints) {
            w.key("keypoints").begin_array();
            for k in kps {
                w.str_value(k);
            }
            w.end_array();
        }
        w.end_object();
    }
    w.end_array().key("info").begin_object();
    if compat {
        w.key("year").i64_value(current_year());
    }
    w.key("version").str_value("1.0");
    w.key("contributor")
        .str_value(if compat { "Label Studio" } else { "exportkit" });
    w.end_object().end_object();
    if !compat {
        out.push(b'\n');
    }
    out
}

/// The current UTC year (Label Studio writes `datetime.now().year`).
fn current_year() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    year_of_day((secs / 86_400) as i64)
}

/// The proleptic Gregorian year of a day number counted from 1970-01-01.
fn year_of_day(days: i64) -> i64 {
    exportkit_core::time::civil_from_days(days).0
}

/// A YAML double-quoted scalar: always quoted (so `yes`, `null`, `1.0` or `: x` stay strings),
/// with `"`, `\`, control characters, DEL, C1 controls, line/paragraph separators, BOM and the
/// non-characters U+FFFE/U+FFFF escaped.
pub(crate) fn yaml_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `data.yaml` for Ultralytics: `names` maps every class index `0..nc` to its name.
pub(crate) fn data_yaml(names: &[String], kpt_shape: Option<usize>) -> Vec<u8> {
    let mut y = String::from(
        "# Ultralytics dataset written by exportkit: labels/<stem>.txt for images/<stem>.<ext>\n",
    );
    y.push_str("path: .\ntrain: images\nval: images\n");
    y.push_str(&format!("nc: {}\n", names.len()));
    if names.is_empty() {
        y.push_str("names: {}\n");
    } else {
        y.push_str("names:\n");
        for (i, n) in names.iter().enumerate() {
            y.push_str(&format!("  {i}: "));
            yaml_str(&mut y, n);
            y.push('\n');
        }
    }
    if let Some(k) = kpt_shape {
        y.push_str(&format!("kpt_shape: [{k}, 3]\n"));
    }
    y.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years() {
        assert_eq!(year_of_day(0), 1970);
        assert_eq!(year_of_day(19_722), 2023); // 2023-12-31
        assert_eq!(year_of_day(19_723), 2024); // 2024-01-01
        assert_eq!(year_of_day(-1), 1969);
        assert!(current_year() >= 2024);
    }

    #[test]
    fn yaml_quoting() {
        let mut s = String::new();
        yaml_str(&mut s, "a \"b\" \\ c\n\u{7f}\u{2028}猫: yes");
        assert_eq!(s, "\"a \\\"b\\\" \\\\ c\\n\\u007f\\u2028猫: yes\"");
    }

    #[test]
    fn compat_notes_layout() {
        let classes = [Class {
            id: 0,
            name: "Кошка".into(),
            keypoints: false,
        }];
        let s = String::from_utf8(notes_json(&classes, None, true)).unwrap();
        let year = current_year();
        assert_eq!(
            s,
            format!(
                "{{\n  \"categories\": [\n    {{\n      \"id\": 0,\n      \"name\": \"\\u041a\\u043e\\u0448\\u043a\\u0430\"\n    }}\n  ],\n  \"info\": {{\n    \"year\": {year},\n    \"version\": \"1.0\",\n    \"contributor\": \"Label Studio\"\n  }}\n}}"
            )
        );
    }
}
