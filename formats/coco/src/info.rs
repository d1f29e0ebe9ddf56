//! The `info` object.

use exportkit_core::jsonfmt::JsonWriter;
use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `(year, str(datetime))` for `micros` microseconds since the epoch, in UTC, as Python's
/// `str(datetime)` prints it (`2024-03-01 10:00:00.123456`; no fraction when it is zero).
pub(crate) fn py_datetime(micros: i64) -> (i64, String) {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let mut text = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    if frac != 0 {
        text.push_str(&format!(".{frac:06}"));
    }
    (y, text)
}

/// Now, or `SOURCE_DATE_EPOCH` (seconds) when set, for reproducible files.
fn now_micros() -> i64 {
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
    {
        return secs.saturating_mul(1_000_000);
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// Label Studio's `info`: the year and `str(datetime.now())` (here in UTC; `SOURCE_DATE_EPOCH`
/// pins it).
pub(crate) fn write_label_studio(w: &mut JsonWriter<'_>) {
    let (year, created) = py_datetime(now_micros());
    w.begin_object();
    w.key("year").i64_value(year);
    w.key("version").str_value("1.0");
    w.key("description").str_value("");
    w.key("contributor").str_value("Label Studio");
    w.key("url").str_value("");
    w.key("date_created").str_value(&created);
    w.end_object();
}

/// The clean `info`: fixed, so that the output is reproducible.
pub(crate) fn write_clean(w: &mut JsonWriter<'_>) {
    w.begin_object();
    w.key("description").str_value("");
    w.key("version").str_value("1.0");
    w.key("contributor").str_value("exportkit");
    w.end_object();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_datetime_text() {
        assert_eq!(py_datetime(0), (1970, "1970-01-01 00:00:00".into()));
        // 2024-02-29 23:59:59.000001 UTC
        assert_eq!(
            py_datetime(1_709_251_199_000_001),
            (2024, "2024-02-29 23:59:59.000001".into())
        );
        assert_eq!(py_datetime(951_782_400_000_000).1, "2000-02-29 00:00:00");
    }
}
