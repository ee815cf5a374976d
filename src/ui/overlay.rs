//! Overlays drawn over the panels: the help (every key, the glyph legend, the assumptions),
//! the deletion-days and quit prompts, and a reload that failed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::{Theme, Tone};
use crate::app::keys::{BINDINGS, Group};
use crate::app::tone::glyph;
use crate::app::{App, Prompt};
use crate::report;

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// What the tree's and the panels' glyphs mean: every state has its own glyph, so none is
/// told by colour alone.
pub const GLYPHS: &[(&str, &str)] = &[
    (glyph::KEY_ENABLED, "key enabled"),
    (glyph::KEY_DISABLED, "key disabled"),
    (glyph::KEY_PENDING_DELETION, "key pending deletion"),
    (glyph::KEY_DELETED, "key deleted (material destroyed)"),
    ("▣", "items"),
    ("⇢", "DEK moving"),
    (glyph::OK, "DEK landed / ok"),
    (glyph::FAILED, "fails, failed or unrecoverable"),
    ("▾/▸", "fold"),
    ("█░", "cache time left"),
];

/// The glyph legend flowed into lines of at most `width` columns (an entry is never split).
pub fn glyph_lines(width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for (g, meaning) in GLYPHS {
        let entry = format!("{g} {meaning}");
        let line = lines.last_mut().expect("one line");
        if !line.is_empty() && line.chars().count() + 2 + entry.chars().count() > width {
            lines.push(entry);
        } else {
            if !line.is_empty() {
                line.push_str("  ");
            }
            line.push_str(&entry);
        }
    }
    lines
}

/// The help overlay: every binding with its sentence (or, when short of room, two columns of
/// short labels), then the assumptions.
/// The help's assumptions section: each with its value, where it came from, and whether AWS
/// documents it.
fn assumption_lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let mut full: Vec<Line<'static>> = Vec::new();
    full.push(Line::styled(
        "Assumptions (undocumented ones are yours to change in [assumptions])",
        theme.style(Tone::Accent),
    ));
    for (name, value, src, documented) in report::assumption_rows(app.scenario()) {
        full.push(Line::from(vec![
            Span::styled(format!("  {name:<25}"), theme.style(Tone::Strong)),
            Span::raw(format!("{value:<26}")),
            Span::styled(
                format!(
                    "{src}, {}",
                    if documented {
                        "documented"
                    } else {
                        "ASSUMPTION"
                    }
                ),
                theme.style(if documented { Tone::Dim } else { Tone::Warn }),
            ),
        ]));
    }
    full
}

pub fn help(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut full: Vec<Line> = Vec::new();
    if app.lab().is_some() {
        full.push(Line::styled(
            "In this lab (these come first)",
            theme.style(Tone::Accent),
        ));
        full.push(Line::raw(
            "  H next hint · r reset (so read is f) · > go to a time · m the briefing · w save the attempt",
        ));
    }
    for group in [Group::Playback, Group::View, Group::Sandbox] {
        full.push(Line::styled(group.title(), theme.style(Tone::Accent)));
        for b in BINDINGS.iter().filter(|b| b.group == group) {
            // In a lab, `r` resets and reading is `f`.
            let (label, help) = if app.lab().is_some() && b.label == "r" {
                ("f", b.help)
            } else {
                (b.label, b.help)
            };
            full.push(Line::from(vec![
                Span::styled(format!("  {label:<7}"), theme.style(Tone::Strong)),
                Span::raw(help),
            ]));
        }
    }
    // Present mode's keys in one line: the clicker's few buttons.
    let present: Vec<String> = crate::app::keys::PRESENT_KEYS
        .iter()
        .map(|(_, label, help, _)| format!("{label} {}", help.split(':').next().unwrap_or(help)))
        .collect();
    full.push(Line::styled(
        if app.present() {
            "Presenting (these keys come first)"
        } else {
            "Present mode (P or F5): a clicker's keys"
        },
        theme.style(Tone::Accent),
    ));
    full.push(Line::raw(format!("  {}", present.join(" · "))));
    full.push(Line::styled("Glyphs", theme.style(Tone::Accent)));
    for l in glyph_lines(usize::from(96.min(area.width)).saturating_sub(4)) {
        full.push(Line::raw(format!("  {l}")));
    }
    full.push(Line::raw(
        "  Sandbox keys act on the KMS key selected in the tree and the connection selected in the cache panel (shown in the footer); with several tables, table actions (read, write, key change, grant, backup) act on the table the panels follow (T, or Enter on its row).",
    ));
    // The assumptions come last and are the first to go when the window is short (the
    // run's summary prints them too).
    let core_len = full.len();
    full.extend(assumption_lines(app, theme));
    full.push(Line::styled(
        "Esc or ? closes this help.",
        theme.style(Tone::Dim),
    ));
    if full.len() as u16 + 2 > area.height && core_len as u16 + 4 <= area.height {
        full.truncate(core_len);
        full.push(Line::styled(
            "Assumptions: a taller window lists them here; `rewrap run` prints them too.",
            theme.style(Tone::Dim),
        ));
        full.push(Line::styled(
            "Esc or ? closes this help.",
            theme.style(Tone::Dim),
        ));
    }
    let h = (full.len() as u16 + 2).min(area.height);
    let w = 96.min(area.width);
    let rect = centered(area, w, h);
    f.render_widget(Clear, rect);
    f.buffer_mut().set_style(rect, theme.base());
    let block = Block::bordered()
        .title(" Help ")
        .border_style(theme.border(true));
    if full.len() as u16 + 2 <= area.height {
        f.render_widget(Paragraph::new(full).block(block), rect);
        return;
    }
    // Not enough rows: two columns of `key short-label`, every binding still listed.
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let cells: Vec<String> = BINDINGS
        .iter()
        .map(|b| format!("{:<6} {}", b.label, b.short))
        .collect();
    let rows = cells.len().div_ceil(2);
    let col_w = (inner.width / 2) as usize;
    let mut lines: Vec<Line> = (0..rows)
        .map(|r| {
            let left = cells.get(r).cloned().unwrap_or_default();
            let right = cells.get(r + rows).cloned().unwrap_or_default();
            Line::raw(format!("{left:<col_w$}{right}"))
        })
        .collect();
    lines.extend(glyph_lines(inner.width.into()).into_iter().map(Line::raw));
    lines.push(Line::styled(
        "A taller window shows each key's full description and the assumptions.",
        theme.style(Tone::Dim),
    ));
    lines.push(Line::styled(
        "Esc or ? closes this help.",
        theme.style(Tone::Dim),
    ));
    f.render_widget(Paragraph::new(lines), inner);
}

/// The scenario file was saved and does not load: the diagnostic, over everything.
pub fn reload_error(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let crate::app::Overlay::ReloadError(why) = app.overlay() else {
        return;
    };
    let w = area.width.saturating_sub(6).min(110);
    let mut lines = vec![Line::styled(
        "The scenario file was saved but does not load; the last good version runs on.",
        theme.style(Tone::Strong),
    )];
    lines.push(Line::raw(""));
    for l in why.lines() {
        lines.push(Line::styled(l.to_string(), theme.style(Tone::Bad)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Fix the file and save again (it reloads), or Esc to close this.",
        theme.style(Tone::Accent),
    ));
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, w, h);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Reload failed ")
                .border_style(theme.style(Tone::Bad)),
        ),
        rect,
    );
}

pub fn prompt(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    if app.prompt() == Some(&Prompt::ConfirmQuit) {
        let rect = centered(area, 44, 5);
        f.render_widget(Clear, rect);
        f.render_widget(
            Paragraph::new(vec![
                Line::styled("Quit the presentation?", theme.style(Tone::Strong)),
                Line::raw("y or q: quit · any other key: stay"),
            ])
            .block(
                Block::bordered()
                    .title(" Quit? ")
                    .border_style(theme.style(Tone::Warn)),
            ),
            rect,
        );
        return;
    }
    if app.prompt() == Some(&Prompt::ConfirmReset) {
        let rect = centered(area, 52, 5);
        f.render_widget(Clear, rect);
        f.render_widget(
            Paragraph::new(vec![
                Line::styled(
                    "Start the lab again from its first moment?",
                    theme.style(Tone::Strong),
                ),
                Line::raw("y or Enter: start again · any other key: go on"),
            ])
            .block(
                Block::bordered()
                    .title(" Reset the lab? ")
                    .border_style(theme.style(Tone::Warn)),
            ),
            rect,
        );
        return;
    }
    if let Some(Prompt::GoTo { input }) = app.prompt() {
        let now = app.runner().engine().now();
        let rect = centered(area, 60, 6);
        f.render_widget(Clear, rect);
        f.render_widget(
            Paragraph::new(vec![
                Line::raw(format!("Go to which time? (now {now})")),
                Line::from(vec![
                    Span::raw("> "),
                    Span::styled(format!("{input}▏"), theme.style(Tone::Strong)),
                ]),
                Line::styled(
                    "\"7d 1h\" from the start, \"+30m\" from now · Enter · Esc",
                    theme.style(Tone::Dim),
                ),
            ])
            .block(
                Block::bordered()
                    .title(" Go to time ")
                    .border_style(theme.border(true)),
            ),
            rect,
        );
        return;
    }
    let Some(Prompt::DeletionDays { key, input }) = app.prompt() else {
        return;
    };
    let rect = centered(area, 64, 7);
    f.render_widget(Clear, rect);
    f.buffer_mut().set_style(rect, theme.base());
    let shown = if input.is_empty() {
        "30 (default)".to_string()
    } else {
        input.clone()
    };
    let text = vec![
        Line::raw(format!(
            "Schedule deletion of {key}: waiting period in days (7-30)?"
        )),
        Line::from(vec![
            Span::raw("> "),
            Span::styled(format!("{shown}▏"), theme.style(Tone::Strong)),
        ]),
        Line::styled(
            "The key is unusable at once; its material is destroyed when the wait ends.",
            theme.style(Tone::Dim),
        ),
        Line::styled("Enter to schedule · Esc to cancel", theme.style(Tone::Dim)),
    ];
    let block = Block::bordered()
        .title(" ScheduleKeyDeletion ")
        .border_style(theme.border(true));
    f.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
        rect,
    );
}
