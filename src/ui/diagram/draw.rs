//! The diagram's boxes and lines: KMS keys, table keys, DEK groups, items, the DEK in flight.

use crate::app::NodeId;
use crate::engine::view::Engine;
use crate::engine::view::{DekId, TableKeyId};
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
