//! `OCCURRENCES_SIMPLE_CSV` rows: Antenna's 28 columns in the excel dialect of Python's `csv`
//! (comma, `"` around a cell only when it holds a comma, quote or line break, quotes doubled,
//! `\r\n` after every row, UTF-8 without BOM). Missing values are empty cells.

use super::record::Record;
use super::text::{ZERO_DURATION_STR, py_bool, py_datetime, py_float, py_float_list};

/// The header, in Antenna's order.
pub const COLUMNS: [&str; 28] = [
    "id",
    "event_id",
    "event_name",
    "deployment_id",
    "deployment_name",
    "project_id",
    "project_name",
    "determination_id",
    "determination_name",
    "determination_score",
    "verification_status",
    "best_machine_prediction_name",
    "best_machine_prediction_algorithm",
    "best_machine_prediction_score",
    "verified_by",
    "participant_count",
    "agreed_with_algorithm",
    "agreed_with_user",
    "determination_matches_machine_prediction",
    "detections_count",
    "first_appearance_timestamp",
    "last_appearance_timestamp",
    "duration",
    "best_detection_url",
    "best_detection_bbox",
    "best_detection_width",
    "best_detection_height",
    "best_detection_capture_url",
];

/// Appends one cell, quoted when needed.
pub fn cell(out: &mut Vec<u8>, value: &str) {
    if value
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
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

/// The header row.
pub fn header() -> Vec<u8> {
    let mut out = COLUMNS.join(",").into_bytes();
    out.extend_from_slice(b"\r\n");
    out
}

/// Appends the row of `r` and returns where its `event_name` cell goes (the writer fills it
/// in once the event's first and last captures are known).
pub fn row(out: &mut Vec<u8>, r: &Record<'_>) -> usize {
    let opt_f = |v: Option<f64>| v.map(py_float).unwrap_or_default();
    let best = r.best_machine();
    let size = r.bbox_size();
    let at = py_datetime(r.at);
    cell(out, &r.id);
    out.push(b',');
    cell(out, r.event);
    out.push(b',');
    let mark = out.len();
    let (dep_id, dep_name) = match &r.deployment {
        Some((id, name)) => (id.as_str(), *name),
        None => ("", ""),
    };
    let rest: [&str; 25] = [
        dep_id,
        dep_name,
        r.project_id,
        r.project_name,
        "",
        r.determination.name,
        &opt_f(r.score),
        py_bool(true),
        best.map_or("", |(_, t)| t.name),
        best.and_then(|(m, _)| m.algorithm).unwrap_or(""),
        &opt_f(best.and_then(|(m, _)| m.score)),
        &r.user.as_ref().map(|u| u.label()).unwrap_or_default(),
        "1",
        r.agreed_with_algorithm.as_deref().unwrap_or(""),
        r.agreed_with_user.as_deref().unwrap_or(""),
        r.matches_machine().map_or("", py_bool),
        "1",
        &at,
        &at,
        ZERO_DURATION_STR,
        r.image.unwrap_or(""),
        &r.bbox.map(|b| py_float_list(&b)).unwrap_or_default(),
        &opt_f(size.map(|s| s.0)),
        &opt_f(size.map(|s| s.1)),
        r.image.unwrap_or(""),
    ];
    for v in rest {
        out.push(b',');
        cell(out, v);
    }
    out.extend_from_slice(b"\r\n");
    mark
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_quoting() {
        let mut v = Vec::new();
        for (i, c) in [
            "plain",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\r",
            "tab\there",
            "",
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                v.push(b',');
            }
            cell(&mut v, c);
        }
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",tab\there,"
        );
        assert_eq!(COLUMNS.len(), 28);
        assert!(header().ends_with(b"best_detection_capture_url\r\n"));
    }
}
