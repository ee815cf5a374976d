//! Timestamps as the AWS CLI writes them: ISO 8601 (CLI v2: `2026-11-20T10:00:00.123000+00:00`,
//! `...Z`) or epoch seconds (CLI v1: `1796305717.073`, a number or a string). Milliseconds since
//! the Unix epoch, UTC.

use serde_json::Value;

/// A timestamp field's value, or `None` when it is absent or not a time.
pub fn millis(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_f64().and_then(epoch_seconds),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<f64>()
                .ok()
                .and_then(epoch_seconds)
                .or_else(|| iso(s))
        }
        _ => None,
    }
}

/// Seconds since the epoch (a finite value from year 1970 to 9999).
fn epoch_seconds(s: f64) -> Option<i64> {
    (s.is_finite() && (0.0..253_402_300_800.0).contains(&s)).then(|| (s * 1000.0).round() as i64)
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.fraction](Z|±HH:MM|±HHMM)?`; no offset means UTC.
pub fn iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = &s[start..i];
        if frac.is_empty() {
            return None;
        }
        let three: String = frac.chars().chain("000".chars()).take(3).collect();
        ms = three.parse().ok()?;
    }
    let offset_min = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &s[i + 1..];
            let (oh, om) = match rest.len() {
                5 if rest.as_bytes()[2] == b':' => (rest.get(0..2)?, rest.get(3..5)?),
                4 => (rest.get(0..2)?, rest.get(2..4)?),
                2 => (rest.get(0..2)?, "00"),
                _ => return None,
            };
            let m = oh.parse::<i64>().ok()? * 60 + om.parse::<i64>().ok()?;
            if sign == b'+' { m } else { -m }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3_600 + mi * 60 + sec - offset_min * 60;
    Some(secs * 1000 + ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A UTC time as ISO 8601 (`2026-12-03T10:00:00Z`), for the file's header.
pub fn format_iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cli_v1_epoch_seconds_and_cli_v2_iso_8601_agree() {
        let v1 = millis(&json!(1_796_305_717.073)).unwrap();
        let v2 = millis(&json!("2026-12-03T13:48:37.073000+00:00")).unwrap();
        assert_eq!(v1, v2);
        assert_eq!(millis(&json!("2026-12-03T13:48:37.073Z")), Some(v1));
        assert_eq!(millis(&json!("2026-12-03T14:48:37.073+01:00")), Some(v1));
        assert_eq!(millis(&json!("1796305717.073")), Some(v1));
        assert_eq!(format_iso(v1), "2026-12-03T13:48:37Z");
        assert_eq!(millis(&json!("1970-01-01T00:00:00Z")), Some(0));
        assert_eq!(
            millis(&json!("2024-02-29T00:00:00Z")),
            Some(1_709_164_800_000)
        );
    }

    #[test]
    fn what_is_not_a_time_is_none() {
        for v in [
            json!(null),
            json!(true),
            json!("yesterday"),
            json!("2026-13-01T00:00:00Z"),
            json!("2026-12-03T10:28"),
            json!("2026-12-03T10:28:37.Z"),
            json!(-5),
            json!(1e300),
            json!("2026-12-03T10:28:37+1"),
        ] {
            assert_eq!(millis(&v), None, "{v}");
        }
    }
}
