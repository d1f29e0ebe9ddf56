//! `info` of `result_coco.json`: Label Studio's fields, with the time in UTC
//! (`SOURCE_DATE_EPOCH`, in seconds, pins it for reproducible files).

use exportkit_core::jsonfmt::JsonWriter;
use std::time::{SystemTime, UNIX_EPOCH};

/// `(year, month, day)` of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `(year, str(datetime))` of now.
fn now() -> (i64, String) {
    let micros = match std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
    {
        Some(s) => s.saturating_mul(1_000_000),
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64),
    };
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let mut t = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    if frac != 0 {
        t.push_str(&format!(".{frac:06}"));
    }
    (y, t)
}

/// Writes the `info` object.
pub fn write(w: &mut JsonWriter<'_>) {
    let (year, created) = now();
    w.begin_object();
    w.key("year").i64_value(year);
    w.key("version").str_value("1.0");
    w.key("description")
        .str_value("Converted from Label Studio");
    w.key("contributor").str_value("Label Studio Converter");
    w.key("date_created").str_value(&created);
    w.end_object();
}
