//! The event log: CloudTrail-shaped KMS calls and every state change, newest last, failures
//! in a distinct style; scrollable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::{Theme, Tone};
use crate::app::tone::glyph;
use crate::app::{App, Focus};
use crate::engine::view::EventKind;
use crate::report;

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus() == Focus::Log;
    let log = app.runner().engine().log();
    // How far back the view really is (a scroll past the oldest lines shows them, no more).
    let visible = area.height.saturating_sub(2) as usize;
    let back = app
        .log_scroll()
        .min(log.len().saturating_sub(visible.min(log.len())));
    let scrolled = if back > 0 {
        format!(" · {back} newer lines below (End to follow)")
    } else {
        String::new()
    };
    let block = Block::bordered()
        .title(format!(
            " Event log & CloudTrail: {} events{scrolled} ",
            log.len()
        ))
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = inner.height as usize;
    // Scrolled all the way back (Home), the oldest lines fill the panel: never an empty log.
    let end = log
        .len()
        .saturating_sub(app.log_scroll())
        .max(h.min(log.len()));
    let start = end.saturating_sub(h);
    // The time column is as wide as the widest time shown, so the kind column never shifts
    // (`9d 23:59:00` next to `10d 00:00:00`).
    let time_w = log
        .range(start..end)
        .map(|e| e.at.to_string().chars().count())
        .max()
        .unwrap_or(0);
    // Long lines wrap under the text column (nothing is cut); the newest event stays at the
    // bottom, so the oldest shown may lose its first lines when the panel is full.
    let text_w = (inner.width as usize).saturating_sub(time_w + 9).max(10);
    let indent = " ".repeat(time_w + 9);
    let event_lines = |e: &crate::engine::view::Event| -> Vec<Line> {
        let tone = if e.kind.is_failure() {
            Tone::Bad
        } else if matches!(e.kind, EventKind::Step { .. }) {
            Tone::Accent
        } else {
            Tone::Normal
        };
        // A failure is marked by a glyph too, not only by its colour.
        let text = if e.kind.is_failure() {
            format!("{} {}", glyph::FAILED, report::describe_event(e))
        } else {
            report::describe_event(e)
        };
        let parts = super::chrome::wrap(&text, text_w);
        parts
            .into_iter()
            .enumerate()
            .map(|(k, part)| {
                let mut spans = if k == 0 {
                    vec![
                        Span::styled(
                            format!("{:>time_w$} ", e.at.to_string()),
                            theme.style(Tone::Dim),
                        ),
                        Span::styled(
                            format!("{:<8}", report::tag(&e.kind)),
                            theme.style(Tone::Strong),
                        ),
                    ]
                } else {
                    vec![Span::raw(indent.clone())]
                };
                spans.push(Span::styled(part, theme.style(tone)));
                Line::from(spans)
            })
            .collect()
    };
    let lines: Vec<Line> = if app.log_scroll() > 0 {
        // Scrolled back: the first event shown starts at the top.
        log.range(start..end)
            .flat_map(event_lines)
            .take(h)
            .collect()
    } else {
        // Following: the newest event ends at the bottom.
        let mut newest_first: Vec<Line> = Vec::new();
        for e in log.range(start..end).rev() {
            let mut lines = event_lines(e);
            // An event that no longer fits whole shows its head, ending in `…`, in the rows
            // left (never its tail: the time and kind are on its first line).
            if newest_first.len() + lines.len() > h {
                let room = h - newest_first.len();
                if room > 0 {
                    lines.truncate(room);
                    if let Some(last) = lines.last_mut() {
                        mark_cut(last, text_w);
                    }
                    newest_first.extend(lines.into_iter().rev());
                }
                break;
            }
            newest_first.extend(lines.into_iter().rev());
        }
        newest_first.reverse();
        newest_first
    };
    f.render_widget(Paragraph::new(lines), inner);
}

/// End a line shown as the head of a longer entry with ` …`: after its last word when there
/// is room, else in place of its last characters.
fn mark_cut(line: &mut Line<'_>, text_w: usize) {
    if let Some(span) = line.spans.last_mut() {
        let text: String = span.content.chars().collect();
        span.content = if text.chars().count() + 2 <= text_w {
            format!("{} …", text.trim_end())
        } else {
            // In place of the last word (never half a word), or of its last characters when
            // the line is one word.
            let trimmed = text.trim_end();
            let cut = match trimmed.rfind(' ') {
                Some(i) if i > 0 => trimmed[..i].to_string(),
                _ => trimmed
                    .chars()
                    .take(trimmed.chars().count().saturating_sub(2))
                    .collect(),
            };
            format!("{} …", cut.trim_end())
        }
        .into();
    }
}
