//! The tree panel: draws the rows of `app::tree` (the key hierarchy), indented and folded.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
pub use crate::app::tree::{LIST_LIMIT, TreeRow, rows};
use crate::app::{App, Focus};

/// Draw the tree panel.
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus == Focus::Tree;
    let block = Block::bordered()
        .title(" Keys: KMS key → table key → DEKs → items ")
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = rows(app);
    let h = inner.height as usize;
    if h == 0 {
        return;
    }
    let selected = app.tree_index(&rows);
    let offset = selected.saturating_sub(h.saturating_sub(1));
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(h)
        .map(|(i, r)| {
            let indent = "  ".repeat(r.depth as usize);
            let fold = if r.foldable {
                if r.collapsed { "▸ " } else { "▾ " }
            } else {
                "  "
            };
            let lead = format!("{indent}{fold}");
            let room = (inner.width as usize).saturating_sub(lead.chars().count());
            let mut spans = vec![Span::raw(lead)];
            spans.extend(
                super::fit_parts(r.parts.clone(), room)
                    .into_iter()
                    .map(|(s, tone)| Span::styled(s, theme.style(tone))),
            );
            let line = Line::from(spans);
            if focused && i == selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
