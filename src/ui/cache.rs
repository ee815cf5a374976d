//! Cache timers: one row per (principal, connection): the table key it holds, a draining bar
//! and `m:ss` countdown to its re-fetch, idle time, the KMS key behind it, and its KMS calls.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::{Theme, Tone};
use crate::app::{App, Focus};
use crate::engine::view::KmsErrorCode;
use crate::engine::view::{CacheRow, NextRequest};

const BAR: usize = 8;

fn digits(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

fn bar(fraction: f64) -> String {
    let filled = ((fraction.clamp(0.0, 1.0)) * BAR as f64).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(BAR - filled))
}

/// A KMS error as short as it can be said in a narrow panel.
pub(super) fn short_code(code: KmsErrorCode) -> &'static str {
    match code {
        KmsErrorCode::DisabledException => "Disabled",
        KmsErrorCode::KmsInvalidStateException => "InvalidState",
        KmsErrorCode::NotFoundException => "NotFound",
        KmsErrorCode::AccessDeniedException => "AccessDenied",
        KmsErrorCode::InvalidCiphertextException => "InvalidCiphertext",
        KmsErrorCode::IncorrectKeyException => "IncorrectKey",
        KmsErrorCode::LimitExceededException => "LimitExceeded",
        KmsErrorCode::UnsupportedOperationException => "Unsupported",
    }
}

/// The parts of one entry's row that fit in `width` columns. What the next request will do
/// always stays (with the error's short name in a narrow panel); the bar, idle time, the key's
/// name and the call count give way first. Every verdict comes from the engine's read model
/// (`CacheRow`), never re-derived here.
pub fn row(app: &App, r: &CacheRow, width: usize, label_w: usize) -> Vec<(String, Tone)> {
    let e = app.runner().engine();
    let refresh = e.assumptions().cache_refresh.as_millis().max(1);
    let narrow = width < 56;
    let code_name = |c: KmsErrorCode| {
        if narrow {
            short_code(c).to_string()
        } else {
            c.to_string()
        }
    };
    // (text, tone, drop priority): 0 always stays; when the row is too wide the part with the
    // highest number goes first.
    let label = format!("{}#{}", r.principal, r.connection);
    let mut parts: Vec<(String, Tone, u8)> = vec![(format!("{label:<label_w$}"), Tone::Strong, 0)];
    match &r.next {
        NextRequest::FromCache { table_key, .. } => {
            parts.push((format!(" {table_key}"), Tone::Accent, 4));
            parts.push((
                format!(" {}", bar(r.time_left.as_millis() as f64 / refresh as f64)),
                Tone::Ok,
                5,
            ));
            parts.push((format!(" {:>6}", r.time_left.countdown()), Tone::Strong, 0));
            let kms_id = app.focused_table().current_kms_key();
            if let Some(Err(code)) = r.after_expiry {
                parts.push((format!(" then ✗ {}", code_name(code)), Tone::Bad, 0));
                parts.push((format!(" ({kms_id})"), Tone::Dim, 2));
            } else {
                if let Some(idle) = r.idle {
                    parts.push((format!(" idle {}", idle.countdown()), Tone::Dim, 6));
                }
                parts.push((format!(" · {kms_id} ok"), Tone::Dim, 3));
            }
        }
        NextRequest::TableArchived => {
            parts.push((" next: ✗ TableArchived".into(), Tone::Bad, 0));
        }
        NextRequest::Fetches {
            table_key,
            kms_key,
            outcome,
        } => {
            match r.held {
                Some((old, _)) => {
                    parts.push((format!(" {old} replaced,"), Tone::Dim, 4));
                }
                // Never filled yet (nothing to expire), or its copy ran out.
                None if r.requests == 0 && r.kms_calls == 0 => {
                    parts.push((" nothing cached yet,".into(), Tone::Dim, 4));
                }
                None => parts.push((" expired,".into(), Tone::Dim, 4)),
            }
            match outcome {
                Ok(()) => {
                    parts.push((format!(" next: Decrypt via {kms_key}"), Tone::Dim, 0));
                    parts.push((format!(" for {table_key}"), Tone::Dim, 3));
                }
                Err(code) => {
                    parts.push((format!(" next: ✗ {}", code_name(*code)), Tone::Bad, 0));
                    parts.push((format!(" ({kms_key})"), Tone::Dim, 2));
                }
            }
        }
    }
    let calls = if r.kms_calls == 1 { "call" } else { "calls" };
    parts.push((format!(" · {} {calls}", r.kms_calls), Tone::Dim, 1));
    let len = |p: &[(String, Tone, u8)]| p.iter().map(|x| x.0.chars().count()).sum::<usize>();
    while len(&parts) > width {
        let worst = parts.iter().map(|p| p.2).max().unwrap_or(0);
        if worst == 0 {
            break;
        }
        if let Some(i) = parts.iter().rposition(|p| p.2 == worst) {
            parts.remove(i);
        }
    }
    parts.into_iter().map(|(s, t, _)| (s, t)).collect()
}

/// One connection as the room sees it: its row (without the small bar), then a bar as wide as
/// the panel and two rows tall, draining as the cached table key's five minutes run out.
fn big_timer(
    app: &App,
    r: &CacheRow,
    width: usize,
    label_w: usize,
    theme: Theme,
    lines: &mut Vec<Line<'static>>,
) {
    let parts: Vec<(String, Tone)> = row(app, r, width.saturating_sub(BAR + 1) + BAR + 1, label_w)
        .into_iter()
        .filter(|(s, _)| !s.contains('░') && !s.contains('█'))
        .collect();
    lines.push(Line::from(
        super::fit_parts(parts, width)
            .into_iter()
            .map(|(s, t)| Span::styled(s, theme.style(t)))
            .collect::<Vec<_>>(),
    ));
    let (fraction, tone) = drain(app, r);
    let filled = (fraction * width as f64).round() as usize;
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(width - filled));
    for _ in 0..2 {
        lines.push(Line::styled(bar.clone(), theme.style(tone)));
    }
}

/// How full a connection's cache timer is (0.0 to 1.0 of the refresh period) and its tone:
/// green while the cached current table key serves requests, red when the fetch after it
/// will fail, dim with nothing cached. The room's bars (here and the blast-radius stage) drain
/// by this one rule.
pub(super) fn drain(app: &App, r: &CacheRow) -> (f64, Tone) {
    let refresh = app
        .runner()
        .engine()
        .assumptions()
        .cache_refresh
        .as_millis()
        .max(1);
    match &r.next {
        NextRequest::FromCache { .. } => {
            let tone = if matches!(r.after_expiry, Some(Err(_))) {
                Tone::Bad
            } else {
                Tone::Ok
            };
            let fraction = r.time_left.as_millis() as f64 / refresh as f64;
            (fraction.clamp(0.0, 1.0), tone)
        }
        NextRequest::TableArchived | NextRequest::Fetches { .. } => (0.0, Tone::Dim),
    }
}

/// The re-wrap job's own copies of the table keys, with their time left.
fn job_line(app: &App, width: usize, theme: Theme) -> Option<Line<'static>> {
    let e = app.runner().engine();
    let j = app.focused_table().job()?;
    let now = e.now();
    let refresh = e.assumptions().cache_refresh;
    let mut parts = vec![("re-wrap job".to_string(), Tone::Strong)];
    for k in [&j.old_plain(), &j.new_plain()].into_iter().flatten() {
        let left = (k.fetched_at() + refresh).since(now);
        parts.push((
            format!(" {} {}", k.table_key(), left.countdown()),
            Tone::Warn,
        ));
    }
    if j.stalled().is_some() {
        parts.push((" stalled until the next check".into(), Tone::Bad));
    }
    Some(Line::from(
        super::fit_parts(parts, width)
            .into_iter()
            .map(|(s, t)| Span::styled(s, theme.style(t)))
            .collect::<Vec<_>>(),
    ))
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus() == Focus::Cache;
    let e = app.runner().engine();
    let tx = app.table_focus();
    let count = e.cache_entries(tx).len();
    // With several tables the panel shows the focused table's connections: say which.
    let of = if e.tables().len() > 1 {
        format!(" of {}", app.focused_table().label())
    } else {
        String::new()
    };
    let title = format!(
        " Table-key cache{of} · {} conn · refresh {} ",
        count,
        e.assumptions().cache_refresh
    );
    let title = if title.chars().count() + 2 > area.width as usize {
        format!(" Cache{of} · {count} conn ")
    } else {
        title
    };
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    // The re-wrap job's row gives way to the connections when there is room for one row only
    // (the status panel shows the re-wrap too).
    let inner_h = area.height.saturating_sub(2) as usize;
    let job_row = app.focused_table().job().is_some() && inner_h >= 2;
    // Rows that do not fit are said, not silently dropped (tab here and scroll to see them).
    let rows_room = inner_h - usize::from(job_row);
    if count > rows_room {
        let hint = if app.presenting().is_some() {
            ""
        } else {
            " · tab, ↑↓"
        };
        block = block.title_bottom(format!(" {} of {count} shown{hint} ", rows_room.min(count)));
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = inner.height as usize;
    if h == 0 {
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    if job_row && let Some(line) = job_line(app, inner.width as usize, theme) {
        lines.push(line);
    }
    if count == 0 {
        lines.push(Line::styled(
            "no principals in this scenario",
            theme.style(Tone::Dim),
        ));
    }
    let room = h.saturating_sub(lines.len());
    let selected = app.cache().selected.min(count.saturating_sub(1));
    let offset = selected.saturating_sub(room.saturating_sub(1));
    // One label width for every row, so the columns line up (`app#1` next to `fanout#10`).
    let label_w = e
        .cache_entries(tx)
        .iter()
        .map(|c| c.principal().as_str().chars().count() + 1 + digits(c.connection().0))
        .max()
        .unwrap_or(8)
        .clamp(8, 24);
    // Presenting, with room: each connection's timer as a wide bar two rows tall, readable
    // from the back of the room (the 5-minute cache is the story's non-obvious part).
    if app.present() && count * 3 <= room && count > 0 {
        for entry in e.cache_rows(tx) {
            big_timer(
                app,
                &entry,
                inner.width as usize,
                label_w,
                theme,
                &mut lines,
            );
        }
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    // Only the visible rows are built (thousands of connections cost nothing off screen).
    for (i, entry) in e.cache_rows(tx).enumerate().skip(offset).take(room) {
        let width = inner.width as usize;
        let spans: Vec<Span> = super::fit_parts(row(app, &entry, width, label_w), width)
            .into_iter()
            .map(|(s, t)| Span::styled(s, theme.style(t)))
            .collect();
        let line = Line::from(spans);
        lines.push(if i == selected && focused {
            line.style(theme.selected())
        } else {
            line
        });
    }
    f.render_widget(Paragraph::new(lines), inner);
}
