//! The timeline: rows over simulated time for each KMS key's state, the table's status, SSE,
//! each cache entry's validity and every read, with the milestones marked: the "when exactly"
//! answer at a glance.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::{Theme, Tone};
use crate::app::App;
use crate::app::timeline::{ZOOMS, Zoom, value_at};
use crate::engine::kms::KeyState;
use crate::engine::table::{SseStatus, TableStatus};
use crate::engine::time::{SimDuration, SimTime};

const LABEL: usize = 13;

/// The window shown: `[from, to)`.
pub fn window(app: &App) -> (SimTime, SimTime) {
    let now = app.runner().engine().now();
    match ZOOMS[app.timeline_zoom].0 {
        Zoom::SoFar => (SimTime::ZERO, now.max(SimTime(60_000))),
        Zoom::Whole => (
            SimTime::ZERO,
            app.runner().end_time().max(now).max(SimTime(60_000)),
        ),
        Zoom::Around(span) => {
            let half = SimDuration(span.as_millis() / 2);
            let from = SimTime(now.as_millis().saturating_sub(half.as_millis()));
            (from, from + span)
        }
    }
}

/// Where each moment of the window falls across `width` columns.
///
/// Zoomed around now it is linear. Over the whole scenario or everything so far it is
/// compressed: each gap between two moments something happened gets room growing with the
/// logarithm of its length, so a 16-second re-wrap and a 7-day wait are both visible on one
/// screen (busy stretches expanded, quiet ones shortened; the axis marks shortened gaps `≈`).
#[derive(Clone, Debug)]
pub struct Scale {
    /// (time in ms, column position) pairs, both increasing.
    knots: Vec<(u64, f64)>,
    width: usize,
}

/// Gaps shorter than this count about linearly; longer ones logarithmically.
const GRAIN_MS: f64 = 1_000.0;

impl Scale {
    pub fn linear(from: SimTime, to: SimTime, width: usize) -> Self {
        Self {
            knots: vec![(from.0, 0.0), (to.0.max(from.0 + 1), width as f64)],
            width,
        }
    }

    /// Compressed around `moments` (any order, any count: thinned to a few per column).
    pub fn compressed(
        from: SimTime,
        to: SimTime,
        width: usize,
        moments: impl Iterator<Item = SimTime>,
    ) -> Self {
        let mut times: Vec<u64> = moments
            .map(|t| t.0)
            .filter(|t| *t > from.0 && *t < to.0)
            .collect();
        times.sort_unstable();
        times.dedup();
        let limit = width.max(1) * 2;
        if times.len() > limit {
            let step = times.len() as f64 / limit as f64;
            times = (0..limit)
                .map(|i| times[(i as f64 * step) as usize])
                .collect();
            times.dedup();
        }
        let mut points = Vec::with_capacity(times.len() + 2);
        points.push(from.0);
        points.extend(times);
        points.push(to.0.max(from.0 + 1));
        let weights: Vec<f64> = points
            .windows(2)
            .map(|w| (1.0 + (w[1] - w[0]) as f64 / GRAIN_MS).ln())
            .collect();
        let total: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let mut col = 0.0;
        let mut knots = vec![(points[0], 0.0)];
        for (k, w) in weights.iter().enumerate() {
            col += w / total * width as f64;
            knots.push((points[k + 1], col));
        }
        Self { knots, width }
    }

    /// The column of time `t`, if in the window; its end belongs to the last column.
    pub fn col_of(&self, t: SimTime) -> Option<usize> {
        let (first, last) = (self.knots[0].0, self.knots[self.knots.len() - 1].0);
        if t.0 < first || t.0 > last || self.width == 0 {
            return None;
        }
        let i = self
            .knots
            .partition_point(|k| k.0 <= t.0)
            .clamp(1, self.knots.len() - 1);
        let (a, b) = (self.knots[i - 1], self.knots[i]);
        let frac = if b.0 > a.0 {
            (t.0 - a.0) as f64 / (b.0 - a.0) as f64
        } else {
            0.0
        };
        let col = a.1 + frac * (b.1 - a.1);
        Some((col as usize).min(self.width - 1))
    }

    /// The moment a column stands for (its middle).
    pub fn time_at(&self, col: usize) -> SimTime {
        let x = col as f64 + 0.5;
        let i = self
            .knots
            .partition_point(|k| k.1 <= x)
            .clamp(1, self.knots.len() - 1);
        let (a, b) = (self.knots[i - 1], self.knots[i]);
        let frac = if b.1 > a.1 {
            (x - a.1) / (b.1 - a.1)
        } else {
            0.0
        };
        SimTime(a.0 + (frac.clamp(0.0, 1.0) * (b.0 - a.0) as f64) as u64)
    }

    /// Columns where a gap was shortened to less than a quarter of its linear share.
    fn shortened(&self) -> Vec<usize> {
        let (first, last) = (self.knots[0].0, self.knots[self.knots.len() - 1].0);
        let span = (last - first).max(1) as f64;
        self.knots
            .windows(2)
            .filter(|w| {
                let linear = (w[1].0 - w[0].0) as f64 / span * self.width as f64;
                let shown = w[1].1 - w[0].1;
                linear >= 4.0 && shown * 4.0 < linear
            })
            .map(|w| (f64::midpoint(w[0].1, w[1].1) as usize).min(self.width.saturating_sub(1)))
            .collect()
    }
}

/// The scale for the current zoom: compressed around what happened (whole, so far), linear
/// zoomed around now.
pub fn scale(app: &App, width: usize) -> Scale {
    let (from, to) = window(app);
    if matches!(ZOOMS[app.timeline_zoom].0, Zoom::Around(_)) {
        return Scale::linear(from, to, width);
    }
    let tl = app.timeline();
    let now = app.runner().engine().now();
    let moments = tl
        .keys
        .iter()
        .flat_map(|(_, c)| c.iter().map(|x| x.0))
        .chain(tl.table.iter().map(|x| x.0))
        .chain(tl.sse.iter().map(|x| x.0))
        .chain(tl.reads.iter().map(|x| x.0))
        .chain(
            tl.cache
                .iter()
                .flat_map(|r| r.valid.iter().flat_map(|v| [v.0, v.1])),
        )
        .chain(milestone_marks(app).into_iter().map(|m| m.0))
        .chain(std::iter::once(now));
    Scale::compressed(from, to, width, moments)
}

/// `3d 04:05` (or `00:04:05` when the window is within the first day): short enough for an
/// axis label, the same form along one axis.
fn tick_label(t: SimTime, days: bool) -> String {
    let s = t.0 / 1_000;
    if days {
        format!("{}d {:02}:{:02}", t.days(), (s / 3_600) % 24, (s / 60) % 60)
    } else {
        format!("{:02}:{:02}:{:02}", s / 3_600, (s / 60) % 60, s % 60)
    }
}

/// The axis: a row of time labels and a row of ticks (`┬`), `≈` where a gap is shortened and
/// `▼` at now.
fn axis_lines(scale: &Scale, width: usize, now: SimTime, theme: Theme) -> Vec<Line<'static>> {
    let mut labels = vec![' '; width];
    let mut ticks = vec!['─'; width];
    let days = scale.time_at(width.saturating_sub(1)).days() > 0;
    let mut col = 0;
    while col < width {
        let text = tick_label(scale.time_at(col), days);
        let n = text.chars().count();
        if col + n > width {
            break;
        }
        for (k, ch) in text.chars().enumerate() {
            labels[col + k] = ch;
        }
        ticks[col] = '┬';
        col += n + 4;
    }
    for c in scale.shortened() {
        if ticks[c] == '─' {
            ticks[c] = '≈';
        }
    }
    if let Some(c) = scale.col_of(now) {
        ticks[c] = '▼';
    }
    let mut label_row = vec![label("")];
    label_row.push(Span::styled(
        labels.into_iter().collect::<String>(),
        theme.style(Tone::Normal),
    ));
    let mut tick_row = vec![label("time")];
    tick_row.push(Span::styled(
        ticks.into_iter().collect::<String>(),
        theme.style(Tone::Accent),
    ));
    tick_row.push(Span::styled(" ▼ now", theme.style(Tone::Normal)));
    vec![Line::from(label_row), Line::from(tick_row)]
}

fn label(s: &str) -> Span<'static> {
    let mut s: String = s.chars().take(LABEL - 1).collect();
    while s.chars().count() < LABEL {
        s.push(' ');
    }
    Span::raw(s)
}

/// One span per run of cells with the same tone, not one per cell.
fn strip(cells: Vec<(char, Tone)>, theme: Theme) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut tone: Option<Tone> = None;
    for (c, t) in cells {
        if let Some(prev) = tone
            && prev != t
        {
            spans.push(Span::styled(std::mem::take(&mut run), theme.style(prev)));
        }
        tone = Some(t);
        run.push(c);
    }
    if let Some(t) = tone {
        spans.push(Span::styled(run, theme.style(t)));
    }
    spans
}

/// The milestones to mark: (time, glyph, legend text).
fn milestone_marks(app: &App) -> Vec<(SimTime, char, String)> {
    let e = app.runner().engine();
    let m = e.milestones();
    let mut marks: Vec<(SimTime, char, String)> = Vec::new();
    if let Some((t, p, err)) = &m.first_failed_read {
        let _ = err;
        marks.push((*t, 'F', format!("F first failed read {t} ({p})")));
    }
    if let Some(t) = m.inaccessible_since {
        marks.push((t, 'I', format!("I inaccessible {t}")));
    }
    if let Some(t) = m.archiving_at {
        marks.push((t, 'A', format!("A archiving {t}")));
    } else if let Some(t) = e.table().archive_at {
        marks.push((t, 'a', format!("a archive due {t}")));
    }
    for (k, t) in &m.keys_deleted {
        marks.push((*t, 'D', format!("D {k} deleted {t}")));
    }
    for k in e.keys() {
        if let KeyState::PendingDeletion { deletion_at } = k.state {
            marks.push((
                deletion_at,
                'd',
                format!("d {} deletes {deletion_at}", k.id),
            ));
        }
    }
    if let Some(t) = m.unrecoverable_from {
        marks.push((t, 'U', format!("U unrecoverable {t}")));
    }
    marks
}

/// The glyph key, then the milestones wrapped to `width`.
fn legend_lines(
    marks: &mut [(SimTime, char, String)],
    width: usize,
    theme: Theme,
) -> (Vec<Line<'static>>, usize) {
    // The glyph key, wrapped at its `·` groups so no part of it is cut.
    let key = "keys █ enabled ▒ disabled ▓ pending deletion ∅ deleted ◌ pending import · table █ active ▒ inaccessible ▓ archiving ░ archived · SSE ▒ updating · reads • ok ✗ failed · cache ▬ valid · · future · time ≈ quiet stretch shortened";
    let mut key_lines: Vec<String> = vec![String::new()];
    for group in key.split(" · ") {
        let cur = key_lines.last_mut().expect("one line");
        let add = if cur.is_empty() {
            group.chars().count()
        } else {
            group.chars().count() + 3
        };
        if !cur.is_empty() && cur.chars().count() + add > width {
            key_lines.push(group.to_string());
        } else {
            if !cur.is_empty() {
                cur.push_str(" · ");
            }
            cur.push_str(group);
        }
    }
    let mut legend: Vec<Line<'static>> = key_lines
        .into_iter()
        .map(|l| Line::styled(l, theme.style(Tone::Dim)))
        .collect();
    let key_rows = legend.len();
    marks.sort_by_key(|m| m.0);
    let mut line = String::new();
    for (_, _, text) in marks.iter() {
        if !line.is_empty() && line.chars().count() + 3 + text.chars().count() > width {
            legend.push(Line::styled(
                std::mem::take(&mut line),
                theme.style(Tone::Warn),
            ));
        }
        if !line.is_empty() {
            line.push_str(" · ");
        }
        line.push_str(text);
    }
    if !line.is_empty() {
        legend.push(Line::styled(line, theme.style(Tone::Warn)));
    }
    let milestone_rows = legend.len() - key_rows;
    (legend, milestone_rows)
}

/// One row per KMS key, the table, SSE and each principal's reads, `width` cells each.
fn state_rows(app: &App, scale: &Scale, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let e = app.runner().engine();
    let now = e.now();
    let tl = app.timeline();
    let future = |t: SimTime| t > now;
    let strip = |cells: Vec<(char, Tone)>| strip(cells, theme);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (key, changes) in &tl.keys {
        let cells = (0..width)
            .map(|c| {
                let t = scale.time_at(c);
                if future(t) {
                    return ('·', Tone::Dim);
                }
                match value_at(changes, t) {
                    Some(KeyState::Enabled) => ('█', Tone::Ok),
                    Some(KeyState::Disabled) => ('▒', Tone::Warn),
                    Some(KeyState::PendingDeletion { .. }) => ('▓', Tone::Bad),
                    Some(KeyState::Deleted { .. }) => ('∅', Tone::Bad),
                    Some(KeyState::PendingImport) => ('◌', Tone::Bad),
                    None => (' ', Tone::Dim),
                }
            })
            .collect();
        let mut spans = vec![label(key.as_str())];
        spans.extend(strip(cells));
        lines.push(Line::from(spans));
    }
    let table = (0..width)
        .map(|c| {
            let t = scale.time_at(c);
            if future(t) {
                return ('·', Tone::Dim);
            }
            match value_at(&tl.table, t) {
                Some(TableStatus::Active) | None => ('█', Tone::Ok),
                Some(TableStatus::InaccessibleEncryptionCredentials) => ('▒', Tone::Bad),
                Some(TableStatus::Archiving) => ('▓', Tone::Bad),
                Some(TableStatus::Archived) => ('░', Tone::Bad),
            }
        })
        .collect();
    let mut spans = vec![label("table")];
    spans.extend(strip(table));
    lines.push(Line::from(spans));
    let sse = (0..width)
        .map(|c| {
            let t = scale.time_at(c);
            if future(t) {
                return ('·', Tone::Dim);
            }
            match value_at(&tl.sse, t) {
                Some(SseStatus::Updating) => ('▒', Tone::Warn),
                _ => ('█', Tone::Ok),
            }
        })
        .collect();
    let mut spans = vec![label("SSE")];
    spans.extend(strip(sse));
    lines.push(Line::from(spans));

    // Reads per principal: • ok, ✗ failed (a failure wins its column).
    for p in e.principals() {
        let mut cells = vec![(' ', Tone::Dim); width];
        for (t, who, ok) in &tl.reads {
            if who != &p.id {
                continue;
            }
            if let Some(c) = scale.col_of(*t) {
                if !ok {
                    cells[c] = ('✗', Tone::Bad);
                } else if cells[c].0 != '✗' {
                    cells[c] = ('•', Tone::Ok);
                }
            }
        }
        let mut spans = vec![label(&format!("reads {}", p.id))];
        spans.extend(strip(cells));
        lines.push(Line::from(spans));
    }

    lines
}

/// Draw the timeline; `beside` when it sits beside the log on a large screen (`t` hides it)
/// rather than in place of the panels (`t` goes back to them).
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme, beside: bool) {
    let (from, to) = window(app);
    let e = app.runner().engine();
    let now = e.now();
    let block = Block::bordered()
        .title(format!(
            " Timeline · {} · {from} → {to} · z zoom · t {} ",
            ZOOMS[app.timeline_zoom].1,
            if beside { "hide" } else { "back" }
        ))
        .border_style(theme.border(!beside));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = (inner.width as usize).saturating_sub(LABEL);
    if width < 10 || inner.height < 4 {
        return;
    }
    let tl = app.timeline();
    let future = |t: SimTime| t > now;
    let scale = scale(app, width);
    let mut lines: Vec<Line> = axis_lines(&scale, width, now, theme);
    let strip = |cells: Vec<(char, Tone)>| strip(cells, theme);
    lines.extend(state_rows(app, &scale, width, theme));
    // Milestones never hide each other: one at a taken column goes to the next row.
    let mut marks = milestone_marks(app);
    marks.sort_by_key(|m| m.0);
    let mut rows: Vec<Vec<(char, Tone)>> = Vec::new();
    for (t, ch, _) in &marks {
        let Some(c) = scale.col_of(*t) else {
            continue;
        };
        let free = rows.iter().position(|r| r[c].0 == ' ');
        let r = if let Some(r) = free {
            r
        } else {
            rows.push(vec![(' ', Tone::Dim); width]);
            rows.len() - 1
        };
        rows[r][c] = (*ch, Tone::Bad);
    }
    if rows.is_empty() {
        rows.push(vec![(' ', Tone::Dim); width]);
    }
    for (k, row) in rows.into_iter().enumerate() {
        let mut spans = vec![label(if k == 0 { "milestones" } else { "" })];
        spans.extend(strip(row));
        lines.push(Line::from(spans));
    }

    let (mut legend, milestone_rows) = legend_lines(&mut marks, inner.width as usize, theme);
    // Short of rows, the milestones matter more than the glyph key (which `?` also shows).
    let key_rows = legend.len() - milestone_rows;
    if lines.len() + legend.len() > inner.height as usize && milestone_rows > 0 {
        legend.drain(..key_rows);
    }
    let legend_lines = legend.len();
    let room = (inner.height as usize).saturating_sub(lines.len() + legend_lines);
    // Cache rows with the room left; one line says how many did not fit.
    let shown = if tl.cache.len() > room {
        room.saturating_sub(1)
    } else {
        tl.cache.len()
    };
    for r in tl.cache.iter().take(shown) {
        let cells = (0..width)
            .map(|c| {
                let t = scale.time_at(c);
                if future(t) {
                    return ('·', Tone::Dim);
                }
                let i = r.valid.partition_point(|(s, _)| *s <= t);
                if i > 0 && r.valid[i - 1].1 > t {
                    ('▬', Tone::Accent)
                } else {
                    (' ', Tone::Dim)
                }
            })
            .collect();
        let mut spans = vec![label(&format!("{}#{}", r.principal, r.connection))];
        spans.extend(strip(cells));
        lines.push(Line::from(spans));
    }
    let hidden = tl.cache.len() - shown;
    if hidden > 0 && room > 0 {
        lines.push(Line::styled(
            format!("cache rows: {hidden} hidden (a taller window shows them)"),
            theme.style(Tone::Dim),
        ));
    }
    lines.extend(legend);
    f.render_widget(Paragraph::new(lines), inner);
}
