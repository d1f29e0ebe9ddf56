//! How values are spelled: Python's `str()` for CSV cells (Antenna writes them with
//! `csv.DictWriter`) and Django's JSON encoder for JSON (ISO datetimes, UTC as `Z`).

use crate::datetime::{self, DateTime, Stamp};
use exportkit_core::jsonfmt::write_py_float;

/// Python's `str(float)`: `80.0`, `0.93`, `1e-05`.
pub fn py_float(v: f64) -> String {
    let mut b = Vec::with_capacity(24);
    write_py_float(&mut b, v);
    String::from_utf8(b).unwrap_or_default()
}

/// Python's `str(bool)`.
pub fn py_bool(v: bool) -> &'static str {
    if v { "True" } else { "False" }
}

/// Python's `str(list_of_floats)`: `[80.0, 120.0, 320.0, 360.0]`.
pub fn py_float_list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| py_float(*x)).collect();
    format!("[{}]", items.join(", "))
}

/// Python's `str(datetime)`: `2024-06-15 21:10:00`, `2024-06-15 21:10:00+00:00`; a bare date
/// as `str(date)`.
pub fn py_datetime(s: &Stamp) -> String {
    if !s.has_time {
        return datetime::date(s.at.days);
    }
    let offset = if s.offset == "Z" {
        "+00:00"
    } else {
        s.offset.as_str()
    };
    format!(
        "{} {}{offset}",
        datetime::date(s.at.days),
        datetime::time(s.at.secs)
    )
}

/// Django's JSON encoding of a datetime: ISO 8601 with `T`, UTC as `Z`.
pub fn iso_datetime(s: &Stamp) -> String {
    let iso = datetime::iso(s);
    match iso.strip_suffix("+00:00") {
        Some(utc) => format!("{utc}Z"),
        None => iso,
    }
}

/// Python's `str(timedelta(0))` and Django's JSON `duration_iso_string(timedelta(0))`: every
/// occurrence here is one detection, so its duration is zero.
pub const ZERO_DURATION_STR: &str = "0:00:00";
/// See [`ZERO_DURATION_STR`].
pub const ZERO_DURATION_ISO: &str = "P0DT00H00M00S";

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month(m: u32) -> &'static str {
    MONTHS[(m.clamp(1, 12) - 1) as usize]
}

/// Antenna's `Event.date_label()`: `Jun 15 2024` for one date, `Jun 15-16 2024` across
/// midnight. Where Antenna would write `Jun 30-1 2024`, the month (and year) of the end is
/// spelled out: `Jun 30-Jul 1 2024`, `Dec 31 2023-Jan 1 2024`.
pub fn date_label(start: DateTime, end: DateTime) -> String {
    let (y0, m0, d0) = datetime::civil_from_days(start.days);
    let (y1, m1, d1) = datetime::civil_from_days(end.days);
    if start.days == end.days {
        format!("{} {d0} {y0}", month(m0))
    } else if (y0, m0) == (y1, m1) {
        format!("{} {d0}-{d1} {y0}", month(m0))
    } else if y0 == y1 {
        format!("{} {d0}-{} {d1} {y0}", month(m0), month(m1))
    } else {
        format!("{} {d0} {y0}-{} {d1} {y1}", month(m0), month(m1))
    }
}

/// Antenna's event name: `Saturday, Jun 15-16 2024` (the weekday of the first capture).
pub fn event_name(start: DateTime, end: DateTime) -> String {
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(start.days + 4).rem_euclid(7) as usize];
    format!("{weekday}, {}", date_label(start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime {
        datetime::parse(s).expect("valid").at
    }

    #[test]
    fn python_spellings() {
        assert_eq!(py_float(80.0), "80.0");
        assert_eq!(py_float(1e-5), "1e-05");
        assert_eq!(py_float_list(&[1.5, 2.0]), "[1.5, 2.0]");
        assert_eq!(py_bool(true), "True");
        let s = datetime::parse("2024-06-15T21:10:00Z").expect("valid");
        assert_eq!(py_datetime(&s), "2024-06-15 21:10:00+00:00");
        assert_eq!(iso_datetime(&s), "2024-06-15T21:10:00Z");
        let s = datetime::parse("2024-06-15T21:10:00+00:00").expect("valid");
        assert_eq!(iso_datetime(&s), "2024-06-15T21:10:00Z");
        let s = datetime::parse("2024-06-15T21:10:00-03:00").expect("valid");
        assert_eq!(py_datetime(&s), "2024-06-15 21:10:00-03:00");
        let s = datetime::parse("2024-06-15").expect("valid");
        assert_eq!(
            (py_datetime(&s), iso_datetime(&s)),
            ("2024-06-15".into(), "2024-06-15".into())
        );
    }

    #[test]
    fn event_names_and_date_labels() {
        let a = at("2024-06-15T21:10:00");
        assert_eq!(event_name(a, a), "Saturday, Jun 15 2024");
        assert_eq!(
            event_name(a, at("2024-06-16T03:40:30")),
            "Saturday, Jun 15-16 2024"
        );
        assert_eq!(
            date_label(at("2024-06-30T22:00:00"), at("2024-07-01T01:00:00")),
            "Jun 30-Jul 1 2024"
        );
        assert_eq!(
            date_label(at("2023-12-31T22:00:00"), at("2024-01-01T01:00:00")),
            "Dec 31 2023-Jan 1 2024"
        );
        assert_eq!(
            event_name(at("1970-01-01T00:00:00"), at("1970-01-01T00:00:00")),
            "Thursday, Jan 1 1970"
        );
    }
}
