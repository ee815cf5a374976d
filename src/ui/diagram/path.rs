//! A reveal's demonstration in the diagram: the request's path from the item up to the cache or
//! KMS, lit a box at a time, and the same path as a sentence in the items box.

use super::draw::Draw;
use crate::engine::view::{CacheUse, RequestProof, StepProof, TableKeyId};
use crate::ui::theme::Tone;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Where one column's boxes sit, for the revealed request's path.
pub(super) struct ColumnRects {
    pub(super) table_key: Option<TableKeyId>,
    pub(super) kms: Rect,
    pub(super) tk: Option<Rect>,
    pub(super) dek: Option<Rect>,
}

impl Draw<'_> {
    /// A reveal draws what the request went through, from the item up, a box at a time over
    /// `progress` (0.0 to 1.0): item → its DEK → the table key → the connection's cache (no KMS
    /// call) or KMS Decrypt on the key (✓, or ✗ and its error). The boxes on the path and the
    /// lines between them light up; the items box reads the path as a sentence.
    pub(super) fn request_path(
        &self,
        f: &mut Frame,
        items: Rect,
        col: &ColumnRects,
        proof: &StepProof,
        progress: f64,
    ) {
        let Some(req) = &proof.request else {
            return;
        };
        // Four stages; the last (the answer from the cache or KMS) stays longest.
        let stage = ((progress * 5.0).floor() as usize + 1).min(4);
        let lit = self.theme.style(Tone::Moving).add_modifier(Modifier::BOLD);
        let buf = f.buffer_mut();
        let outline = |buf: &mut ratatui::buffer::Buffer, r: Rect| {
            for x in r.x..r.x + r.width {
                for y in [r.y, r.y + r.height.saturating_sub(1)] {
                    if let Some(c) = buf.cell_mut((x, y)) {
                        c.set_style(lit);
                    }
                }
            }
            for y in r.y..r.y + r.height {
                for x in [r.x, r.x + r.width.saturating_sub(1)] {
                    if let Some(c) = buf.cell_mut((x, y)) {
                        c.set_style(lit);
                    }
                }
            }
        };
        // The vertical line from `upper`'s bottom to `lower`'s top, in the column's middle.
        let line = |buf: &mut ratatui::buffer::Buffer, upper: Rect, lower_y: u16| {
            let x = upper.x + upper.width / 2;
            for y in upper.y + upper.height.saturating_sub(1)..=lower_y {
                if let Some(c) = buf.cell_mut((x, y)) {
                    c.set_style(lit);
                }
            }
        };
        outline(buf, items);
        if stage >= 2
            && let Some(dek) = col.dek
        {
            line(buf, dek, items.y);
            outline(buf, dek);
            // The DEK's own name in the box, reversed, when it is drawn.
            if let Some(id) = req.dek {
                mark_word(
                    buf,
                    dek,
                    &id.to_string(),
                    lit.add_modifier(Modifier::REVERSED),
                );
            }
        }
        if stage >= 3
            && let Some(tk) = col.tk
        {
            if let Some(dek) = col.dek {
                line(buf, tk, dek.y);
            }
            outline(buf, tk);
        }
        let fetched = req.cache == CacheUse::Fetched;
        if stage >= 4 && fetched {
            if let Some(tk) = col.tk {
                line(buf, col.kms, tk.y);
            }
            outline(buf, col.kms);
        }
        self.path_sentence(f, items, req, proof, stage);
    }

    /// The revealed request's path as a sentence inside the items box, as far as `stage`.
    fn path_sentence(
        &self,
        f: &mut Frame,
        items: Rect,
        req: &RequestProof,
        proof: &StepProof,
        stage: usize,
    ) {
        let fetched = req.cache == CacheUse::Fetched;
        let item = req
            .item
            .map_or_else(|| "the item".to_string(), |i| i.to_string());
        let dek = req
            .dek
            .map_or_else(|| "its DEK".to_string(), |d| d.to_string());
        let tk = req
            .table_key
            .map_or_else(|| "the table key".to_string(), |t| t.to_string());
        // A request that failed before it reached an item says so ("the read needs T1").
        let reached = req.item.is_some() || req.dek.is_some();
        let mut parts: Vec<(String, Tone)> = if reached {
            vec![(item, Tone::Strong)]
        } else {
            let what = if req.write { "the write" } else { "the read" };
            vec![(what.to_string(), Tone::Strong)]
        };
        if stage >= 2 && reached {
            parts.push((format!(" needs {dek}"), Tone::Strong));
        }
        if stage >= 3 {
            parts.push((format!(" needs {tk}"), Tone::Strong));
        }
        if stage >= 4 {
            parts.push(match (fetched, proof.kms_failure.as_ref()) {
                (false, _) => (": cached, no KMS call ✓".to_string(), Tone::Ok),
                (true, Some((op, key, code))) => (format!(": {op} on {key} ✗ {code}"), Tone::Bad),
                (true, None) => {
                    let key = self
                        .t
                        .table_keys()
                        .iter()
                        .find(|k| Some(k.id()) == req.table_key)
                        .map_or_else(String::new, |k| format!(" on {}", k.kms_key()));
                    (format!(": Decrypt{key} ✓"), Tone::Ok)
                }
            });
        }
        let w = usize::from(items.width.saturating_sub(2));
        // A narrow box: arrows for "needs", then the path from the table key on.
        let len = |p: &[(String, Tone)]| p.iter().map(|(s, _)| s.chars().count()).sum::<usize>();
        if len(&parts) > w {
            for p in &mut parts {
                p.0 = p.0.replace(" needs ", " → ");
            }
        }
        // Then from the table key on: the table key and what answered for it always stay.
        let keep = if stage >= 4 { 2 } else { 1 };
        while len(&parts) > w && parts.len() > keep && stage >= 3 {
            parts.remove(0);
            if let Some(first) = parts.first_mut() {
                first.0 = first.0.trim_start_matches([' ', '→']).to_string();
            }
        }
        // Then the answer in its fewest words: the error's name is the point.
        if len(&parts) > w
            && stage >= 4
            && let Some(last) = parts.last_mut()
        {
            last.0 = match (fetched, proof.kms_failure.as_ref()) {
                (false, _) => ": cached ✓".to_string(),
                (true, Some((_, _, code))) => format!(" ✗ {code}"),
                (true, None) => ": Decrypt ✓".to_string(),
            };
        }
        let parts = crate::ui::fit_parts(parts, w);
        let row = Rect::new(items.x + 1, items.y + 1, items.width.saturating_sub(2), 1);
        f.render_widget(ratatui::widgets::Clear, row);
        f.render_widget(
            Paragraph::new(Line::from(
                parts
                    .into_iter()
                    .map(|(s, t)| Span::styled(s, self.theme.style(t).add_modifier(Modifier::BOLD)))
                    .collect::<Vec<_>>(),
            )),
            row,
        );
    }
}

/// Style the first whole occurrence of `word` inside `r`'s border (a DEK's name in its box).
fn mark_word(buf: &mut ratatui::buffer::Buffer, r: Rect, word: &str, style: Style) {
    let n = word.chars().count() as u16;
    for y in r.y + 1..(r.y + r.height).saturating_sub(1) {
        let row: Vec<String> = (r.x + 1..(r.x + r.width).saturating_sub(1))
            .map(|x| {
                buf.cell((x, y))
                    .map_or(String::new(), |c| c.symbol().to_string())
            })
            .collect();
        for start in 0..row.len().saturating_sub(n as usize - 1) {
            let whole = row[start..start + n as usize].concat() == word;
            let before = start == 0 || row[start - 1] == " ";
            let after = row.get(start + n as usize).is_none_or(|c| c == " ");
            if whole && before && after {
                for dx in 0..n {
                    if let Some(c) = buf.cell_mut((r.x + 1 + start as u16 + dx, y)) {
                        c.set_style(style);
                    }
                }
                return;
            }
        }
    }
}
