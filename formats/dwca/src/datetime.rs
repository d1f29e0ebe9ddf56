//! Capture times: a small ISO 8601 parser (wall-clock, offset kept aside), night dates and
//! DwC formatting.

/// A wall-clock date and time (seconds precision), as written by the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Days since 1970-01-01 (proleptic Gregorian).
    pub days: i64,
    /// Seconds since midnight.
    pub secs: u32,
}

/// A parsed timestamp: the wall clock and the offset as written (`Z`, `+02:00`, or empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Wall-clock time.
    pub at: DateTime,
    /// The offset suffix as written, normalized (`Z`, `+hh:mm`), or empty.
    pub offset: String,
    /// Whether the value carried a time (a bare date has none).
    pub has_time: bool,
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD[T ]hh:mm[:ss[.fff]][Z|±hh[:]mm]` (fractions dropped).
pub fn parse(s: &str) -> Option<Stamp> {
    let s = s.trim();
    let (date, rest) = if s.len() > 10 {
        (s.get(..10)?, s.get(10..)?)
    } else {
        (s, "")
    };
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = i64::from(num(&date[..4])?);
    let (m, d) = (num(&date[5..7])?, num(&date[8..10])?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    if rest.is_empty() {
        return Some(Stamp {
            at: DateTime { days, secs: 0 },
            offset: String::new(),
            has_time: false,
        });
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    let split = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
    let (time, off) = rest.split_at(split);
    let time = time.split('.').collect::<Vec<_>>();
    let frac_ok = time.len() == 1 || (time.len() == 2 && num(time[1]).is_some());
    let hms: Vec<&str> = time.first()?.split(':').collect();
    if !frac_ok || !(2..=3).contains(&hms.len()) || hms.iter().any(|p| p.len() != 2) {
        return None;
    }
    let h = num(hms[0])?;
    let mi = num(hms[1])?;
    let sec = match hms.get(2) {
        Some(x) => num(x)?,
        None => 0,
    };
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let offset = match off {
        "" => String::new(),
        "Z" => "Z".to_owned(),
        _ => {
            let (sign, hm) = off.split_at(1);
            let hm = hm.replace(':', "");
            let (oh, om) = (num(hm.get(..2)?)?, num(hm.get(2..)?)?);
            if hm.len() != 4 || oh > 14 || om > 59 {
                return None;
            }
            format!("{sign}{oh:02}:{om:02}")
        }
    };
    Some(Stamp {
        at: DateTime {
            days,
            secs: h * 3600 + mi * 60 + sec,
        },
        offset,
        has_time: true,
    })
}

/// A Unix time (seconds) as a UTC wall clock.
pub fn from_unix(secs: f64) -> Option<Stamp> {
    if !secs.is_finite() || secs.abs() > 1e12 {
        return None;
    }
    let s = secs.floor() as i64;
    Some(Stamp {
        at: DateTime {
            days: s.div_euclid(86_400),
            secs: s.rem_euclid(86_400) as u32,
        },
        offset: "Z".to_owned(),
        has_time: true,
    })
}

impl DateTime {
    /// The date a capture belongs to when nights start at `hour` (0: the calendar date).
    pub fn night(&self, hour: u32) -> i64 {
        if self.secs < hour * 3600 {
            self.days - 1
        } else {
            self.days
        }
    }
}

/// `YYYY-MM-DD`.
pub fn date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `hh:mm:ss`.
pub fn time(secs: u32) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `YYYY-MM-DDThh:mm:ss`.
pub fn datetime(t: DateTime) -> String {
    format!("{}T{}", date(t.days), time(t.secs))
}

/// A stamp in ISO 8601 as DwC wants it (`T` separator, offset as written).
pub fn iso(s: &Stamp) -> String {
    if s.has_time {
        format!("{}{}", datetime(s.at), s.offset)
    } else {
        date(s.at.days)
    }
}

/// Seconds between two wall clocks.
pub fn seconds_between(a: DateTime, b: DateTime) -> i64 {
    (b.days - a.days) * 86_400 + i64::from(b.secs) - i64::from(a.secs)
}

/// A duration as Antenna writes sampling effort: `8h 12m`, `45m`.
pub fn effort(secs: i64) -> String {
    let m = secs.max(0) / 60;
    if m >= 60 {
        format!("{}h {}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let s = parse("2024-06-15T21:03:04.123+0200").unwrap();
        assert_eq!(iso(&s), "2024-06-15T21:03:04+02:00");
        let s = parse("2024-06-15 21:03").unwrap();
        assert_eq!(iso(&s), "2024-06-15T21:03:00");
        assert_eq!(iso(&parse("2024-02-29").unwrap()), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-06-15T25:00",
            "15/06/2024",
            "yesterday",
            "2024-06-15T21",
            "",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            civil_from_days(days_from_civil(1999, 12, 31)),
            (1999, 12, 31)
        );
        assert_eq!(
            datetime(from_unix(86_400.5).unwrap().at),
            "1970-01-02T00:00:00"
        );
        assert_eq!(effort(8 * 3600 + 12 * 60 + 5), "8h 12m");
        assert_eq!(effort(45 * 60), "45m");
    }

    #[test]
    fn nights_cross_midnight() {
        let a = parse("2024-06-15T21:00:00").unwrap().at;
        let b = parse("2024-06-16T05:00:00").unwrap().at;
        assert_eq!(a.night(12), b.night(12));
        assert_ne!(a.night(0), b.night(0));
    }
}
