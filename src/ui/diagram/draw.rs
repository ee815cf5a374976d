//! The diagram's boxes and lines: KMS keys, table keys, DEK groups, items, the DEK in flight.

use crate::app::NodeId;
use crate::engine::view::Engine;
use crate::engine::view::{CacheUse, DekId, RequestProof, StepProof, TableKeyId};
use crate::engine::view::{KeyKind, KeyState, KmsKey};
use crate::engine::view::{Table, TableKey, TableKeyRole};
use crate::ui::theme::{Theme, Tone};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// What one frame of the diagram draws with: the selection, the engine, the first table.
pub(super) struct Draw<'a> {
    /// The selected tree row's entity.
    pub(super) selected: Option<NodeId>,
    pub(super) e: &'a Engine,
    /// The table drawn (the diagram draws a world of one table) and its index.
    pub(super) t: &'a Table,
    pub(super) tx: crate::engine::view::TableIx,
    pub(super) theme: Theme,
    pub(super) focused: bool,
}

impl Draw<'_> {
    pub(super) fn selected(&self, id: &NodeId) -> bool {
        self.selected.as_ref().is_some_and(|n| match (n, id) {
            (NodeId::Deks(a, _), NodeId::Deks(b, _)) => a == b,
            _ => n == id,
        })
    }

    /// A box with a title; the selected entity's box is marked (▶, and bold when the panel
    /// has focus), lost material has a crossed-out title.
    pub(super) fn boxed(
        &self,
        f: &mut Frame,
        r: Rect,
        title: Vec<Span<'static>>,
        tone: Tone,
        id: &NodeId,
        lines: Vec<Line<'static>>,
    ) {
        let selected = self.selected(id);
        let mut border = self.theme.style(tone);
        if selected {
            border = border.add_modifier(Modifier::BOLD);
            if self.focused {
                border = border.add_modifier(Modifier::REVERSED);
            }
        }
        let mut spans = vec![Span::styled(
            if selected { "▶ " } else { " " },
            self.theme.style(Tone::Accent),
        )];
        spans.extend(title);
        spans.push(Span::raw(" "));
        let block = Block::bordered()
            .title(Line::from(spans))
            .border_style(border);
        let inner = block.inner(r);
        f.render_widget(block, r);
        f.render_widget(Paragraph::new(lines), inner);
    }

    pub(super) fn text(&self, s: impl Into<String>, tone: Tone, width: u16) -> Span<'static> {
        Span::styled(
            crate::ui::fit_words(&s.into(), width as usize),
            self.theme.style(tone),
        )
    }

    pub(super) fn crossed(&self, s: impl Into<String>, tone: Tone, width: u16) -> Span<'static> {
        Span::styled(
            crate::ui::fit_words(&s.into(), width as usize),
            self.theme.style(tone).add_modifier(Modifier::CROSSED_OUT),
        )
    }

    pub(super) fn kms_box(&self, f: &mut Frame, r: Rect, k: &KmsKey) {
        let w = r.width.saturating_sub(2);
        let kind = match k.kind() {
            KeyKind::CustomerManaged => "CMK",
            KeyKind::AwsManaged => "AWS managed",
            KeyKind::AwsOwned => "AWS owned",
        };
        let now = self.e.now();
        let (glyph, tone) = crate::app::tone::look::key(k.state());
        // The state whole, with its consequence when the box has room for it.
        let room = usize::from(w.saturating_sub(kind.len() as u16 + 3));
        let state = match k.state() {
            KeyState::Enabled => "Enabled".to_string(),
            KeyState::Disabled if room >= 25 => "Disabled: Decrypt refused".to_string(),
            KeyState::Disabled => "Disabled".to_string(),
            KeyState::PendingDeletion { .. } => "PendingDeletion".to_string(),
            KeyState::Deleted { .. } => "DELETED".into(),
            KeyState::PendingImport => "PendingImport".into(),
        };
        let id = if k.is_deleted() {
            self.crossed(k.id().to_string(), Tone::Bad, w)
        } else {
            Span::styled(k.id().to_string(), self.theme.style(Tone::Strong))
        };
        let title = vec![
            Span::styled(format!("{glyph} "), self.theme.style(tone)),
            id,
        ];
        let mut second = String::new();
        if !k.is_deleted() {
            let v = k.versions_created();
            second = if v == 1 {
                "material v1".into()
            } else {
                format!("material v1..v{v}")
            };
        }
        if k.kind() == KeyKind::AwsOwned {
            second = "not in your account".into();
        }
        if k.is_deleted() {
            second = "material destroyed for good".into();
        }
        if k.state() == KeyState::PendingImport {
            second = "no key material: import it again".into();
        }
        if let KeyState::PendingDeletion { deletion_at } = k.state() {
            second = format!("deleted in {}", deletion_at.since(now).countdown());
        }
        let lines = vec![
            Line::from(vec![
                Span::styled(format!("{kind} · "), self.theme.style(Tone::Dim)),
                self.text(state, tone, w.saturating_sub(kind.len() as u16 + 3)),
            ]),
            Line::from(self.text(second, Tone::Dim, w)),
        ];
        let border = if k.is_deleted() {
            Tone::Bad
        } else {
            Tone::Normal
        };
        self.boxed(f, r, title, border, &NodeId::Kms(k.id().clone()), lines);
    }

    /// Where a KMS key wraps no table key (yet): a dim line under its box, in the slot a table
    /// key would take, so the column reads as a key the table does not use.
    pub(super) fn no_table_key(&self, f: &mut Frame, r: Rect) {
        let text = self.text("wraps no table key", Tone::Dim, r.width);
        f.render_widget(
            Paragraph::new(Line::from(text)).alignment(ratatui::layout::Alignment::Center),
            Rect::new(r.x, r.y + r.height / 2, r.width, 1),
        );
    }

    /// A table key's box: what it is now (its role in the read model), and how many older
    /// table keys the same KMS key wrapped (not drawn).
    pub(super) fn table_key_box(&self, f: &mut Frame, r: Rect, tk: &TableKey, older: usize) {
        let w = r.width.saturating_sub(2);
        let role = self.e.table_key_role(self.tx, tk.id());
        let lost = role == TableKeyRole::Lost;
        let retired = matches!(role, TableKeyRole::Retired { .. });
        let (tone, first, second) = match role {
            TableKeyRole::Retired { at } => (
                Tone::Dim,
                pick(
                    &["retired: no DEK under it".into(), "retired: no DEKs".into()],
                    w,
                ),
                format!("since {at}"),
            ),
            TableKeyRole::Lost => (
                Tone::Bad,
                "✗ LOST: its KMS key is deleted".to_string(),
                "its DEKs cannot be unwrapped".to_string(),
            ),
            TableKeyRole::RewrapTarget {
                done,
                total,
                stalled: Some((key, error)),
            } => (
                Tone::Bad,
                pick(
                    &[
                        format!("new · {done}/{total} · STALLED"),
                        format!("{done}/{total} STALLED"),
                    ],
                    w,
                ),
                format!("{key}: {error}"),
            ),
            TableKeyRole::RewrapTarget {
                done,
                total,
                stalled: None,
            } => (
                Tone::Warn,
                pick(
                    &[
                        format!("new · re-wrapping {done}/{total}"),
                        format!("re-wrapping {done}/{total}"),
                        format!("re-wrap {done}/{total}"),
                    ],
                    w,
                ),
                String::new(),
            ),
            TableKeyRole::RewrapSource => (
                Tone::Accent,
                "current".to_string(),
                pick(
                    &["until the re-wrap ends".into(), "until re-wrap ends".into()],
                    w,
                ),
            ),
            TableKeyRole::Current => (
                Tone::Accent,
                "current".to_string(),
                format!("under {} v{}", tk.kms_key(), tk.material_version()),
            ),
            TableKeyRole::Other => (Tone::Dim, String::new(), String::new()),
        };
        // The title's room: the border's corners, a space each side and the selection mark.
        let name = table_key_title(tk.id(), older, w.saturating_sub(3));
        let title = if lost {
            vec![self.crossed(name, Tone::Bad, w)]
        } else if retired {
            vec![Span::styled(name, self.theme.style(Tone::Dim))]
        } else {
            vec![Span::styled(name, self.theme.style(Tone::Strong))]
        };
        let lines = vec![
            Line::from(self.text(first, tone, w)),
            Line::from(self.text(second, Tone::Dim, w)),
        ];
        let border = if retired { Tone::Dim } else { Tone::Normal };
        self.boxed(f, r, title, border, &NodeId::TableKey(tk.id()), lines);
    }

    pub(super) fn dek_box(
        &self,
        f: &mut Frame,
        r: Rect,
        k: &KmsKey,
        tk: TableKeyId,
        lo: u32,
        hi: u32,
    ) {
        let w = r.width.saturating_sub(2);
        let flying = self.flying();
        let landed = self
            .e
            .rewrap_view(self.tx)
            .filter(|r| r.to == tk)
            .and_then(|r| r.landed);
        let lost = k.is_deleted();
        let ids: Vec<u32> = (lo..hi).filter(|i| Some(*i) != flying).collect();
        let rows = r.height.saturating_sub(2) as usize;
        let per_line = (w as usize / 8).max(1);
        let mut lines: Vec<Line<'static>> = Vec::new();
        let base = if lost { Tone::Bad } else { Tone::Normal };
        let style_of = |i: u32| {
            let s: Style = if Some(i) == landed {
                self.theme.style(Tone::Moving)
            } else {
                self.theme.style(base)
            };
            if lost {
                s.add_modifier(Modifier::CROSSED_OUT)
            } else {
                s
            }
        };
        if ids.len() <= rows * per_line {
            for chunk in ids.chunks(per_line) {
                let mut spans = Vec::new();
                for (j, i) in chunk.iter().enumerate() {
                    if j > 0 {
                        spans.push(Span::raw(" "));
                    }
                    spans.push(Span::styled(
                        format!("{:<7}", DekId(*i).to_string()),
                        style_of(*i),
                    ));
                }
                lines.push(Line::from(spans));
            }
        } else {
            let (a, b) = (ids[0], ids[ids.len() - 1]);
            let items: u64 = ids
                .iter()
                .map(|i| u64::from(self.t.deks()[*i as usize].items()))
                .sum();
            let text = format!("{} … {}", DekId(a), DekId(b));
            lines.push(Line::from(if lost {
                self.crossed(text, Tone::Bad, w)
            } else {
                self.text(text, Tone::Normal, w)
            }));
            lines.push(Line::from(self.text(
                format!("{} DEKs · {items} items", ids.len()),
                Tone::Dim,
                w,
            )));
            if let Some(i) = landed {
                lines.push(Line::from(vec![
                    Span::styled(DekId(i).to_string(), self.theme.style(Tone::Moving)),
                    self.text(" ✓ just landed", Tone::Ok, w.saturating_sub(8)),
                ]));
            }
        }
        if lost && rows > lines.len() {
            lines.push(Line::from(self.text("✗ unrecoverable", Tone::Bad, w)));
        }
        let title = vec![Span::styled(
            format!("DEKs under {tk} ({})", ids.len()),
            self.theme.style(Tone::Strong),
        )];
        self.boxed(f, r, title, Tone::Normal, &NodeId::Deks(tk, lo), lines);
    }

    /// The DEK in flight: being re-wrapped now (the job runs and is not stalled).
    pub(super) fn flying(&self) -> Option<u32> {
        self.e.rewrap_view(self.tx).and_then(|r| r.in_flight)
    }

    /// The DEK in flight, drawn in the gap beside the old table key's DEKs, moving towards
    /// the new table key's column (`slots`: where each column's DEKs sit, drawn or not), as
    /// far along as the re-wrap of that DEK has got. Columns side by side share the gap; a
    /// column further away is named on the token (`D5 ━▶ T3`). Never drawn outside `inner`.
    pub(super) fn travelling_dek(&self, f: &mut Frame, slots: &[(TableKeyId, Rect)], inner: Rect) {
        let Some(job) = self.e.rewrap_view(self.tx) else {
            return;
        };
        let Some(i) = job.in_flight else {
            return;
        };
        let col = |tk: TableKeyId| slots.iter().position(|(t, _)| *t == tk);
        let (Some(a), Some(b)) = (col(job.from), col(job.to)) else {
            return;
        };
        if a == b {
            return;
        }
        let rightwards = b > a;
        let beside = if rightwards { a + 1 } else { a - 1 };
        let far = if beside == b {
            String::new()
        } else {
            format!(" {}", job.to)
        };
        let from = slots[a].1;
        let next = slots[beside].1;
        let (x0, x1) = if rightwards {
            (from.x + from.width, next.x)
        } else {
            (next.x + next.width, from.x)
        };
        let y = from.y + 1;
        let right_edge = inner.x + inner.width;
        let (x0, x1) = (x0.max(inner.x), x1.min(right_edge));
        if y + 1 >= inner.y + inner.height {
            return;
        }
        let progress = job.progress.unwrap_or(0.0);
        let name = DekId(i).to_string();
        let token = if rightwards {
            format!("{name} ━▶{far}")
        } else {
            format!("{far}◀━ {name}").trim_start().to_string()
        };
        let room = x1.saturating_sub(x0);
        let len = token.chars().count() as u16;
        if room < len + 1 {
            // No room in the gap (compact boxes side by side): the DEK leaves from inside its
            // box, on the box's last row, so it never simply vanishes from the picture.
            let w = from.width.saturating_sub(2);
            let row_y = (from.y + from.height).saturating_sub(2);
            if w > 0 && row_y > from.y {
                let long = format!("{name} ━▶ {} · re-wrapping", job.to);
                let text = if long.chars().count() <= w as usize {
                    long
                } else {
                    crate::ui::fit_words(&format!("{name} ━▶ {}", job.to), w as usize)
                };
                let row = Rect::new(from.x + 1, row_y, w, 1);
                f.render_widget(ratatui::widgets::Clear, row);
                f.buffer_mut().set_stringn(
                    row.x,
                    row.y,
                    text,
                    w as usize,
                    self.theme.style(Tone::Moving),
                );
            }
            return;
        }
        let travel = room - len - 1;
        let step = (progress * f64::from(travel)).round() as u16;
        let x = if rightwards {
            x0 + 1 + step
        } else {
            x1 - len - step
        };
        let buf = f.buffer_mut();
        // The path, then the DEK on it.
        for px in x0..x1 {
            buf.set_string(px, y, "┄", self.theme.style(Tone::Dim));
        }
        buf.set_string(x, y, token, self.theme.style(Tone::Moving));
        let label = "re-wrapping";
        if room as usize >= label.len() {
            let lx = x0 + (room - label.len() as u16) / 2;
            buf.set_string(lx, y + 1, label, self.theme.style(Tone::Warn));
        }
    }

    pub(super) fn items_box(&self, f: &mut Frame, r: Rect) {
        let w = r.width.saturating_sub(2);
        let items = self.t.items().len();
        let fp = self
            .t
            .items()
            .first()
            .map_or_else(|| "-".to_string(), |i| i.sealed().fingerprint().to_string());
        let title = vec![Span::styled(
            format!("▣ {items} items, each under its DEK"),
            self.theme.style(Tone::Strong),
        )];
        // The fingerprint only when it fits whole.
        let base = "never re-encrypted by a key change";
        let full = format!("{base} · item-0000000 ciphertext {fp}");
        let text = if full.chars().count() <= w as usize {
            full
        } else {
            base.to_string()
        };
        let lines = vec![Line::from(self.text(text, Tone::Normal, w))];
        self.boxed(f, r, title, Tone::Normal, &NodeId::Items, lines);
    }

    /// A vertical line from the middle of `from`'s bottom edge down to `to_y`, with a label.
    pub(super) fn link(&self, f: &mut Frame, from: Rect, to_y: u16, label: &str) {
        let x = from.x + from.width / 2;
        let y0 = from.y + from.height;
        let buf = f.buffer_mut();
        let style = self.theme.style(Tone::Normal);
        if from.height > 0 {
            buf.set_string(x, y0 - 1, "┬", style);
        }
        for y in y0..to_y {
            buf.set_string(x, y, "│", style);
        }
        buf.set_string(x, to_y, "┴", style);
        if !label.is_empty() && to_y > y0 {
            buf.set_string(x + 2, y0, label, self.theme.style(Tone::Dim));
        }
    }
}

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

/// The first wording that fits `room` whole: compact boxes get the short one, never a cut.
fn pick(options: &[String], room: u16) -> String {
    options
        .iter()
        .find(|o| o.chars().count() <= room as usize)
        .or(options.last())
        .cloned()
        .unwrap_or_default()
}

/// `T3 table key (+1 older)`, as much of it as fits `room`.
fn table_key_title(id: TableKeyId, older: usize, room: u16) -> String {
    if older > 0 {
        pick(
            &[
                format!("{id} table key (+{older} older)"),
                format!("{id} (+{older} older)"),
                format!("{id} +{older} older"),
                format!("{id}"),
            ],
            room,
        )
    } else {
        pick(&[format!("{id} table key"), format!("{id}")], room)
    }
}
