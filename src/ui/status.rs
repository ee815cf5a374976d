//! Table & keys: TableStatus, SSE, the key behind the table key, countdowns to archive and to
//! each pending deletion, and whether the data is still recoverable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::{Theme, Tone};
use crate::app::App;
use crate::engine::view::KeyState;
use crate::engine::view::{SseStatus, TableStatus};

/// The lines of the panel, as (text, tone) parts.
/// Several tables (version 2): the panel is about the first; the others in one line each, so a
/// shared key's blast radius is on screen.
fn other_tables(app: &App) -> Vec<Vec<(String, Tone)>> {
    let e = app.runner().engine();
    let focus = app.table_focus();
    // The table a focused replica replicates (its primary, in its own region).
    let primary = (app.focused_table().replica_of().is_some()).then(|| e.primary_of(focus));
    e.tables()
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != focus.0)
        .map(|(i, other)| {
            let tone = if other.status() == TableStatus::Active {
                Tone::Ok
            } else {
                Tone::Bad
            };
            let status = other.status().name().to_uppercase();
            let (what, status) = if other.replica_of().is_some() {
                let status = if other.removed_at().is_some() {
                    format!("REMOVED · {status}")
                } else {
                    status
                };
                ("Other replica".to_string(), status)
            } else if primary == Some(crate::engine::view::TableIx(i)) {
                (format!("Primary ({})", other.region()), status)
            } else {
                ("Other table".to_string(), status)
            };
            vec![
                (format!("{what} {} ", other.label()), Tone::Strong),
                (status, tone),
                (
                    format!(" · {} wraps {}", other.current_kms_key(), other.current()),
                    Tone::Dim,
                ),
            ]
        })
        .collect()
}

/// "Recoverable: yes", or "NO since …" once the key its current table key needs is deleted.
fn recoverable_line(app: &App) -> Vec<(String, Tone)> {
    let e = app.runner().engine();
    let t = app.focused_table();
    if e.recoverable(app.table_focus()) {
        vec![
            ("Recoverable: ".into(), Tone::Dim),
            ("yes".into(), Tone::Ok),
        ]
    } else {
        let since = e
            .key_deleted_at(t.current_kms_key())
            .map_or_else(String::new, |at| format!(" since {at}"));
        vec![
            ("Recoverable: ".into(), Tone::Dim),
            (format!("NO{since}"), Tone::Bad),
        ]
    }
}

pub fn lines(app: &App) -> Vec<Vec<(String, Tone)>> {
    let e = app.runner().engine();
    let t = app.focused_table();
    let now = e.now();
    let mut out = Vec::new();
    out.extend(table_and_sse(app));
    if let Some(st) = t.job().and_then(|j| j.stalled()) {
        out.push(vec![(
            format!(
                "Re-wrap STALLED since {}: {} gave {} (undocumented)",
                st.since(),
                st.key(),
                st.kms_error()
            ),
            Tone::Bad,
        )]);
    }
    out.extend(warnings(app));
    match t.status() {
        TableStatus::InaccessibleEncryptionCredentials => {
            let mut l = vec![(
                format!(
                    "Inaccessible since {}",
                    t.inaccessible_since()
                        .map_or_else(String::new, |s| t.moment_text(s))
                ),
                Tone::Bad,
            )];
            if let Some(a) = t.archive_at() {
                l.push((
                    format!(" · archive in {}", a.since(now).countdown()),
                    Tone::Warn,
                ));
            }
            out.push(l);
            replica_clock(app, &mut out);
        }
        TableStatus::Archiving | TableStatus::Archived => {
            let key = t
                .archival_backup()
                .map_or_else(|| t.current_kms_key().to_string(), |b| b.key().to_string());
            // Whether it can be restored now, said with the key it needs (never "needs kms-1"
            // beside "Recoverable: NO" once kms-1 is gone).
            // The archival backup exists from ARCHIVING on: its state, as the backups line says.
            let state = e
                .backups()
                .iter()
                .rev()
                .find(|b| b.archival() && b.source() == app.table_focus())
                .map(|b| e.backup_state(b));
            out.push(vec![match state {
                Some(crate::engine::view::BackupState::Lost) => (
                    format!("Archived backup: LOST, {key} is deleted"),
                    Tone::Bad,
                ),
                Some(crate::engine::view::BackupState::Blocked) => (
                    format!("Archived backup: blocked until {key} is usable"),
                    Tone::Warn,
                ),
                _ => (format!("Archived backup: restore needs {key}"), Tone::Warn),
            }]);
        }
        TableStatus::Active => {}
    }
    for k in e.keys() {
        if let KeyState::PendingDeletion { deletion_at } = k.state() {
            out.push(vec![
                (format!("{} ", k.id()), Tone::Strong),
                (
                    format!("deleted in {}", deletion_at.since(now).countdown()),
                    Tone::Bad,
                ),
                (format!(" (at {deletion_at})"), Tone::Dim),
            ]);
        }
    }
    if let Some(at) = t.removed_at() {
        out.push(vec![(
            format!("Left the replication group at {at}: not deleted, gets no writes"),
            Tone::Warn,
        )]);
    }
    out.extend(backups(app));
    out.push(recoverable_line(app));
    // Presenting, the blast-radius stage beside the panel already lists every other copy.
    if !(app.present() && super::blast::wanted(app)) {
        out.extend(other_tables(app));
    }
    out.extend(totals(app));
    let a = e.assumptions();
    out.push(vec![(
        format!(
            "Assumed: detect {} · {}/DEK · archiving {}{}",
            a.detection,
            a.rewrap_per_dek,
            a.archive_duration,
            if a.propagation == crate::engine::view::SimDuration::ZERO {
                String::new()
            } else {
                format!(" · propagation {}", a.propagation)
            }
        ),
        Tone::Dim,
    )]);
    out
}

/// The table's status, and SSE with the key behind the current table key.
fn table_and_sse(app: &App) -> Vec<Vec<(String, Tone)>> {
    let t = app.focused_table();
    let mut out = Vec::new();
    let status_tone = crate::app::tone::look::table(t.status());
    let what = if t.replica_of().is_some() {
        "Replica "
    } else {
        "Table "
    };
    out.push(vec![
        (what.into(), Tone::Dim),
        (t.label(), Tone::Strong),
        ("  ".into(), Tone::Normal),
        (t.status().aws_name().into(), status_tone),
    ]);
    let mut sse = vec![
        ("SSE ".into(), Tone::Dim),
        (
            t.sse().to_string(),
            if t.sse() == SseStatus::Enabled {
                Tone::Ok
            } else {
                Tone::Warn
            },
        ),
    ];
    if let Some(j) = &t.job() {
        sse.push((
            format!(
                " re-wrap {}/{} → {} ({})",
                j.done(),
                j.total(),
                j.to(),
                j.new_kms()
            ),
            Tone::Warn,
        ));
    }
    sse.push((" · ".into(), Tone::Dim));
    sse.push((t.current_kms_key().to_string(), Tone::Strong));
    sse.push((format!(" wraps {}", t.current()), Tone::Dim));
    out.push(sse);
    out
}

/// Lines that warn about undocumented or transient states: a re-wrap that can never finish,
/// key changes still spreading through KMS.
fn warnings(app: &App) -> Vec<Vec<(String, Tone)>> {
    let e = app.runner().engine();
    let t = app.focused_table();
    let mut out = Vec::new();
    if let Some(key) = t.job().and_then(|j| j.cannot_finish()) {
        out.push(vec![(
            format!("Re-wrap can NEVER finish: {key} is deleted; SSE may stay UPDATING for good (undocumented)"),
            Tone::Bad,
        )]);
    }
    for k in e.keys().iter().filter(|k| k.is_spreading()) {
        let text = if k.state() == k.effective_state() {
            format!(
                "{}: a permission change is still spreading (propagation {})",
                k.id(),
                e.assumptions().propagation
            )
        } else {
            format!(
                "{} is {} but DynamoDB's calls still see {} (propagation {})",
                k.id(),
                k.state().name(),
                k.effective_state().name(),
                e.assumptions().propagation
            )
        };
        out.push(vec![(text, Tone::Warn)]);
    }
    out
}

/// The lines to show on a screen `screen_height` rows tall: on a short screen the assumptions
/// line (the help lists them too) gives way so status, deadlines and `Recoverable` stay.
fn shown_lines(app: &App, screen_height: u16) -> Vec<Vec<(String, Tone)>> {
    let mut out = lines(app);
    // What matters most comes first, so a short panel cuts the details, not the answers:
    // the table's status, its deadline, then whether the data is recoverable.
    let starts =
        |l: &Vec<(String, Tone)>, p: &str| l.first().is_some_and(|(s, _)| s.starts_with(p));
    for prefix in ["Recoverable", "Inaccessible since", "Archived backup"] {
        if let Some(i) = out.iter().position(|l| starts(l, prefix)) {
            let line = out.remove(i);
            out.insert(1.min(out.len()), line);
        }
    }
    // Several tables: the backups, then the others' status, right after `Recoverable` (a
    // shared key's blast radius is the answer there), before the details.
    let is_other = |l: &Vec<(String, Tone)>| {
        ["Other ", "Primary (", "Backups: "]
            .iter()
            .any(|p| starts(l, p))
    };
    let others: Vec<_> = out.iter().filter(|l| is_other(l)).cloned().collect();
    if !others.is_empty() {
        out.retain(|l| !is_other(l));
        let at = out
            .iter()
            .position(|l| starts(l, "Recoverable"))
            .map_or(1, |i| i + 1)
            .min(out.len());
        for (k, l) in others.into_iter().enumerate() {
            out.insert(at + k, l);
        }
    }
    if app.present() {
        // The room's screen: the modelling assumptions are the presenter's (the help lists
        // them), not the room's.
        out.retain(|l| l.first().is_none_or(|(s, _)| !s.starts_with("Assumed")));
    }
    if screen_height < 30 {
        compact_for_short_screen(&mut out);
        // Short screen: the totals and assumptions (also in `rewrap run` and the help) give
        // way to status, deadlines and Recoverable.
        out.retain(|l| {
            l.first().is_none_or(|(s, _)| {
                !(s.starts_with("Assumed")
                    || s.starts_with("Decrypt calls")
                    || s.starts_with("Key changes"))
            })
        });
    }
    out
}

/// A short screen's status panel: the other tables and replicas in one line (status only),
/// and the deletion countdowns and a replica's removal clock right under the table's status,
/// so the focused table's own deadlines are never pushed off by the others.
fn compact_for_short_screen(out: &mut Vec<Vec<(String, Tone)>>) {
    let first = |l: &Vec<(String, Tone)>| l.first().map_or(String::new(), |(s, _)| s.clone());
    let is_other = |l: &Vec<(String, Tone)>| {
        let f = first(l);
        f.starts_with("Other ") || f.starts_with("Primary (")
    };
    let others: Vec<Vec<(String, Tone)>> = out.iter().filter(|l| is_other(l)).cloned().collect();
    if let Some(at) = out.iter().position(&is_other) {
        out.retain(|l| !is_other(l));
        let mut line = vec![("Also: ".to_string(), Tone::Dim)];
        for (i, o) in others.iter().enumerate() {
            // "Other table Audit " / "Other replica Orders@eu-west-1 " / "Primary (r) X ".
            let name = o[0]
                .0
                .split_whitespace()
                .last()
                .unwrap_or_default()
                .to_string();
            if i > 0 {
                line.push((" · ".into(), Tone::Dim));
            }
            line.push((format!("{name} "), Tone::Strong));
            if let Some(status) = o.get(1) {
                line.push(status.clone());
            }
        }
        out.insert(at.min(out.len()), line);
    }
    let urgent = |l: &Vec<(String, Tone)>| {
        first(l).starts_with("Copy in ")
            || l.get(1).is_some_and(|(s, _)| s.starts_with("deleted in"))
    };
    let moved: Vec<Vec<(String, Tone)>> = out.iter().filter(|l| urgent(l)).cloned().collect();
    out.retain(|l| !urgent(l));
    for (k, l) in moved.into_iter().enumerate() {
        out.insert((1 + k).min(out.len()), l);
    }
    // The date after a deletion countdown is a detail a short panel drops, never cuts.
    for l in out.iter_mut() {
        if l.get(1).is_some_and(|(s, _)| s.starts_with("deleted in")) {
            l.truncate(2);
        }
    }
}

/// The KMS Decrypt calls per principal (pooled vs fan-out connections tell their own story)
/// and, once the table's key was changed, the key-change quota (aws-behaviour.md #32).
fn totals(app: &App) -> Vec<Vec<(String, Tone)>> {
    let e = app.runner().engine();
    let mut out = Vec::new();
    let per: Vec<String> = e
        .principals()
        .iter()
        .map(|p| format!("{} {}", p.id, e.decrypt_calls_by(&p.id)))
        .collect();
    if !per.is_empty() {
        out.push(vec![
            (
                if e.tables().len() > 1 {
                    "Decrypt calls, all tables: ".into()
                } else {
                    "Decrypt calls: ".into()
                },
                Tone::Dim,
            ),
            (per.join(" · "), Tone::Normal),
        ]);
    }
    if !app.focused_table().quota().changes().is_empty() {
        let q = e.quota(app.table_focus());
        let next = if q.next_allowed <= e.now() {
            "next: now".to_string()
        } else {
            format!("next: {}", q.next_allowed)
        };
        out.push(vec![
            ("Key changes: ".into(), Tone::Dim),
            (
                format!(
                    "{} in 24 h · {} free · {next}",
                    q.used_in_window, q.free_left
                ),
                Tone::Normal,
            ),
        ]);
    }
    out
}

/// Rows the panel needs at this width (lines wrap rather than being cut), borders included.
pub fn height(app: &App, width: u16, screen_height: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2).max(1));
    let rows: usize = shown_lines(app, screen_height)
        .iter()
        .map(|l| super::chrome::wrap_parts(l, inner).len())
        .sum();
    rows as u16 + 2
}

pub fn render(f: &mut Frame, area: Rect, app: &App, screen_height: u16, theme: Theme) {
    let block = Block::bordered()
        .title(" Table & keys ")
        .border_style(theme.border(false));
    let inner = usize::from(area.width.saturating_sub(2).max(1));
    // Wrapped, never cut: a status line's end is often its point (`archive in 6d 23h 55m`);
    // broken at its ` · ` so a value stays with its name.
    let text: Vec<Line> = shown_lines(app, screen_height)
        .iter()
        .flat_map(|parts| super::chrome::wrap_parts(parts, inner))
        .map(|parts| {
            Line::from(
                parts
                    .into_iter()
                    .map(|(s, t)| Span::styled(s, theme.style(t)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    f.render_widget(Paragraph::new(text).block(block), area);
}

/// An inaccessible copy of a global table: when it leaves the replication group (aws-behaviour.md #51).
fn replica_clock(app: &App, out: &mut Vec<Vec<(String, Tone)>>) {
    let e = app.runner().engine();
    for c in e.countdowns(app.table_focus()) {
        if let crate::engine::view::Countdown::ReplicaRemoval { region, at } = c {
            out.push(vec![(
                format!(
                    "Copy in {region} leaves replication in {}",
                    at.since(e.now()).countdown()
                ),
                Tone::Warn,
            )]);
        }
    }
}

/// The backups of the focused table (or replica), each with whether it can be restored.
fn backups(app: &App) -> Vec<Vec<(String, Tone)>> {
    let e = app.runner().engine();
    let focus = app.table_focus();
    let mut parts: Vec<(String, Tone)> = Vec::new();
    for b in e.backups().iter().filter(|b| b.source() == focus) {
        let state = e.backup_state(b);
        let tone = crate::app::tone::look::backup(state);
        let sep = if parts.is_empty() {
            "Backups: "
        } else {
            " · "
        };
        parts.push((sep.into(), Tone::Dim));
        parts.push((format!("{} {}", b.name(), state.name()), tone));
    }
    if parts.is_empty() {
        Vec::new()
    } else {
        vec![parts]
    }
}
