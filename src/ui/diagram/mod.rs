//! The key hierarchy as a diagram: one column per KMS key, in the world's order, from the first
//! step to the last, so a presenter's clicks never move a box:
//!
//! ```text
//! ┌ ◆ kms-1 ──────────┐            ┌ ◆ kms-2 ──────────┐
//! │ CMK · Enabled     │            │ CMK · Enabled     │
//! └────────┬──────────┘            └────────┬──────────┘
//!          │ wraps                          │ wraps
//! ┌ T1 table key ─────┐            ┌ T2 table key ─────┐
//! │ current           │            │ new · 4/8         │
//! └────────┬──────────┘            └────────┬──────────┘
//! ┌ DEKs under T1 (3) ┐            ┌ DEKs under T2 (4) ┐
//! │ DEK-5 DEK-6 DEK-7 │ DEK-4 ━━▶  │ DEK-0 DEK-1 DEK-2 │
//! └────────┬──────────┘            └────────┬──────────┘
//! ┌ ▣ 64 items: encrypted under their DEKs, never touched by a key change ─────┐
//! ```
//!
//! A column's KMS key wraps the table key shown under it (the current one, the one a re-wrap
//! moves to or from, else its newest); a retired table key stays drawn, greyed, with no DEK
//! under it, so the story's last line ("KMS-1 only ever wrapped T1") has something to point
//! at. The columns are the world's keys: customer managed ones, and the AWS owned or managed
//! key only when the table uses it or a step names it. Boxes scale with the window (wider
//! columns and more rows of DEKs at 200x60, compact boxes at 100x30); a world with more keys
//! than fit draws the keys the table uses and says how many are left out. During a re-wrap
//! the DEK in flight travels across the gap from the old table key's box to the new one's;
//! lost material is crossed out. Huge tables group their DEKs into ranges, so drawing costs
//! the same at any size.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Block;

mod draw;
mod path;

use super::theme::Theme;
use crate::app::{App, Focus};
use crate::engine::view::{Engine, KeyKind, KmsKey, Table, TableKey, TableKeyId};
use draw::Draw;

/// The diagram (and big clock, and the timeline beside the log) from this size up.
pub const LARGE_W: u16 = 160;
pub const LARGE_H: u16 = 48;

/// Is the window large enough for the diagram layout?
pub fn is_large(area: Rect) -> bool {
    area.width >= LARGE_W && area.height >= LARGE_H
}

/// Box heights: roomy boxes (a border and two lines, links of two rows) when the panel is
/// tall enough, else compact ones (one line, links of one row).
#[derive(Clone, Copy)]
struct Rows {
    kms: u16,
    tk: u16,
    link: u16,
    items: u16,
}

const ROOMY: Rows = Rows {
    kms: 4,
    tk: 4,
    link: 2,
    items: 3,
};
const COMPACT: Rows = Rows {
    kms: 3,
    tk: 3,
    link: 1,
    items: 3,
};
/// The fewest rows a DEK box takes.
const MIN_DEK_H: u16 = 3;
const MAX_COL_W: u16 = 48;
/// The narrowest column whose boxes read whole (`DEKs under T1 (8)`, `new · re-wrapping 4/8`).
const MIN_COL_W: u16 = 21;
/// Worlds with more keys than this that do not fit draw the keys the table uses (and say how
/// many are left out); smaller ones that do not fit are shown as the list, which is as stable.
const MANY_KEYS: usize = 4;
const MIN_GAP: u16 = 2;
const MAX_GAP: u16 = 16;

/// Draw the diagram panel; false if the area is too small for it (the caller draws the list).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) -> bool {
    let focused = app.focus() == Focus::Tree;
    let e = app.runner().engine();
    let t = app.focused_table();
    let Some(stage) = layout(app, area) else {
        return false;
    };
    let block = Block::bordered()
        .title(title(app, stage.hidden))
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);

    // Presenting with the sandbox locked, nothing is selected: a marked box would read to the
    // room as emphasis.
    let locked = app.presenting().is_some_and(|p| !p.unlocked());
    let rows = crate::app::tree::rows(app);
    let selected = if locked {
        None
    } else {
        rows.get(app.tree_index(&rows)).map(|r| r.id.clone())
    };
    let d = Draw {
        selected,
        e,
        t,
        tx: app.table_focus(),
        theme,
        focused,
    };
    let n = stage.columns.len() as u16;
    let (col_w, gap) = stage.widths;
    let used = n * col_w + n.saturating_sub(1) * gap;
    let x0 = inner.x + (inner.width.saturating_sub(used)) / 2;
    let x_of = |i: u16| x0 + i * (col_w + gap);
    let r = stage.rows;
    let y_kms = inner.y;
    let y_tk = y_kms + r.kms + r.link;
    let y_dek = y_tk + r.tk + r.link;
    let y_items = inner.y + inner.height - r.items;
    let dek_h = y_items.saturating_sub(r.link.max(1) + y_dek).max(MIN_DEK_H);
    let mut dek_boxes: Vec<(TableKeyId, Rect)> = Vec::new();
    // Where each column's DEKs sit (drawn or not): the re-wrap's DEK flies between two.
    let mut dek_slots: Vec<(TableKeyId, Rect)> = Vec::new();
    let mut placed: Vec<path::ColumnRects> = Vec::new();
    for (i, col) in stage.columns.iter().enumerate() {
        let x = x_of(i as u16);
        let kms_box = Rect::new(x, y_kms, col_w, r.kms);
        d.kms_box(f, kms_box, col.key);
        let mut rects = path::ColumnRects {
            table_key: col.table_key.map(TableKey::id),
            kms: kms_box,
            tk: None,
            dek: None,
        };
        if let Some(tk) = col.table_key {
            dek_slots.push((tk.id(), Rect::new(x, y_dek, col_w, dek_h)));
        }
        let Some(tk) = col.table_key else {
            d.no_table_key(f, Rect::new(x, y_tk, col_w, r.tk));
            placed.push(rects);
            continue;
        };
        d.link(f, kms_box, y_tk, "wraps");
        let tk_box = Rect::new(x, y_tk, col_w, r.tk);
        d.table_key_box(f, tk_box, tk, col.older);
        rects.tk = Some(tk_box);
        if let Some((lo, hi)) = crate::app::tree::dek_range(app, tk.id()) {
            d.link(f, tk_box, y_dek, "wraps");
            let rect = Rect::new(x, y_dek, col_w, dek_h);
            d.dek_box(f, rect, col.key, tk.id(), lo, hi);
            dek_boxes.push((tk.id(), rect));
            rects.dek = Some(rect);
        }
        placed.push(rects);
    }
    d.travelling_dek(f, &dek_slots, inner);
    // The items, under every DEK box, across every column so the sentence has room.
    for (_, rect) in &dek_boxes {
        d.link(f, *rect, y_items, "");
    }
    let x1 = (x_of(n - 1) + col_w).max(x0 + 40.min(inner.width));
    let items = Rect::new(x0, y_items, x1.min(inner.x + inner.width) - x0, r.items);
    d.items_box(f, items);
    // A reveal: the request's path through the column of the table key it used.
    if let Some(progress) = app
        .presenting()
        .and_then(crate::app::Presenting::path_progress)
        && let Some(proof) = app.question().and_then(|q| q.proof.as_ref())
        && let Some(req) = &proof.request
        && let Some(col) = placed.iter().find(|c| c.table_key == req.table_key)
    {
        d.request_path(f, items, col, proof, progress);
    }
    true
}

/// The panel's title: what it draws, how many keys are left out, and (not for the room) the
/// key that switches to the list.
fn title(app: &App, hidden: usize) -> String {
    let hint = if app.presenting().is_some() {
        " "
    } else {
        " · g: list "
    };
    if hidden > 0 {
        format!(
            " Keys · {hidden} more KMS key{} not drawn{hint}",
            if hidden == 1 { "" } else { "s" }
        )
    } else {
        format!(" Keys: KMS key → table key → DEKs → items{hint}")
    }
}

/// One column of the stage: a KMS key, the table key drawn under it (if it wraps one), and
/// how many older table keys it wrapped that are not drawn.
struct Column<'a> {
    key: &'a KmsKey,
    table_key: Option<&'a TableKey>,
    older: usize,
}

/// The columns drawn, their width and gap, the rows, and how many keys are left out.
struct Stage<'a> {
    columns: Vec<Column<'a>>,
    widths: (u16, u16),
    rows: Rows,
    hidden: usize,
}

/// The world's keys, in order, that get a column: customer managed ones, and the AWS owned
/// or managed key when the table uses it or a step names it. The same set at every step.
fn stage_keys<'a>(app: &'a App, e: &'a Engine, t: &'a Table) -> Vec<&'a KmsKey> {
    let named = |k: &KmsKey| {
        app.scenario().steps.iter().any(|s| match &s.action {
            crate::scenario::Action::Command(c) => c.key() == Some(k.id()),
            crate::scenario::Action::EachConnection { .. } => false,
        })
    };
    e.keys()
        .iter()
        .filter(|k| {
            k.kind() == KeyKind::CustomerManaged
                || t.table_keys().iter().any(|tk| tk.kms_key() == k.id())
                || named(k)
        })
        .collect()
}

/// The stage for this window; `None` when the area is too small for it, or the world is one
/// the list shows better (several tables, on-demand backups).
fn layout(app: &App, area: Rect) -> Option<Stage<'_>> {
    let e = app.runner().engine();
    // The diagram draws one table's hierarchy; with several (version 2), or on-demand backups
    // (the archival one is in the status panel), the list shows every table's key and every
    // backup under its KMS key, which is the point of such a scenario.
    // Decided for the whole scenario, so the stage never flips between clicks: a step that
    // backs up or restores (a restore makes a second table) means the list from step 0.
    let scripted = app.scenario().steps.iter().any(
        |s| matches!(&s.action, crate::scenario::Action::Command(c) if c.is_backup_or_restore()),
    );
    if scripted
        || app.scenario().table_names.len() > 1
        || e.tables().len() > 1
        || e.backups().iter().any(|b| !b.archival())
    {
        return None;
    }
    let t = app.focused_table();
    let inner_w = area.width.saturating_sub(2);
    let inner_h = area.height.saturating_sub(2);
    let rows = if inner_h >= ROOMY.kms + ROOMY.tk + 2 * ROOMY.link + 4 + 1 + ROOMY.items {
        ROOMY
    } else {
        COMPACT
    };
    if inner_h < rows.kms + rows.tk + 2 * rows.link + MIN_DEK_H + 1 + rows.items {
        return None;
    }
    let mut keys = stage_keys(app, e, t);
    let fit = |n: u16| n * MIN_COL_W + n.saturating_sub(1) * MIN_GAP <= inner_w;
    let mut hidden = 0;
    if !fit(keys.len() as u16) && keys.len() <= MANY_KEYS {
        return None;
    }
    if !fit(keys.len() as u16) {
        // Too many keys to draw: the ones the table uses, in order.
        let all = keys.len();
        keys.retain(|k| t.table_keys().iter().any(|tk| tk.kms_key() == k.id()));
        while keys.len() > 1 && !fit(keys.len() as u16) {
            keys.remove(0);
        }
        hidden = all - keys.len();
        if !fit(keys.len() as u16) {
            return None;
        }
    }
    let n = keys.len().max(1) as u16;
    // Wider columns first, then wider gaps, within the maxima.
    let col_w = ((inner_w - n.saturating_sub(1) * MIN_GAP) / n).clamp(MIN_COL_W, MAX_COL_W);
    let gap = if n > 1 {
        ((inner_w - n * col_w) / (n - 1)).clamp(MIN_GAP, MAX_GAP)
    } else {
        0
    };
    let job = t.job();
    let columns = keys
        .into_iter()
        .map(|key| {
            let under: Vec<&TableKey> = t
                .table_keys()
                .iter()
                .filter(|tk| tk.kms_key() == key.id())
                .collect();
            // The one that matters now: the current one, one a re-wrap moves to or from, else
            // the newest.
            let shown = under
                .iter()
                .rev()
                .find(|tk| {
                    tk.id() == t.current()
                        || job.is_some_and(|j| j.from() == tk.id() || j.to() == tk.id())
                })
                .or_else(|| under.last())
                .copied();
            Column {
                key,
                table_key: shown,
                older: under.len().saturating_sub(1),
            }
        })
        .collect();
    Some(Stage {
        columns,
        widths: (col_w, gap),
        rows,
        hidden,
    })
}
