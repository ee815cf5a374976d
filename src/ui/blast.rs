//! The blast-radius stage (present mode, worlds with several tables, replicas or restored
//! tables): one block per copy of the data, in the world's order, with the chain it needs and
//! its own clocks, so disabling a shared key visibly starts every copy's clocks, each on its own:
//!
//! ```text
//! ▶ Orders                                          INACCESSIBLE
//!   ⊘ kms-shared Disabled → T1 → 8 DEKs
//!   app#1 ░░░░░░░░░░░░ no key cached · next ✗ Disabled
//!   archived in 6d 23h 59m
//! ```
//!
//! Every fact comes from the read model (`Engine::copy_rows`, `Engine::cache_rows`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::{Theme, Tone};
use crate::app::App;
use crate::app::tone::look;
use crate::engine::view::{
    BackupState, CacheRow, CopyRow, Countdown, KeyState, NextRequest, ReplicaStatus, SimTime,
    TableStatus,
};

/// Connections drawn per copy (the rest are counted).
const MAX_CONNECTIONS: usize = 2;

/// Does this scenario get the blast-radius stage? Decided for the whole scenario (a restore
/// adds a table later; the stage is there from the first step).
pub fn wanted(app: &App) -> bool {
    app.scenario().table_names.len() > 1 || app.runner().engine().tables().len() > 1
}

/// The stage's lines for `width` columns, computed once a frame: `height` says how many rows
/// it wants, `render` draws it.
pub struct Stage(Vec<Row>);

impl Stage {
    pub fn new(app: &App, width: u16) -> Self {
        Stage(lines(app, width, true))
    }

    /// The rows it wants (with its border).
    pub fn height(&self) -> u16 {
        (self.0.len() as u16).saturating_add(2)
    }
}

/// Draw the stage in `area`: every copy if it fits, else the copies that fit and a count.
pub fn render(f: &mut Frame, area: Rect, app: &App, stage: Stage, theme: Theme) {
    let inner_h = usize::from(area.height.saturating_sub(2));
    // Short panels drop the blank line between copies before dropping copies.
    let mut body = stage.0;
    if body.len() > inner_h {
        body = lines(app, area.width, false);
    }
    if body.len() > inner_h {
        let copies = app.runner().engine().tables().len();
        let shown = body
            .iter()
            .take(inner_h.saturating_sub(1))
            .filter(|l| l.starts_copy)
            .count();
        body.truncate(inner_h.saturating_sub(1));
        body.push(Row {
            starts_copy: false,
            parts: vec![(
                format!("+{} more copies not drawn", copies.saturating_sub(shown)),
                Tone::Dim,
            )],
        });
    }
    let text: Vec<Line> = body
        .into_iter()
        .map(|r| {
            Line::from(
                r.parts
                    .into_iter()
                    .map(|(s, t)| {
                        let mut style = theme.style(t);
                        if t == Tone::Strong {
                            style = style.add_modifier(Modifier::BOLD);
                        }
                        Span::styled(s, style)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    f.render_widget(
        Paragraph::new(text).block(
            Block::bordered()
                .title(" Blast radius: every copy, its key and its clocks ")
                .border_style(theme.border(false)),
        ),
        area,
    );
}

pub struct Row {
    starts_copy: bool,
    parts: Vec<(String, Tone)>,
}

fn lines(app: &App, width: u16, spaced: bool) -> Vec<Row> {
    let e = app.runner().engine();
    let inner = usize::from(width.saturating_sub(2));
    let focus = app.table_focus();
    let mut out = Vec::new();
    for (i, c) in e.copy_rows().into_iter().enumerate() {
        if i > 0 && spaced {
            out.push(Row {
                starts_copy: false,
                parts: Vec::new(),
            });
        }
        out.push(Row {
            starts_copy: true,
            parts: title(&c, c.table == focus, inner),
        });
        out.push(Row {
            starts_copy: false,
            parts: chain(&c, e.now()),
        });
        let rows: Vec<CacheRow> = e.cache_rows(c.table).collect();
        for r in rows.iter().take(MAX_CONNECTIONS) {
            out.push(Row {
                starts_copy: false,
                parts: connection(app, r, inner),
            });
        }
        if rows.len() > MAX_CONNECTIONS {
            out.push(Row {
                starts_copy: false,
                parts: vec![(
                    format!("  +{} more connections", rows.len() - MAX_CONNECTIONS),
                    Tone::Dim,
                )],
            });
        }
        out.push(Row {
            starts_copy: false,
            parts: clock(&c, e.now()),
        });
    }
    for r in &mut out {
        r.parts = super::fit_parts(std::mem::take(&mut r.parts), inner);
    }
    out
}

/// `▶ Orders   INACCESSIBLE`: the name (marked when the step is about it) and its status at
/// the right edge.
fn title(c: &CopyRow, focused: bool, inner: usize) -> Vec<(String, Tone)> {
    let mark = if focused { "▶ " } else { "  " };
    let word = match c.status {
        TableStatus::InaccessibleEncryptionCredentials => "INACCESSIBLE",
        s => s.aws_name(),
    };
    let status = match c.replica {
        Some(ReplicaStatus::Removed) => format!("LEFT ITS GROUP · {word}"),
        _ => word.to_string(),
    };
    let tone = look::table(c.status);
    let mut name = format!("{mark}{}", c.label);
    // The status stays whole at the right edge; a long name gives way.
    let room = inner.saturating_sub(status.chars().count() + 1);
    if name.chars().count() > room {
        name = super::fit_words(&name, room);
    }
    let gap = inner
        .saturating_sub(name.chars().count() + status.chars().count())
        .max(1);
    vec![
        (name, Tone::Strong),
        (" ".repeat(gap), Tone::Normal),
        (status, tone),
    ]
}

/// `⊘ kms-shared Disabled → T1 → 8 DEKs`: the chain a read of this copy needs.
fn chain(c: &CopyRow, now: SimTime) -> Vec<(String, Tone)> {
    let (glyph, tone, state) = match c.key_state {
        Some(s) => {
            let (g, t) = look::key(s);
            let name = match s {
                KeyState::Enabled => "Enabled".to_string(),
                KeyState::Disabled => "Disabled".to_string(),
                KeyState::PendingDeletion { deletion_at } => format!(
                    "PendingDeletion, deleted in {}",
                    deletion_at.since(now).countdown()
                ),
                KeyState::Deleted { .. } => "deleted".to_string(),
                KeyState::PendingImport => "PendingImport".to_string(),
            };
            (g, t, name)
        }
        None => ("?", Tone::Bad, "not found".to_string()),
    };
    let mut parts = vec![
        (format!("  {glyph} {} ", c.kms_key), Tone::Strong),
        (state, tone),
        (
            format!(" → {} → {} DEKs", c.table_key, c.deks),
            Tone::Normal,
        ),
    ];
    if !c.recoverable {
        parts.push((" · material destroyed".to_string(), Tone::Bad));
    }
    parts
}

/// `app#1 ████████░░░░ T1 cached 3m 12s · then ✗ Disabled`: one connection's cache clock.
fn connection(app: &App, r: &CacheRow, inner: usize) -> Vec<(String, Tone)> {
    let label = format!("  {}#{} ", r.principal, r.connection);
    let bar_w = (inner / 5).clamp(6, 20);
    let (fraction, bar_tone) = super::cache::drain(app, r);
    let filled = (fraction * bar_w as f64).round() as usize;
    let mut parts = vec![
        (label, Tone::Strong),
        ("█".repeat(filled), bar_tone),
        ("░".repeat(bar_w - filled), Tone::Dim),
    ];
    match &r.next {
        NextRequest::FromCache { table_key, .. } => {
            parts.push((
                format!(" {table_key} cached {}", r.time_left.countdown()),
                Tone::Accent,
            ));
            if let Some(Err(code)) = r.after_expiry {
                parts.push((
                    format!(" · then ✗ {}", super::cache::short_code(code)),
                    Tone::Bad,
                ));
            }
        }
        NextRequest::Fetches {
            table_key, outcome, ..
        } => match outcome {
            Ok(()) => parts.push((
                format!(" no key cached · next fetches {table_key}"),
                Tone::Dim,
            )),
            Err(code) => parts.push((
                format!(
                    " no key cached · next ✗ {}",
                    super::cache::short_code(*code)
                ),
                Tone::Bad,
            )),
        },
        NextRequest::TableArchived => {
            // ARCHIVING or ARCHIVED: either way a read gets `TableArchived` (never "archived"
            // beside an ARCHIVING status).
            parts.push((" reads fail: TableArchived".to_string(), Tone::Bad));
        }
    }
    parts
}

/// The copy's own clock: archive or leaving its replication group, or that none runs.
fn clock(c: &CopyRow, now: SimTime) -> Vec<(String, Tone)> {
    match &c.clock {
        Some(Countdown::Archive { at }) => {
            let gone = if c.recoverable { "" } else { " (key gone)" };
            vec![(
                format!("  archived{gone} in {}", at.since(now).countdown()),
                Tone::Warn,
            )]
        }
        Some(Countdown::ReplicaRemoval { at, .. }) => vec![(
            format!(
                "  leaves its replication group in {}",
                at.since(now).countdown()
            ),
            Tone::Warn,
        )],
        _ => match (c.replica, c.status) {
            (Some(ReplicaStatus::Removed), _) => {
                vec![("  a standalone table now".to_string(), Tone::Dim)]
            }
            (_, TableStatus::Active) => vec![("  no archive clock".to_string(), Tone::Dim)],
            (_, TableStatus::Archiving) => vec![(
                "  archiving: its data is going into an archival backup".to_string(),
                Tone::Bad,
            )],
            (_, TableStatus::Archived) => vec![match c.archival {
                Some(BackupState::Lost) => (
                    format!("  archived · its backup is LOST: {} is deleted", c.kms_key),
                    Tone::Bad,
                ),
                Some(BackupState::Blocked) => (
                    format!(
                        "  archived · its backup is blocked until {} is usable",
                        c.kms_key
                    ),
                    Tone::Warn,
                ),
                _ => (
                    "  archived · its archival backup can be restored".to_string(),
                    Tone::Warn,
                ),
            }],
            (_, TableStatus::InaccessibleEncryptionCredentials) => {
                vec![("  no clock left to run".to_string(), Tone::Dim)]
            }
        },
    }
}
