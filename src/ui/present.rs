//! Present mode: only what the room needs. A slim header, the narration in bold with room to
//! breathe, the panels and the big clock (no key hints, no sandbox chrome, no log); a question
//! (`ask`) large and numbered, then the answer marked; a blank screen on `b`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::{Theme, Tone};
use super::{bigclock, cache, chrome, diagram, status, tree};
use crate::app::{App, Question};

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    if app.blank() {
        f.render_widget(Clear, area);
        return;
    }
    let narration = narration_lines(app, area.width, theme);
    let narration_h = (narration.len() as u16 + 2).clamp(4, area.height / 3);
    let [header, text, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(narration_h),
        Constraint::Min(6),
    ])
    .areas(area);
    header_line(f, header, app, theme);
    f.render_widget(
        Paragraph::new(narration)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().border_style(theme.border(false))),
        text,
    );
    // An open question has the body to itself: the panels and the clock would give its
    // answer away (the room saw them before it opened; they come back with the answer).
    if let Some(q) = app.question().filter(|q| !q.revealed) {
        f.render_widget(Clear, body);
        question(f, body, app, q, theme);
        return;
    }
    let right_w = (body.width * 2 / 5).max(44).min(body.width / 2);
    let [left, right] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(right_w)]).areas(body);
    if app.prefer_list() || !diagram::render(f, left, app, theme) {
        tree::render(f, left, app, theme);
    }
    let clock_h = if right.height >= 20 {
        bigclock::HEIGHT
    } else {
        0
    };
    let [clock, rest] =
        Layout::vertical([Constraint::Length(clock_h), Constraint::Min(3)]).areas(right);
    if clock_h > 0 {
        bigclock::render(f, clock, app, theme);
    }
    // The table's status, then the connections' cache timers the narration talks about.
    let status_h = status::height(app, rest.width, area.height).min(rest.height.saturating_sub(4));
    let [status_area, cache_area] =
        Layout::vertical([Constraint::Length(status_h), Constraint::Min(3)]).areas(rest);
    status::render(f, status_area, app, area.height, theme);
    cache::render(f, cache_area, app, theme);
    if let Some(q) = &app.question() {
        question(f, body, app, q, theme);
    }
}

/// `rewrap · title · step 3/12 · 0d 00:10:00`, and what the presenter can press, briefly.
fn header_line(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let e = app.runner().engine();
    let steps = app.scenario().steps.len();
    let left = format!(
        " {} │ step {}/{steps} │ {} ",
        app.scenario().title,
        app.runner().steps_started(),
        chrome::clock(e.now())
    );
    let room = area.width as usize;
    f.render_widget(
        Paragraph::new(Line::styled(
            super::fit_words(&left, room),
            theme.style(Tone::Strong),
        )),
        area,
    );
}

/// The current step's note (the scenario's summary before the first), bold.
fn narration_lines(app: &App, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let started = app.runner().steps_started();
    let text = if started == 0 {
        app.scenario()
            .summary
            .clone()
            .unwrap_or_else(|| app.scenario().title.clone())
    } else {
        app.scenario().steps[started - 1]
            .note
            .clone()
            .unwrap_or_default()
    };
    let w = width.saturating_sub(4).max(10) as usize;
    chrome::wrap(&text, w)
        .into_iter()
        .map(|l| {
            Line::styled(
                format!(" {l}"),
                theme.style(Tone::Strong).add_modifier(Modifier::BOLD),
            )
        })
        .collect()
}

/// The question, large and numbered; once revealed, the choice that held is marked ✓, the
/// others ✗, with the room's pick.
fn question(f: &mut Frame, area: Rect, app: &App, q: &Question, theme: Theme) {
    let step = &app.scenario().steps[q.step];
    let Some(ask) = &step.ask else {
        return;
    };
    let held = if q.revealed {
        app.runner().answer_of(q.step)
    } else {
        None
    };
    let w = area.width.saturating_sub(8).clamp(30, 110);
    let inner_w = w.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for l in chrome::wrap(&ask.prompt, inner_w) {
        lines.push(Line::styled(
            l,
            theme.style(Tone::Strong).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::raw(""));
    for (i, c) in ask.choices.iter().enumerate() {
        let n = i + 1;
        let (mark, tone) = match held {
            Some(h) if h.get(i).copied().unwrap_or(false) => ("✓", Tone::Ok),
            Some(_) => ("✗", Tone::Bad),
            None => (" ", Tone::Normal),
        };
        let picked = q.room == Some(n as u8);
        let lead = format!(" {mark} {n}  ");
        let text_w = inner_w.saturating_sub(lead.chars().count() + 12);
        for (k, part) in chrome::wrap(&c.text, text_w).into_iter().enumerate() {
            let mut spans = vec![Span::styled(
                if k == 0 {
                    lead.clone()
                } else {
                    " ".repeat(lead.chars().count())
                },
                theme.style(tone).add_modifier(Modifier::BOLD),
            )];
            let mut style = theme.style(if held.is_some() { tone } else { Tone::Strong });
            if picked {
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            spans.push(Span::styled(part, style));
            if k == 0 && picked {
                spans.push(Span::styled("  ◀ the room", theme.style(Tone::Accent)));
            }
            lines.push(Line::from(spans));
        }
    }
    lines.push(Line::raw(""));
    let footer = match (held, q.room) {
        (None, None) => format!(
            "the room answers 1-{} · next reveals what the simulation does",
            ask.choices.len()
        ),
        (None, Some(n)) => format!("the room says {n} · next reveals what the simulation does"),
        (Some(h), room) => {
            let right = h.iter().position(|x| *x).map(|i| i + 1);
            match (right, room) {
                (Some(r), Some(n)) if r == usize::from(n) => {
                    format!("the room was right: {r} · next goes on")
                }
                (Some(r), Some(n)) => format!("the room said {n}; it is {r} · next goes on"),
                (Some(r), None) => format!("the simulation answers {r} · next goes on"),
                (None, _) => {
                    "no choice held: this question is wrong (rewrap check says why)".into()
                }
            }
        }
    };
    lines.push(Line::styled(footer, theme.style(Tone::Accent)));
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w.min(area.width),
        h,
    );
    // Clear the whole band of rows, so no panel's text peeks out at the sides.
    f.render_widget(Clear, Rect::new(area.x, rect.y, area.width, rect.height));
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(format!(" Question · step {} ", step.number))
                .border_style(theme.style(Tone::Accent)),
        ),
        rect,
    );
}
