//! Cache timers: one row per (principal, connection): the table key it holds, a draining bar
//! and `m:ss` countdown to its re-fetch, idle time, the KMS key behind it, and its KMS calls.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::{Theme, Tone};
use crate::app::{App, Focus};
use crate::engine::event::Caller;
use crate::engine::kms::KeyState;
use crate::engine::table::CacheEntry;

const BAR: usize = 8;

fn bar(fraction: f64) -> String {
    let filled = ((fraction.clamp(0.0, 1.0)) * BAR as f64).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(BAR - filled))
}

/// The parts of one entry's row that fit in `width` columns: the countdown and what the next
/// request will do always; idle time, key state and call count when there is room.
pub fn row(app: &App, entry: &CacheEntry, width: usize) -> Vec<(String, Tone)> {
    let e = app.runner().engine();
    let t = e.table();
    let now = e.now();
    let refresh = e.assumptions().cache_refresh.as_millis().max(1);
    // (text, tone, optional)
    let mut parts: Vec<(String, Tone, bool)> =
        vec![(format!("{:<8}", entry.label()), Tone::Strong, false)];
    let kms_id = t.current_kms_key();
    let key = e.key(kms_id);
    match &entry.held {
        Some(h) if h.table_key == t.current => {
            let left = h.expires_at.since(now);
            parts.push((format!(" {} ", h.table_key), Tone::Accent, false));
            parts.push((
                bar(left.as_millis() as f64 / refresh as f64),
                Tone::Ok,
                false,
            ));
            parts.push((format!(" {:>5}", left.countdown()), Tone::Strong, false));
            let usable =
                key.is_some_and(|k| k.state == KeyState::Enabled && k.is_allowed(&entry.principal));
            if usable {
                if let Some(used) = entry.last_used_at {
                    parts.push((
                        format!(" idle {}", now.since(used).countdown()),
                        Tone::Dim,
                        true,
                    ));
                }
                parts.push((format!(" · {kms_id} ok"), Tone::Dim, true));
            } else {
                parts.push((
                    format!(" works for {} more", left.countdown()),
                    Tone::Warn,
                    false,
                ));
                parts.push((format!(", then {kms_id} refuses"), Tone::Warn, true));
            }
        }
        Some(h) => {
            parts.push((format!(" {} replaced:", h.table_key), Tone::Dim, false));
            parts.push((format!(" next fetches {}", t.current), Tone::Warn, false));
        }
        None => {
            parts.push((" expired/empty:".into(), Tone::Dim, false));
            let verdict = key.map(|k| {
                k.check_crypto(
                    &Caller::Principal(entry.principal.clone()),
                    e.assumptions().pending_deletion_error,
                )
            });
            match verdict {
                _ if t.is_archived_or_archiving() => {
                    parts.push((" next: TableArchived".into(), Tone::Bad, false));
                }
                Some(Ok(())) => {
                    parts.push((" next: Decrypt".into(), Tone::Dim, false));
                    parts.push((format!(" via {kms_id}"), Tone::Dim, true));
                }
                Some(Err(err)) => {
                    parts.push((format!(" next fails: {}", err.code), Tone::Bad, false));
                }
                None => {}
            }
        }
    }
    parts.push((format!(" · {} calls", entry.kms_calls), Tone::Dim, true));
    let len = |p: &[(String, Tone, bool)]| p.iter().map(|x| x.0.chars().count()).sum::<usize>();
    while len(&parts) > width {
        match parts.iter().rposition(|p| p.2) {
            Some(i) => {
                parts.remove(i);
            }
            None => break,
        }
    }
    parts.into_iter().map(|(s, t, _)| (s, t)).collect()
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus == Focus::Cache;
    let e = app.runner().engine();
    let entries = e.cache_entries();
    let block = Block::bordered()
        .title(format!(
            " Table-key cache · {} conn · refresh {} ",
            entries.len(),
            e.assumptions().cache_refresh
        ))
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = inner.height as usize;
    if h == 0 {
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    if let Some(j) = &e.table().job {
        let now = e.now();
        let refresh = e.assumptions().cache_refresh;
        let mut parts = vec![("re-wrap job".to_string(), Tone::Strong)];
        for k in [&j.old_plain, &j.new_plain].into_iter().flatten() {
            let left = (k.fetched_at + refresh).since(now);
            parts.push((format!(" {} {}", k.table_key, left.countdown()), Tone::Warn));
        }
        if j.stalled.is_some() {
            parts.push((" stalled: needs an unusable key".into(), Tone::Bad));
        }
        lines.push(Line::from(
            parts
                .into_iter()
                .map(|(s, t)| Span::styled(s, theme.style(t)))
                .collect::<Vec<_>>(),
        ));
    }
    if entries.is_empty() {
        lines.push(Line::styled(
            "no principals in this scenario",
            theme.style(Tone::Dim),
        ));
    }
    let room = h.saturating_sub(lines.len());
    let selected = app.cache.selected.min(entries.len().saturating_sub(1));
    let offset = selected.saturating_sub(room.saturating_sub(1));
    for (i, entry) in entries.iter().enumerate().skip(offset).take(room) {
        let spans: Vec<Span> = row(app, entry, inner.width as usize)
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
