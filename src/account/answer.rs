//! A what-if's answer as text (for people) and as JSON (docs/json-log.md, "whatif").

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::safe::SafeAnswer;
use super::whatif::{Answer, Bound, HORIZON, Row};
use crate::engine::time::SimTime;

/// A moment from 0s: `+7d 1h`, with the calendar time when the export's time is known.
fn moment(t: SimTime, t0_ms: Option<i64>) -> String {
    let rel = t.since(SimTime::ZERO);
    let rel = if rel.0 == 0 {
        "0s".to_string()
    } else {
        format!("+{}", rel.to_exact_string())
    };
    match t0_ms {
        Some(t0) => {
            let at = t0.saturating_add(i64::try_from(t.as_millis()).unwrap_or(i64::MAX));
            format!("{rel} ({})", super::stamp::format_iso(at))
        }
        None => rel,
    }
}

fn interval(r: &Row, t0: Option<i64>) -> String {
    let never = format!("not within {HORIZON}");
    match (r.earliest, r.latest) {
        (Some(a), Some(_)) if r.maybe_never && r.only_in_latest => {
            format!("{never} (earliest ends) · {} (latest ends)", moment(a, t0))
        }
        (Some(a), Some(_)) if r.maybe_never => {
            format!("{} (earliest ends) · {never} (latest ends)", moment(a, t0))
        }
        (Some(a), Some(b)) if a == b => moment(a, t0),
        (Some(a), Some(b)) => format!("{} … {}", moment(a, t0), moment(b, t0)),
        _ => "never".to_string(),
    }
}

/// What can still be done before a moment (the answer's "when could it still be rescued").
fn rescue(kind: &str, what: &str) -> Option<&'static str> {
    match (kind, what) {
        ("table" | "replica", "archiving") => Some(
            "↳ until then, a usable key again (enable it, cancel its deletion, re-import its material, re-create the grant) brings the table back",
        ),
        ("replica", "left its replication group") => {
            Some("↳ until then, a usable key again keeps it in the group")
        }
        (_, "unrecoverable" | "backup lost") => {
            Some("↳ until then, cancelling the key's deletion keeps every copy under it restorable")
        }
        _ => None,
    }
}

/// The export's time, from the header `rewrap import` writes (`exported at 2026-…Z`).
pub fn exported_at(source: &str) -> Option<i64> {
    let line = source.lines().next()?;
    let at = line.split("exported at ").nth(1)?;
    super::stamp::iso(at.trim_end_matches('.').trim())
}

fn bounds_text(bounds: &[Bound], high: bool) -> String {
    let mut parts: Vec<String> = bounds
        .iter()
        .map(|b| format!("{} {}", b.name, if high { b.high } else { b.low }))
        .collect();
    parts.push(if high {
        "every connection holding a table key fetched at 0s".into()
    } else {
        "nothing cached at 0s".into()
    });
    parts.join(", ")
}

/// The answer for people.
pub fn text(a: &Answer, t0: Option<i64>) -> String {
    let mut s = String::new();
    let what: Vec<String> = a
        .actions
        .iter()
        .map(super::whatif::Action::describe)
        .collect();
    let when = t0.map_or_else(
        || "at 0s".to_string(),
        |t| format!("at 0s ({})", super::stamp::format_iso(t)),
    );
    let _ = writeln!(s, "What if, {when}: {}\n", what.join(", then "));
    if a.artifacts.is_empty() {
        let _ = writeln!(
            s,
            "Nothing changes for any table, replica or backup within {HORIZON}."
        );
    }
    let caused: Vec<&super::whatif::Artifact> = a.artifacts.iter().filter(|x| !x.already).collect();
    let anyway: Vec<&super::whatif::Artifact> = a.artifacts.iter().filter(|x| x.already).collect();
    if caused.is_empty() && !a.artifacts.is_empty() {
        let _ = writeln!(
            s,
            "These actions change nothing that is not already under way."
        );
    }
    for (i, art) in caused.iter().chain(anyway.iter()).enumerate() {
        if i == caused.len() && !anyway.is_empty() {
            let _ = writeln!(
                s,
                "\nAlready under way without these actions (the world's own state at 0s):"
            );
        }
        let _ = writeln!(s, "{} {} (needs {})", art.kind, art.name, art.needs);
        for r in &art.rows {
            let rests = if r.rests_on.is_empty() {
                String::new()
            } else {
                format!("   [moves with: {}]", r.rests_on.join(", "))
            };
            let _ = writeln!(s, "  {:<27} {}{rests}", r.what, interval(r, t0));
            if let Some(hint) = rescue(art.kind, r.what) {
                let _ = writeln!(s, "  {:<27} {hint}", "");
            }
        }
    }
    if !a.untouched.is_empty() {
        let _ = writeln!(
            s,
            "\nUnchanged within {HORIZON}: {}",
            a.untouched.join("; ")
        );
    }
    let _ = writeln!(
        s,
        "\nEarliest ends: {}.\nLatest ends: {}.",
        bounds_text(&a.bounds, false),
        bounds_text(&a.bounds, true)
    );
    let _ = writeln!(
        s,
        "Documented values stay as the file sets them (archive_after, cache_refresh, replica_removal_after); the bounds of the undocumented ones: rewrap whatif --help."
    );
    s
}

/// The answer as one JSON object.
pub fn json(a: &Answer, t0: Option<i64>) -> Value {
    let ms = |t: Option<SimTime>| t.map(SimTime::as_millis);
    json!({
        "kind": "whatif",
        "exported_at_ms": t0,
        "horizon_ms": HORIZON.0,
        "actions": a.actions.iter().map(super::whatif::Action::describe).collect::<Vec<_>>(),
        "artifacts": a.artifacts.iter().map(|art| json!({
            "kind": art.kind,
            "name": art.name,
            "already_under_way": art.already,
            "needs": art.needs,
            "moments": art.rows.iter().map(|r| json!({
                "what": r.what,
                "earliest_ms": ms(r.earliest),
                "latest_ms": ms(r.latest),
                "maybe_never": r.maybe_never,
                "only_in_latest": r.maybe_never && r.only_in_latest,
                "rests_on": r.rests_on,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "untouched": a.untouched,
        "bounds": a.bounds.iter().map(|b| json!({
            "name": b.name, "low_ms": b.low.0, "high_ms": b.high.0, "why": b.why,
        })).collect::<Vec<_>>(),
    })
}

/// `--safe-to-delete` for people.
pub fn safe_text(a: &SafeAnswer, t0: Option<i64>) -> String {
    let mut s = String::new();
    if a.needed_by_at_start.is_empty() {
        let _ = writeln!(
            s,
            "Nothing in this world needs {} now: no table, replica or backup is under it.",
            a.key
        );
        return s;
    }
    let _ = writeln!(
        s,
        "{} is needed now by: {}",
        a.key,
        a.needed_by_at_start.join("; ")
    );
    match a.safe_from {
        Some((e, l)) if e == l => {
            let _ = writeln!(s, "Nothing needs it from {} on.", moment(e, t0));
        }
        Some((e, l)) => {
            let _ = writeln!(
                s,
                "Nothing needs it from {} … {} on (the re-wraps' pace is undocumented).",
                moment(e, t0),
                moment(l, t0)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "Still needed after {HORIZON} by: {} (a backup needs its key for as long as it is kept; a table until it moves to another key).",
                a.still_needed_by.join("; ")
            );
        }
    }
    s
}

/// `--safe-to-delete` as JSON.
pub fn safe_json(a: &SafeAnswer, t0: Option<i64>) -> Value {
    json!({
        "kind": "safe_to_delete",
        "key": a.key,
        "exported_at_ms": t0,
        "needed_by_at_start": a.needed_by_at_start,
        "safe_from_ms": a.safe_from.map(|(e, l)| json!({"earliest": e.as_millis(), "latest": l.as_millis()})),
        "still_needed_by": a.still_needed_by,
    })
}
