//! A lab on screen (`rewrap lab`): the goal panel (each part of the goal ✓/✗ live, the
//! invariants, the deadline's countdown, the hints revealed so far, the verdict in its title),
//! and the briefing and verdict cards. Everything is read from the lab's judge
//! (`app.judge()`), which evaluates the goal with the expectation language's own evaluation.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::{Theme, Tone};
use crate::app::tone::glyph;
use crate::app::{App, Overlay};
use crate::judge::{Judge, Verdict};

/// Rows the goal panel needs at `width` (borders included); 0 outside a lab.
pub fn height(app: &App, width: u16, big: bool) -> u16 {
    let Some(judge) = app.judge() else {
        return 0;
    };
    let lab = judge.lab();
    let left = lab.goal.len() + 1;
    let right = lab.never.len() + 1 + usize::from(lab.deadline.is_some());
    let hint = hint_lines(app, judge, width, big).len();
    (left.max(right) + hint + 2) as u16
}

/// The title: the verdict, or "in progress".
fn title(judge: &Judge, theme: Theme) -> Span<'static> {
    match judge.verdict() {
        Verdict::Open => Span::styled(" LAB · in progress ", theme.style(Tone::Accent)),
        Verdict::Solved { at } => Span::styled(
            format!(" LAB · SOLVED at {at} "),
            theme.style(Tone::Ok).add_modifier(Modifier::BOLD),
        ),
        Verdict::Failed { at, .. } => Span::styled(
            format!(" LAB · FAILED at {at} · r starts again "),
            theme.style(Tone::Bad).add_modifier(Modifier::BOLD),
        ),
    }
}

fn mark(ok: bool, theme: Theme) -> Span<'static> {
    if ok {
        Span::styled(format!("{} ", glyph::OK), theme.style(Tone::Ok))
    } else {
        Span::styled(format!("{} ", glyph::FAILED), theme.style(Tone::Bad))
    }
}

/// The hints shown so far, the last one whole, wrapped to the panel.
fn hint_lines(app: &App, judge: &Judge, width: u16, big: bool) -> Vec<String> {
    let shown = app.lab().map_or(0, |m| m.hints_shown);
    let hints = &judge.lab().hints;
    let Some(last) = shown.checked_sub(1).and_then(|i| hints.get(i)) else {
        return Vec::new();
    };
    let text = format!("Hint {shown}/{}: {last}", hints.len());
    let w = usize::from(width.saturating_sub(4)).max(20);
    let mut lines = super::chrome::wrap(&text, w);
    lines.truncate(if big { 4 } else { 3 });
    lines
}

/// The goal panel.
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme, big: bool) {
    let Some(judge) = app.judge() else {
        return;
    };
    let engine = app.runner().engine();
    let lab = judge.lab();
    let block = Block::bordered()
        .title(title(judge, theme))
        .border_style(theme.border(true));
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let hints = hint_lines(app, judge, area.width, big);
    let [cols, hint_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(hints.len() as u16)]).areas(inner);
    // Each column as wide as its longest line (mark, words; a column of space after the
    // goal), the room left over shared between them; when both do not fit, the goal takes
    // at most half and the invariants, usually the longer texts, the rest.
    let goal_parts = judge.goal_parts(engine);
    let width = |w: &str| unicode_width::UnicodeWidthStr::width(w);
    let need_goal = goal_parts
        .iter()
        .map(|(w, _)| width(w) + 3)
        .chain(std::iter::once(width("Goal: all at once") + 1))
        .max()
        .unwrap_or(0);
    let need_never = judge
        .never_parts(engine)
        .iter()
        .map(|(_, w, _)| width(w) + 2)
        .chain(std::iter::once(width("deadline 7d 00:00:00 · 7d 00h left")))
        .max()
        .unwrap_or(0);
    let all = usize::from(cols.width);
    let goal_w = if need_goal + need_never <= all {
        need_goal + (all - need_goal - need_never) / 2
    } else {
        need_goal.min(all / 2)
    };
    let goal_w = u16::try_from(goal_w).unwrap_or(cols.width);
    let [left, right] =
        Layout::horizontal([Constraint::Length(goal_w), Constraint::Min(0)]).areas(cols);
    let strong = |t: &str| {
        let mut s = theme.style(Tone::Strong);
        if big {
            s = s.add_modifier(Modifier::BOLD);
        }
        Span::styled(t.to_string(), s)
    };
    let fit = |s: &str, w: u16| super::fit_words(s, usize::from(w.saturating_sub(2)));

    let mut goal = vec![Line::from(strong("Goal: all at once"))];
    for (words, held) in goal_parts {
        // One column of space before the invariants.
        goal.push(Line::from(vec![
            mark(held, theme),
            Span::raw(fit(&words, left.width.saturating_sub(1))),
        ]));
    }
    let goal = cut_with_more(goal, left.height, left.width, theme);
    f.render_widget(Paragraph::new(goal), left);

    let failed = match judge.verdict() {
        Verdict::Failed {
            why: crate::judge::Broke::Never { name, .. },
            ..
        } => Some(name.clone()),
        _ => None,
    };
    let mut never = vec![Line::from(strong("Must never happen"))];
    for (name, words, holds) in judge.never_parts(engine) {
        let broken = holds || failed.as_deref() == Some(name.as_str());
        // Not happened: a neutral dot (a ✓ beside "data is gone" would read as "it is").
        let lead = if broken {
            mark(false, theme)
        } else {
            Span::styled("· ", theme.style(Tone::Dim))
        };
        never.push(Line::from(vec![lead, Span::raw(fit(&words, right.width))]));
    }
    if let Some(d) = lab.deadline {
        let now = engine.now();
        let text = if now <= d {
            format!("deadline {d} · {} left", d.since(now).to_exact_string())
        } else {
            format!("deadline {d} · passed")
        };
        let tone = match judge.verdict() {
            Verdict::Failed {
                why: crate::judge::Broke::Deadline { .. },
                ..
            } => Tone::Bad,
            _ if d.since(now).as_millis() < 3_600_000 => Tone::Warn,
            _ => Tone::Dim,
        };
        never.push(Line::styled(fit(&text, right.width), theme.style(tone)));
    }
    let never = cut_with_more(never, right.height, right.width, theme);
    f.render_widget(Paragraph::new(never), right);
    let hints: Vec<Line> = hints
        .into_iter()
        .map(|h| Line::styled(h, theme.style(Tone::Warn)))
        .collect();
    f.render_widget(Paragraph::new(hints), hint_area);
}

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

/// Presenting, the verdict card also shows SOLVED or FAILED big for the room, above its text:
/// clears the card's place (`w` wide, `text_h` rows of text plus the banner) and draws the
/// banner; returns the rows it takes (0 when there is none).
fn banner(
    f: &mut Frame,
    area: Rect,
    app: &App,
    judge: &Judge,
    theme: Theme,
    w: u16,
    text_h: u16,
) -> u16 {
    let word = match (app.present(), app.overlay(), judge.verdict()) {
        (true, Overlay::LabVerdict, Verdict::Solved { .. }) => Some(("SOLVED", Tone::Ok)),
        (true, Overlay::LabVerdict, Verdict::Failed { .. }) => Some(("FAILED", Tone::Bad)),
        _ => None,
    };
    let banner_h = if word.is_some() { 5 } else { 0 };
    let rect = centered(area, w, (text_h + banner_h).min(area.height));
    f.render_widget(Clear, rect);
    f.buffer_mut().set_style(rect, theme.base());
    if let Some((word, tone)) = word {
        let top = Rect::new(rect.x + 1, rect.y + 1, rect.width.saturating_sub(2), 4);
        f.render_widget(
            super::bigtext::BigText {
                text: word,
                pixels: super::bigtext::Pixels::Quadrant,
                style: theme.style(tone),
            },
            top,
        );
    }
    banner_h
}

/// The briefing or the verdict card, when one is up.
pub fn card(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(judge) = app.judge() else {
        return;
    };
    let lab = judge.lab();
    let engine = app.runner().engine();
    let w = area.width.saturating_sub(4).min(96);
    let text_w = usize::from(w.saturating_sub(4)).max(20);
    let mut lines: Vec<Line> = Vec::new();
    let para = |lines: &mut Vec<Line>, text: &str, tone: Tone| {
        for l in super::chrome::wrap(text, text_w) {
            lines.push(Line::styled(l, theme.style(tone)));
        }
    };
    let (title, border) = match app.overlay() {
        Overlay::Briefing => {
            para(&mut lines, &lab.briefing, Tone::Strong);
            lines.push(Line::raw(""));
            let goal: Vec<String> = judge
                .goal_parts(engine)
                .into_iter()
                .map(|(w, _)| w)
                .collect();
            para(&mut lines, &format!("Goal: {}.", goal.join("; ")), Tone::Ok);
            if !lab.never.is_empty() {
                let never: Vec<String> = judge
                    .never_parts(engine)
                    .into_iter()
                    .map(|(_, w, _)| w)
                    .collect();
                para(
                    &mut lines,
                    &format!("Never: {}.", never.join("; ")),
                    Tone::Bad,
                );
            }
            if let Some(d) = lab.deadline {
                para(&mut lines, &format!("Deadline: {d}."), Tone::Warn);
            }
            lines.push(Line::raw(""));
            para(
                &mut lines,
                "You drive: the sandbox keys act at the moment on screen (? lists them; read is f). Time moves with space, + and j, or > to go to a time. H reveals a hint, r starts again, w saves your attempt for grading. Any key to begin.",
                Tone::Dim,
            );
            (format!(" {} ", app.scenario().title), Tone::Accent)
        }
        Overlay::LabVerdict => match judge.verdict() {
            Verdict::Solved { at } => {
                lines.push(Line::styled(
                    format!("SOLVED at {at}"),
                    theme.style(Tone::Ok).add_modifier(Modifier::BOLD),
                ));
                lines.push(Line::raw(""));
                para(&mut lines, &lab.debrief, Tone::Strong);
                lines.push(Line::raw(""));
                para(
                    &mut lines,
                    "w saves your attempt (rewrap check grades it) · r starts again · any key closes",
                    Tone::Dim,
                );
                (" Solved ".to_string(), Tone::Ok)
            }
            Verdict::Failed { at, why } => {
                lines.push(Line::styled(
                    format!("FAILED at {at}"),
                    theme.style(Tone::Bad).add_modifier(Modifier::BOLD),
                ));
                lines.push(Line::raw(""));
                para(&mut lines, &why.to_string(), Tone::Strong);
                lines.push(Line::raw(""));
                para(
                    &mut lines,
                    "r starts again · ← steps back to before it · H shows a hint · any key closes",
                    Tone::Dim,
                );
                (" Failed ".to_string(), Tone::Bad)
            }
            Verdict::Open => return,
        },
        _ => return,
    };
    let banner_h = banner(f, area, app, judge, theme, w, lines.len() as u16 + 2);
    for _ in 0..banner_h {
        lines.insert(0, Line::raw(""));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, w, h);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(title)
                .border_style(theme.style(border)),
        ),
        rect,
    );
}

/// Lines for a column `rows` high: when they do not all fit (a short terminal), the last row
/// says how many are hidden instead of leaving a goal part or an invariant silently out.
fn cut_with_more(
    mut lines: Vec<Line<'static>>,
    rows: u16,
    width: u16,
    theme: Theme,
) -> Vec<Line<'static>> {
    let rows = usize::from(rows);
    if lines.len() <= rows || rows == 0 {
        return lines;
    }
    let hidden = lines.len() - rows + 1;
    lines.truncate(rows - 1);
    let text = format!("… {hidden} more: a taller window shows all");
    lines.push(Line::styled(
        super::fit_words(&text, usize::from(width.saturating_sub(1))),
        theme.style(Tone::Warn),
    ));
    lines
}
