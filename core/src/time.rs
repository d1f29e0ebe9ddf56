//! UTC calendar arithmetic and the timestamp layouts exportkit writes, with no date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
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

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// `SOURCE_DATE_EPOCH` (seconds) in microseconds when it is set, else now: the time written
/// into files that carry one, pinnable for reproducible output.
pub fn source_date_micros() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map_or_else(now_micros, |secs| secs.saturating_mul(1_000_000))
}

/// `(year, str(datetime))` of `micros` in UTC, as Python's `str(datetime)` prints it
/// (`2024-03-01 10:00:00.123456`; no fraction when it is zero).
pub fn py_datetime(micros: i64) -> (i64, String) {
    let (y, m, d, hh, mm, ss, us) = fields(micros);
    let mut text = format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}");
    if us != 0 {
        text.push_str(&format!(".{us:06}"));
    }
    (y, text)
}

/// The UTC calendar fields of `micros`: (year, month, day, hour, minute, second, microsecond).
pub fn fields(micros: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000) as u32;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400) as u32;
    (y, m, d, s / 3600, s / 60 % 60, s % 60, frac)
}

/// ISO 8601 with microseconds and `Z`, as Label Studio's API writes datetimes:
/// `2026-11-22T21:52:46.531369Z`.
pub fn iso_micros(micros: i64) -> String {
    let (y, m, d, hh, mm, ss, us) = fields(micros);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{us:06}Z")
}

/// `YYYY-MM-DD-HH-MM` (UTC), the stamp in Label Studio's export file names.
pub fn file_stamp(micros: i64) -> String {
    let (y, m, d, hh, mm, ..) = fields(micros);
    format!("{y:04}-{m:02}-{d:02}-{hh:02}-{mm:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(iso_micros(0), "1970-01-01T00:00:00.000000Z");
        // 2026-11-22T21:52:46.531369Z
        let t = 1_795_384_366_531_369;
        assert_eq!(iso_micros(t), "2026-11-22T21:52:46.531369Z");
        assert_eq!(file_stamp(t), "2026-11-22-21-52");
        assert_eq!(iso_micros(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

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
