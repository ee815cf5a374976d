//! The tree panel: draws the rows of `app::tree` (the key hierarchy), indented and folded.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::{Theme, Tone};
pub use crate::app::tree::{LIST_LIMIT, TreeRow, rows};
use crate::app::{App, Focus, NodeId};

/// Draw the tree panel.
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    // Presenting with the sandbox locked, no row is highlighted (the room would read it as
    // emphasis).
    let focused = app.focus() == Focus::Tree
        && app
            .presenting()
            .is_none_or(crate::app::Presenting::unlocked);
    let full = rows(app);
    let h = area.height.saturating_sub(2) as usize;
    let (rows, selected) = fold_to_fit(&full, app.tree_index(&full), h);
    // Keep the selection visible and, as far as that allows, the rows where things happen now
    // (the DEK moving or just landed, a stalled or lost table key) on a short screen.
    let mut offset = selected.saturating_sub(h.saturating_sub(1));
    if let Some(last) = rows.iter().rposition(is_current)
        && h > 0
        && last >= offset + h
    {
        offset = (last + 1 - h).min(selected);
    }
    let above = if offset > 0 {
        format!(" · ↑ {offset} more")
    } else {
        String::new()
    };
    let room = area.width.saturating_sub(4) as usize;
    let title = [
        format!(" Keys: KMS key → table key → DEKs → items{above} "),
        format!(" KMS key → table key → DEKs → items{above} "),
        format!(" KMS → table key → DEK → item{above} "),
        format!(" Keys{above} "),
    ]
    .into_iter()
    .find(|t| t.chars().count() <= room)
    .unwrap_or_default();
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if h == 0 {
        return;
    }
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

/// A row where something happens now: the DEK in flight or just landed, a stalled re-wrap, a
/// lost table key.
/// On a short panel, runs of quiet DEK rows are folded into one row each
/// (`DEK-1 … DEK-7`), so the table keys and the rows where things happen
/// stay on screen. Returns the rows to draw and the index of the selected one among them (a
/// selection inside a folded run selects the run).
fn fold_to_fit(rows: &[TreeRow], selected: usize, h: usize) -> (Vec<TreeRow>, usize) {
    if rows.len() <= h {
        return (rows.to_vec(), selected);
    }
    let quiet = |r: &TreeRow| matches!(r.id, NodeId::Deks(..)) && !is_current(r);
    let mut out: Vec<TreeRow> = Vec::with_capacity(h);
    let mut sel = 0;
    let mut i = 0;
    while i < rows.len() {
        let mut j = i;
        while j < rows.len() && quiet(&rows[j]) && rows[j].depth == rows[i].depth {
            j += 1;
        }
        if j - i >= 2 {
            let first = rows[i].parts.first().map_or("", |p| p.0.as_str());
            let last = rows[j - 1].parts.first().map_or("", |p| p.0.as_str());
            let a = first.split(" … ").next().unwrap_or(first);
            let b = last.rsplit(" … ").next().unwrap_or(last);
            if (i..j).contains(&selected) {
                sel = out.len();
            }
            out.push(TreeRow {
                parts: vec![(format!("{a} … {b}"), Tone::Normal)],
                ..rows[i].clone()
            });
            i = j;
        } else {
            if i == selected {
                sel = out.len();
            }
            out.push(rows[i].clone());
            i += 1;
        }
    }
    (out, sel)
}

fn is_current(r: &TreeRow) -> bool {
    r.parts.iter().any(|(text, tone)| {
        *tone == Tone::Moving
            || text.contains("STALLED")
            || text.contains("LOST")
            || text.contains("re-wrapping")
    })
}
