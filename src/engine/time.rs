//! Logical time: milliseconds since the scenario starts, never the wall clock.
//!
//! Durations in scenario files are `<integer><unit>` parts (`s m h d`); the engine keeps
//! milliseconds so the TUI can advance smoothly by fractions of a second.

use std::fmt;
use std::fmt::Write as _;

use serde::Serialize;

/// A point on the simulated clock, in milliseconds since the scenario started.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// A span of simulated time, in milliseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct SimDuration(pub u64);

pub const SECOND: SimDuration = SimDuration(1_000);
pub const MINUTE: SimDuration = SimDuration(60_000);
pub const HOUR: SimDuration = SimDuration(3_600_000);
pub const DAY: SimDuration = SimDuration(86_400_000);

impl SimDuration {
    pub const ZERO: Self = Self(0);

    pub const fn from_secs(s: u64) -> Self {
        Self(s * 1_000)
    }
    pub const fn from_mins(m: u64) -> Self {
        Self(m * 60_000)
    }
    pub const fn from_hours(h: u64) -> Self {
        Self(h * 3_600_000)
    }
    pub const fn from_days(d: u64) -> Self {
        Self(d * 86_400_000)
    }
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000
    }
    #[must_use]
    pub const fn saturating_mul(self, n: u64) -> Self {
        Self(self.0.saturating_mul(n))
    }
}

impl SimTime {
    pub const ZERO: Self = Self(0);

    #[must_use]
    pub const fn plus(self, d: SimDuration) -> Self {
        Self(self.0.saturating_add(d.0))
    }
    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl std::ops::Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        self.plus(rhs)
    }
}

impl SimTime {
    /// Whole days since the start.
    pub const fn days(self) -> u64 {
        self.0 / 86_400_000
    }

    /// The time of day as `HH:MM:SS`.
    pub fn hms(self) -> String {
        let s = self.0 / 1_000;
        format!("{:02}:{:02}:{:02}", (s / 3_600) % 24, (s / 60) % 60, s % 60)
    }
}

/// `7d 00:05:00` (whole seconds; the day counter starts at 0, like an elapsed time).
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}d {}", self.days(), self.hms())
    }
}

/// Compact human form: `2m 30s`, `6d 23h`, `0s`: the largest non-zero unit and the next one.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total_s = self.0 / 1_000;
        let parts = [
            (total_s / 86_400, "d"),
            ((total_s / 3_600) % 24, "h"),
            ((total_s / 60) % 60, "m"),
            (total_s % 60, "s"),
        ];
        let Some(first) = parts.iter().position(|(n, _)| *n > 0) else {
            return if self.0 > 0 {
                write!(f, "{}ms", self.0)
            } else {
                f.write_str("0s")
            };
        };
        write!(f, "{}{}", parts[first].0, parts[first].1)?;
        match parts.get(first + 1) {
            Some((n, unit)) if *n > 0 => write!(f, " {n}{unit}"),
            _ => Ok(()),
        }
    }
}

impl SimDuration {
    /// Exact form that parses back to the same value: `1d 2h 0m 5s` trimmed of zero parts.
    pub fn to_exact_string(self) -> String {
        let total_s = self.0 / 1_000;
        let mut out = String::new();
        for (n, unit) in [
            (total_s / 86_400, "d"),
            ((total_s / 3_600) % 24, "h"),
            ((total_s / 60) % 60, "m"),
            (total_s % 60, "s"),
        ] {
            if n > 0 {
                if !out.is_empty() {
                    out.push(' ');
                }
                let _ = write!(out, "{n}{unit}");
            }
        }
        if out.is_empty() {
            out.push_str("0s");
        }
        out
    }

    /// A span with its units, the one format every countdown uses: `52s`, `4m 52s`,
    /// `23h 59m`, `6d 23h 55m` (never `1:00`, which could be a minute or an hour).
    pub fn countdown(self) -> String {
        let s = self.0.div_ceil(1_000);
        if s < 60 {
            format!("{s}s")
        } else if s < 3_600 {
            format!("{}m {:02}s", s / 60, s % 60)
        } else if s < 86_400 {
            format!("{}h {:02}m", s / 3_600, (s / 60) % 60)
        } else {
            format!(
                "{}d {:02}h {:02}m",
                s / 86_400,
                (s / 3_600) % 24,
                (s / 60) % 60
            )
        }
    }
}

/// Why a duration string did not parse, with the byte offset of the bad part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    pub offset: usize,
    pub message: String,
}

/// Parse `90s`, `5m`, `1d 2h`, `1h30m`.
///
/// ```
/// use rewrap::engine::time::{SimDuration, parse_duration};
/// assert_eq!(parse_duration("1d 2h").unwrap(), SimDuration::from_hours(26));
/// assert_eq!(parse_duration("5 minutes").unwrap_err().offset, 1);
/// ```
pub fn parse_duration(text: &str) -> Result<SimDuration, DurationError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut parts = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(DurationError {
                offset: start,
                message: format!(
                    "expected a number at `{}`",
                    &text[start..].chars().take(8).collect::<String>()
                ),
            });
        }
        let n: u64 = text[start..i].parse().map_err(|_| DurationError {
            offset: start,
            message: "number too large".into(),
        })?;
        let unit_ms = match bytes.get(i) {
            Some(b's') => 1_000,
            Some(b'm') => 60_000,
            Some(b'h') => 3_600_000,
            Some(b'd') => 86_400_000,
            Some(b' ') => {
                return Err(DurationError {
                    offset: i,
                    message: format!("`{n}` needs its unit right after it: s, m, h or d"),
                });
            }
            Some(_) => {
                return Err(DurationError {
                    offset: i,
                    message: format!(
                        "unknown unit `{}` (use s, m, h or d)",
                        text[i..].chars().next().unwrap_or(' ')
                    ),
                });
            }
            None => {
                return Err(DurationError {
                    offset: i,
                    message: format!("`{n}` needs a unit: s, m, h or d"),
                });
            }
        };
        i += 1;
        total = n
            .checked_mul(unit_ms)
            .and_then(|v| total.checked_add(v))
            .ok_or(DurationError {
                offset: start,
                message: "duration too large".into(),
            })?;
        parts += 1;
    }
    if parts == 0 {
        return Err(DurationError {
            offset: 0,
            message: "empty duration (write e.g. \"5m\" or \"1d 2h\")".into(),
        });
    }
    Ok(SimDuration(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_compound_durations() {
        assert_eq!(parse_duration("90s").unwrap(), SimDuration::from_secs(90));
        assert_eq!(
            parse_duration("1d 2h").unwrap(),
            SimDuration(DAY.0 + 2 * HOUR.0)
        );
        assert_eq!(parse_duration("1h30m").unwrap(), SimDuration::from_mins(90));
        assert_eq!(parse_duration("0s").unwrap(), SimDuration::ZERO);
    }

    #[test]
    fn rejects_bad_durations_with_offsets() {
        assert_eq!(parse_duration("5").unwrap_err().offset, 1);
        assert_eq!(parse_duration("5 minutes").unwrap_err().offset, 1);
        assert_eq!(parse_duration("5x").unwrap_err().offset, 1);
        assert_eq!(parse_duration("").unwrap_err().offset, 0);
        assert_eq!(parse_duration("3m abc").unwrap_err().offset, 3);
    }

    #[test]
    fn formats_clock_and_durations() {
        assert_eq!(SimTime(7 * DAY.0 + 5 * MINUTE.0).to_string(), "7d 00:05:00");
        assert_eq!(SimDuration::from_secs(150).to_string(), "2m 30s");
        assert_eq!(SimDuration(6 * DAY.0 + 23 * HOUR.0).to_string(), "6d 23h");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
        assert_eq!(SimDuration::from_secs(161).countdown(), "2m 41s");
        assert_eq!(SimDuration::from_secs(7).countdown(), "7s");
        assert_eq!(SimDuration::from_mins(60).countdown(), "1h 00m");
        assert_eq!(SimDuration::from_mins(1439).countdown(), "23h 59m");
        assert_eq!(
            SimDuration(SimDuration::from_days(6).0 + SimDuration::from_mins(1435).0).countdown(),
            "6d 23h 55m"
        );
        assert_eq!(
            SimDuration(DAY.0 + 5 * HOUR.0 + 7 * SECOND.0).to_exact_string(),
            "1d 5h 7s"
        );
    }
}
