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
use crate::engine::view::KeyState;
use crate::engine::view::Milestone;
use crate::engine::view::{SimDuration, SimTime};
use crate::engine::view::{SseStatus, TableStatus};

pub use super::timescale::Scale;
use super::timescale::tick_label;

const LABEL: usize = 13;

/// The window shown: `[from, to)`.
pub fn window(app: &App) -> (SimTime, SimTime) {
    let now = app.runner().engine().now();
    match ZOOMS[app.timeline_zoom()].0 {
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

/// The scale for the current zoom: compressed around what happened (whole, so far), linear
/// zoomed around now.
pub fn scale(app: &App, width: usize) -> Scale {
    let (from, to) = window(app);
    if matches!(ZOOMS[app.timeline_zoom()].0, Zoom::Around(_)) {
        return Scale::linear(from, to, width);
    }
    let tl = app.timeline();
    let now = app.runner().engine().now();
    let moments = tl
        .keys
        .iter()
        .flat_map(|(_, c)| c.iter().map(|x| x.0))
        .chain(tl.tables.iter().flat_map(|r| {
            r.status
                .iter()
                .map(|x| x.0)
                .chain(r.sse.iter().map(|x| x.0))
                .chain(
                    r.cache
                        .iter()
                        .flat_map(|c| c.valid.iter().flat_map(|v| [v.0, v.1])),
                )
        }))
        .chain(tl.reads.iter().map(|x| x.0))
        .chain(milestone_marks(app).into_iter().map(|m| m.0))
        .chain(std::iter::once(now));
    Scale::compressed(from, to, width, moments)
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

/// A table's row name: its label, or for a replica whose label does not fit the column, its
/// region (`@eu-west-1` reads better than `Orders@eu-w…`).
fn row_name(label: &str) -> String {
    match label.split_once('@') {
        Some((_, region)) if label.chars().count() >= LABEL => format!("@{region}"),
        _ => label.to_string(),
    }
}

fn label(s: &str) -> Span<'static> {
    // A name longer than the column ends with `…`, so a cut name never reads as another.
    let mut s: String = if s.chars().count() > LABEL - 1 {
        let mut cut: String = s.chars().take(LABEL - 2).collect();
        cut.push('…');
        cut
    } else {
        s.to_string()
    };
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

/// The milestones to mark (the read model's, for the focused table, whose rows these are):
/// (time, glyph, legend text).
fn milestone_marks(app: &App) -> Vec<(SimTime, char, String)> {
    let e = app.runner().engine();
    e.milestone_marks(app.table_focus())
        .into_iter()
        .map(|m| {
            let t = m.at();
            match m {
                Milestone::FirstFailedRead { principal, .. } => {
                    (t, 'F', format!("F first failed read {t} ({principal})"))
                }
                Milestone::Inaccessible { .. } => (t, 'I', format!("I inaccessible {t}")),
                Milestone::Archiving { .. } => (t, 'A', format!("A archiving {t}")),
                Milestone::ArchiveDue { .. } => (t, 'a', format!("a archive due {t}")),
                Milestone::KeyDeleted { key, .. } => (t, 'D', format!("D {key} deleted {t}")),
                Milestone::LeftReplication { region, .. } => {
                    (t, 'R', format!("R {region} left replication {t}"))
                }
                Milestone::DeletionDue { key, .. } => (t, 'd', format!("d {key} deletes {t}")),
                Milestone::Unrecoverable { .. } => (t, 'U', format!("U unrecoverable {t}")),
            }
        })
        .collect()
}

/// The glyph key, then the milestones wrapped to `width`.
fn legend_lines(
    marks: &mut [(SimTime, char, String)],
    width: usize,
    theme: Theme,
    backups: bool,
) -> (Vec<Line<'static>>, usize) {
    // The glyph key, wrapped at its `·` groups so no part of it is cut.
    let mut key = String::from(
        "keys █ enabled ▒ disabled ▓ pending deletion ∅ deleted ◌ pending import · table █ active ▒ inaccessible ▓ archiving ░ archived · SSE ▒ updating · reads • ok ✗ failed · cache ▬ valid · · future · time ≈ quiet stretch shortened",
    );
    if backups {
        key.push_str(" · ⊡ backup █ restorable ▒ blocked ∅ lost");
    }
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
    let focused = tl.table(&app.focused_table().label());
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
            match focused.and_then(|r| value_at(&r.status, t)) {
                Some(TableStatus::Active) | None => ('█', Tone::Ok),
                Some(TableStatus::InaccessibleEncryptionCredentials) => ('▒', Tone::Bad),
                Some(TableStatus::Archiving) => ('▓', Tone::Bad),
                Some(TableStatus::Archived) => ('░', Tone::Bad),
            }
        })
        .collect();
    // With several tables this row is the focused one's (the others have rows of their own).
    let name = if e.tables().len() > 1 {
        row_name(&app.focused_table().label())
    } else {
        "table".to_string()
    };
    let mut spans = vec![label(&name)];
    spans.extend(strip(table));
    lines.push(Line::from(spans));
    let sse = (0..width)
        .map(|c| {
            let t = scale.time_at(c);
            if future(t) {
                return ('·', Tone::Dim);
            }
            match focused.and_then(|r| value_at(&r.sse, t)) {
                Some(SseStatus::Updating) => ('▒', Tone::Warn),
                _ => ('█', Tone::Ok),
            }
        })
        .collect();
    // SSE is the focused table's too: say whose, as the row above does.
    let sse_name = if e.tables().len() > 1 {
        // Too long for the column: it is the row above's.
        let full = format!("SSE {name}");
        if full.chars().count() < LABEL {
            full
        } else {
            "└ SSE".to_string()
        }
    } else {
        "SSE".to_string()
    };
    let mut spans = vec![label(&sse_name)];
    spans.extend(strip(sse));
    lines.push(Line::from(spans));
    lines.extend(copy_rows(app, scale, width, theme));

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

/// Version 2: a row per other table (replicas, restored tables: every table but the focused
/// one) with its status, and a row per backup with whether it could be restored at each moment
/// (from its key's states).
fn copy_rows(app: &App, scale: &Scale, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let now = app.runner().engine().now();
    let tl = app.timeline();
    let focused = app.focused_table().label();
    let mut lines = Vec::new();
    for r in tl.tables.iter().filter(|r| r.label != focused) {
        let (name, changes) = (&r.label, &r.status);
        let cells = (0..width)
            .map(|c| {
                let t = scale.time_at(c);
                if t > now {
                    return ('·', Tone::Dim);
                }
                match value_at(changes, t) {
                    None => (' ', Tone::Dim),
                    Some(TableStatus::Active) => ('█', Tone::Ok),
                    Some(TableStatus::InaccessibleEncryptionCredentials) => ('▒', Tone::Bad),
                    Some(TableStatus::Archiving) => ('▓', Tone::Bad),
                    Some(TableStatus::Archived) => ('░', Tone::Bad),
                }
            })
            .collect();
        let mut spans = vec![label(&row_name(name))];
        spans.extend(strip(cells, theme));
        lines.push(Line::from(spans));
    }
    for (name, taken, key) in &tl.backups {
        let states = tl.keys.iter().find(|(k, _)| k == key).map(|(_, c)| c);
        let cells = (0..width)
            .map(|c| {
                let t = scale.time_at(c);
                if t > now {
                    return ('·', Tone::Dim);
                }
                if t < *taken {
                    return (' ', Tone::Dim);
                }
                match states.and_then(|c| value_at(c, t)) {
                    Some(KeyState::Enabled) | None => ('█', Tone::Ok),
                    Some(KeyState::Deleted { .. }) => ('∅', Tone::Bad),
                    Some(_) => ('▒', Tone::Warn),
                }
            })
            .collect();
        // `⊡` marks a backup (the legend says so); the name gets the rest of the column.
        let mut spans = vec![label(&format!("⊡ {name}"))];
        spans.extend(strip(cells, theme));
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
            ZOOMS[app.timeline_zoom()].1,
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
    let cache: &[_] = tl
        .table(&app.focused_table().label())
        .map_or(&[], |r| r.cache.as_slice());
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

    let backups = !app.timeline().backups.is_empty();
    let (mut legend, milestone_rows) =
        legend_lines(&mut marks, inner.width as usize, theme, backups);
    // Short of rows, the milestones matter more than the glyph key (which `?` also shows).
    let key_rows = legend.len() - milestone_rows;
    if lines.len() + legend.len() > inner.height as usize && milestone_rows > 0 {
        legend.drain(..key_rows);
    }
    let legend_lines = legend.len();
    let room = (inner.height as usize).saturating_sub(lines.len() + legend_lines);
    // Cache rows with the room left; one line says how many did not fit.
    let shown = if cache.len() > room {
        room.saturating_sub(1)
    } else {
        cache.len()
    };
    for r in cache.iter().take(shown) {
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
    let hidden = cache.len() - shown;
    if hidden > 0 && room > 0 {
        lines.push(Line::styled(
            format!("cache rows: {hidden} hidden (a taller window shows them)"),
            theme.style(Tone::Dim),
        ));
    }
    lines.extend(legend);
    f.render_widget(Paragraph::new(lines), inner);
}
