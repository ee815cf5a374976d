//! The key hierarchy as a diagram, for large windows (`LARGE_W`×`LARGE_H` and up):
//!
//! ```text
//! ┌ ◆ kms-1 CMK ──────┐            ┌ ◆ kms-2 CMK ──────┐    ┌ ◆ aws-owned ─┐
//! │ Enabled · v1      │            │ Enabled · v1      │    │ Enabled      │
//! └────────┬──────────┘            └────────┬──────────┘    └──────────────┘
//!          │ wraps                          │ wraps
//! ┌ T1 table key ─────┐            ┌ T2 table key ─────┐
//! │ current           │            │ new · 4/8         │
//! └────────┬──────────┘            └────────┬──────────┘
//!          │ wraps                          │ wraps
//! ┌ DEKs under T1 (3) ┐            ┌ DEKs under T2 (4) ┐
//! │ DEK-5 DEK-6 DEK-7 │ DEK-4 ━━▶  │ DEK-0 DEK-1 DEK-2 │
//! └────────┬──────────┘            └────────┬──────────┘
//! ┌ ▣ 64 items: encrypted under their DEKs, never touched by a key change ─────┐
//! ```
//!
//! One column per table key (the newest three), under the KMS key that wraps it; KMS keys that
//! wrap none stand on the right. During a re-wrap the DEK in flight travels across the gap
//! from the old table key's box to the new one's; lost material is crossed out. The box of
//! the selected entity (what the sandbox keys act on) is marked. Huge tables group their DEKs
//! into ranges, so drawing costs the same at any size.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Block;

mod draw;

use super::theme::Theme;
use crate::app::{App, Focus};
use crate::engine::view::Engine;
use crate::engine::view::KmsKey;
use crate::engine::view::TableKeyId;
use crate::engine::view::{Table, TableKey};
use draw::Draw;

/// The diagram (and big clock, and the timeline beside the log) from this size up.
pub const LARGE_W: u16 = 160;
pub const LARGE_H: u16 = 48;

/// Is the window large enough for the diagram layout?
pub fn is_large(area: Rect) -> bool {
    area.width >= LARGE_W && area.height >= LARGE_H
}

const KMS_H: u16 = 4;
const TK_H: u16 = 4;
const LINK_H: u16 = 2;
const ITEMS_H: u16 = 3;
const MAX_COL_W: u16 = 34;
const MIN_COL_W: u16 = 20;
pub(super) const GAP: u16 = 14;
const SPARE_W: u16 = 30;
/// The most table keys drawn (the newest).
const MAX_COLUMNS: usize = 3;

/// Draw the diagram panel; false if the area is too small for it (the caller draws the list).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) -> bool {
    let focused = app.focus() == Focus::Tree;
    let e = app.runner().engine();
    let t = e.table();
    let Some((cols, spare, hidden)) = layout(e, t, area) else {
        return false;
    };
    let shown = cols.len();
    let title = if hidden > 0 {
        format!(
            " Keys · {hidden} older table key{} not drawn · g: list ",
            if hidden == 1 { "" } else { "s" }
        )
    } else {
        " Keys: KMS key → table key → DEKs → items · g: list ".to_string()
    };
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);

    let spare_w = if spare.is_empty() { 0 } else { SPARE_W + 2 };
    let n = shown as u16;
    let col_w = ((inner.width - spare_w - n.saturating_sub(1) * GAP) / n).min(MAX_COL_W);
    let rows = crate::app::tree::rows(app);
    let selected = rows.get(app.tree_index(&rows)).map(|r| r.id.clone());
    let d = Draw {
        selected,
        e,
        t,
        tx: crate::engine::view::TableIx::FIRST,
        theme,
        focused,
    };
    let x_of = |i: u16| inner.x + i * (col_w + GAP);
    let y_kms = inner.y;
    let y_tk = y_kms + KMS_H + LINK_H;
    let y_dek = y_tk + TK_H + LINK_H;
    // As tall as the longest DEK list needs, within the room left.
    let per_line = (col_w.saturating_sub(2) / 8).max(1) as usize;
    let need = cols
        .iter()
        .filter_map(|tk| crate::app::tree::dek_range(app, tk.id()))
        .map(|(lo, hi)| (hi - lo) as usize)
        .max()
        .unwrap_or(0)
        .div_ceil(per_line) as u16
        + 2;
    let dek_h = inner
        .height
        .saturating_sub(KMS_H + TK_H + 2 * LINK_H + LINK_H + ITEMS_H)
        .min(need.clamp(4, 12));
    let y_items = y_dek + dek_h + LINK_H;
    let mut dek_boxes: Vec<(TableKeyId, Rect)> = Vec::new();
    for (i, tk) in cols.iter().enumerate() {
        let x = x_of(i as u16);
        let Some(kms) = e.key(tk.kms_key()) else {
            continue;
        };
        let kms_box = Rect::new(x, y_kms, col_w, KMS_H);
        d.kms_box(f, kms_box, kms);
        d.link(f, kms_box, y_tk, "wraps");
        d.table_key_box(f, Rect::new(x, y_tk, col_w, TK_H), tk);
        if let Some((lo, hi)) = crate::app::tree::dek_range(app, tk.id()) {
            d.link(f, Rect::new(x, y_tk, col_w, TK_H), y_dek, "wraps");
            let r = Rect::new(x, y_dek, col_w, dek_h);
            d.dek_box(f, r, kms, tk.id(), lo, hi);
            dek_boxes.push((tk.id(), r));
        }
    }
    // KMS keys that wrap no table key drawn here, stacked on the right.
    let spare_x = inner.x + inner.width - SPARE_W;
    for (i, k) in spare.iter().enumerate() {
        let y = y_kms + i as u16 * KMS_H;
        if y + KMS_H > y_items {
            break;
        }
        d.kms_box(f, Rect::new(spare_x, y, SPARE_W, KMS_H), k);
    }
    d.travelling_dek(f, &dek_boxes);
    // The items, under every DEK box, across every table-key column so the sentence has room.
    for (_, r) in &dek_boxes {
        d.link(f, *r, y_items, "");
    }
    let x1 = (x_of(n - 1) + col_w).max(inner.x + 40.min(inner.width));
    d.items_box(f, Rect::new(inner.x, y_items, x1 - inner.x, ITEMS_H));
    true
}

/// The table keys drawn (the newest that fit), the KMS keys that wrap none of them, and how
/// many older table keys are left out; `None` when the area is too small for the diagram.
fn layout<'a>(
    e: &'a Engine,
    t: &'a Table,
    area: Rect,
) -> Option<(Vec<&'a TableKey>, Vec<&'a KmsKey>, usize)> {
    // The diagram draws one table's hierarchy; with several (version 2), or on-demand backups
    // (the archival one is in the status panel), the list
    // shows every table's key and every backup under its KMS key, which is the point of such
    // a scenario.
    if e.tables().len() > 1 || e.backups().iter().any(|b| !b.archival()) {
        return None;
    }
    let inner_w = area.width.saturating_sub(2);
    let all: Vec<&TableKey> = t.table_keys().iter().collect();
    let spare_keys = |shown: usize| -> Vec<&KmsKey> {
        let cols = &all[all.len() - shown..];
        e.keys()
            .iter()
            .filter(|k| !cols.iter().any(|tk| tk.kms_key() == k.id()))
            .collect()
    };
    let fits = |n: usize, spare: usize| {
        let spare_w = if spare > 0 { SPARE_W + 2 } else { 0 };
        let n = n as u16;
        n * MIN_COL_W + n.saturating_sub(1) * GAP + spare_w <= inner_w
    };
    let mut shown = all.len().min(MAX_COLUMNS);
    while shown > 1 && !fits(shown, spare_keys(shown).len()) {
        shown -= 1;
    }
    let spare = spare_keys(shown);
    let inner_h = area.height.saturating_sub(2);
    if !fits(shown, spare.len()) || inner_h < KMS_H + TK_H + 2 * LINK_H + 3 + LINK_H + ITEMS_H {
        return None;
    }
    let cols = all[all.len() - shown..].to_vec();
    // A re-wrap is drawn with both its table keys, or not at all (the list shows it).
    if let Some(job) = t.job()
        && !(cols.iter().any(|tk| tk.id() == job.from())
            && cols.iter().any(|tk| tk.id() == job.to()))
    {
        return None;
    }
    Some((cols, spare, all.len() - shown))
}
