//! The recoverability ledger on screen (`L`): every copy of each table's data (the table, its
//! replicas, its backups, its archival backup), the KMS key it needs and what can be done with
//! it now: the answer to "what still needs this key?" before deleting one.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::app::App;
use crate::app::tone::Tone;
use crate::report::ledger::ledger;

/// The overlay's lines, as (text, tone) parts.
pub fn lines(app: &App) -> Vec<Vec<(String, Tone)>> {
    let rows = ledger(app.runner().engine());
    let w_table = rows
        .iter()
        .map(|r| r.table.chars().count())
        .max()
        .unwrap_or(5);
    let w_copy = rows
        .iter()
        .map(|r| r.copy.chars().count())
        .max()
        .unwrap_or(5);
    let w_key = rows
        .iter()
        .map(|r| r.key.chars().count())
        .max()
        .unwrap_or(5);
    let mut out = vec![vec![(
        "Every copy of each table's data, the KMS key it needs, and what can be done with it now:"
            .to_string(),
        Tone::Normal,
    )]];
    for r in rows {
        let tone = if r.state.starts_with("LOST") {
            Tone::Bad
        } else if r.state.starts_with("readable") || r.state.starts_with("restorable") {
            Tone::Ok
        } else {
            Tone::Warn
        };
        let mut when = String::new();
        if let Some(t) = r.unreadable_since {
            let _ = write!(when, " · unreadable since {t}");
        }
        if let Some(t) = r.lost_since {
            let _ = write!(when, " · lost since {t}");
        }
        out.push(vec![
            (
                format!("{:<w_table$}  {:<w_copy$}  ", r.table, r.copy),
                Tone::Strong,
            ),
            (format!("needs {:<w_key$}  ", r.key), Tone::Normal),
            (r.state, tone),
            (when, Tone::Dim),
        ]);
    }
    out
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let lines: Vec<Line> = lines(app)
        .into_iter()
        .map(|l| {
            Line::from(
                l.into_iter()
                    .map(|(s, t)| Span::styled(s, theme.style(t)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let w = area.width.saturating_sub(4).min(140);
    let inner_w = w.saturating_sub(2).max(1) as usize;
    // Rows after wrapping, so the box is as tall as its text (and never taller than the screen).
    let tall: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum::<usize>()
        + 1;
    let h = (tall as u16 + 2).min(area.height);
    let rect = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    f.render_widget(Clear, rect);
    f.buffer_mut().set_style(rect, theme.base());
    let block = Block::bordered()
        .title(" Recoverability ledger · L or Esc closes ")
        .border_style(theme.border(true));
    let mut all = lines;
    all.push(Line::styled(
        "The same table ends `rewrap run`.",
        theme.style(Tone::Dim),
    ));
    f.render_widget(
        Paragraph::new(all).block(block).wrap(Wrap { trim: false }),
        rect,
    );
}
