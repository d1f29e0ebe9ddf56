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
}
