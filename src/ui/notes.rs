//! The speaker-notes window (`rewrap notes`): the current step's note, the question that is
//! open (with its answer), the next step's time and note (and its question's answer), the
//! next countdown, the steps left and the talk time. Read by the presenter only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::chrome::{clock, wrap};
use super::theme::{Theme, Tone};
use crate::notes::Notes;

/// What the notes window shows.
pub enum View<'a> {
    /// No presenter yet (or it quit): where the notes listen, and what happened last.
    Waiting {
        socket: &'a str,
        last: Option<&'a str>,
    },
    Following(&'a Notes),
}

pub fn render(f: &mut Frame, area: Rect, view: &View<'_>, theme: Theme) {
    let w = area.width.saturating_sub(4).max(20) as usize;
    let lines = match view {
        View::Waiting { socket, last } => {
            let mut l = vec![
                Line::styled(
                    "Waiting for a presenter: rewrap play SCENARIO --present",
                    theme.style(Tone::Strong),
                ),
                Line::raw(""),
                Line::raw(format!("listening for it at {socket}")),
            ];
            if let Some(last) = last {
                l.push(Line::raw(""));
                l.push(Line::styled(last.to_string(), theme.style(Tone::Warn)));
            }
            l.push(Line::raw(""));
            l.push(Line::styled("q quits", theme.style(Tone::Dim)));
            l
        }
        View::Following(notes) => following(notes, w, theme),
    };
    let title = match view {
        View::Waiting { .. } => " Speaker notes ".to_string(),
        View::Following(n) => format!(" Speaker notes · {} ", n.scenario.title),
    };
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(super::fit_words(
                    &title,
                    area.width.saturating_sub(4) as usize,
                ))
                .border_style(theme.border(true)),
        ),
        area,
    );
}

fn heading(text: &str, theme: Theme) -> Span<'static> {
    Span::styled(
        format!("{text:<9}"),
        theme.style(Tone::Accent).add_modifier(Modifier::BOLD),
    )
}

fn para(out: &mut Vec<Line<'static>>, head: &str, text: &str, w: usize, tone: Tone, theme: Theme) {
    for (i, l) in wrap(text, w.saturating_sub(9)).into_iter().enumerate() {
        let lead = if i == 0 {
            heading(head, theme)
        } else {
            Span::raw(" ".repeat(9))
        };
        out.push(Line::from(vec![lead, Span::styled(l, theme.style(tone))]));
    }
}

fn answer_text(notes: &Notes, step: usize) -> String {
    let Some(ask) = notes.scenario.steps[step].ask.as_ref() else {
        return String::new();
    };
    let answer = notes
        .answers
        .iter()
        .find(|(s, _)| *s == step)
        .and_then(|(_, a)| *a);
    let caveat = if notes.live_actions() > 0 {
        " (in the script; live actions since may change it)"
    } else {
        ""
    };
    match answer {
        Some(n) => format!(
            "{} → answer {n}. {}{caveat}",
            ask.prompt,
            ask.choices.get(n - 1).map_or("", |c| c.text.as_str())
        ),
        None => format!(
            "{} → no single answer holds (rewrap check says why)",
            ask.prompt
        ),
    }
}

/// What the presenter changed off-script (the sandbox unlocked with `U`), newest last.
fn live(notes: &Notes, out: &mut Vec<Line<'static>>, w: usize, theme: Theme) {
    let live = notes.live_actions();
    if live == 0 {
        return;
    }
    let recent = notes.recent_live(3).join(" · ");
    let text = match live {
        1 => format!("1 live action: {recent}. The script's answers may no longer hold."),
        n => format!(
            "{n} live actions, the newest: {recent}. The script's answers may no longer hold."
        ),
    };
    para(out, "LIVE", &text, w, Tone::Bad, theme);
    out.push(Line::raw(""));
}

/// Against the talk's target (`talk`), if the scenario sets one: the time the steps before the
/// current one should have taken (the target spread evenly over the steps) vs the time they
/// did; within a minute is on time.
fn pace(notes: &Notes, started: usize, total: usize) -> String {
    let Some(target) = notes.scenario.talk else {
        return String::new();
    };
    let target_s = target.as_millis() / 1_000;
    let elapsed = notes.talk_time().as_secs();
    // The steps before the current one are done: they should have taken their share.
    let due = target_s * started.saturating_sub(1) as u64 / total.max(1) as u64;
    let mins = |s: u64| (s + 30) / 60;
    let verdict = if elapsed > due + 60 {
        format!("{} min behind", mins(elapsed - due))
    } else if due > elapsed + 60 {
        format!("{} min ahead", mins(due - elapsed))
    } else {
        "on time".to_string()
    };
    format!(" of {}:{:02} ({verdict})", target_s / 60, target_s % 60)
}

/// Every step as one mark: done `●`, the current one `◉`, to come `○`, a question `?` (`✓`
/// once asked); as many as fit, around the current one.
fn strip(notes: &Notes, started: usize, w: usize, theme: Theme) -> Line<'static> {
    let steps = &notes.scenario.steps;
    let marks: Vec<(char, Tone)> = steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let asking = notes.question == Some(i);
            match (st.ask.is_some(), i < started, i + 1 == started || asking) {
                (_, _, true) => ('◉', Tone::Accent),
                (true, true, _) => ('✓', Tone::Ok),
                (true, false, _) => ('?', Tone::Warn),
                (false, true, _) => ('●', Tone::Dim),
                (false, false, _) => ('○', Tone::Normal),
            }
        })
        .collect();
    let room = w.saturating_sub(9).max(10);
    let here = started.saturating_sub(1);
    let first = here
        .saturating_sub(room / 2)
        .min(marks.len().saturating_sub(room));
    let mut spans = vec![heading("STEPS", theme)];
    for (c, t) in marks.into_iter().skip(first).take(room) {
        spans.push(Span::styled(c.to_string(), theme.style(t)));
    }
    Line::from(spans)
}

/// The current step's `say`, and its `after` once its question has been revealed.
fn presenters_lines(
    notes: &Notes,
    started: usize,
    out: &mut Vec<Line<'static>>,
    w: usize,
    theme: Theme,
) {
    let Some(st) = started.checked_sub(1).map(|i| &notes.scenario.steps[i]) else {
        return;
    };
    if let Some(say) = &st.say {
        para(out, "SAY", say, w, Tone::Ok, theme);
    }
    if let Some(after) = st.after.as_ref().filter(|_| notes.question.is_none()) {
        para(out, "EXPLAIN", after, w, Tone::Ok, theme);
    }
}

fn following(notes: &Notes, w: usize, theme: Theme) -> Vec<Line<'static>> {
    let s = &notes.scenario;
    let e = notes.runner().engine();
    let started = notes.runner().steps_started();
    let total = s.steps.len();
    let talk = notes.talk_time().as_secs();
    let mut out = vec![Line::styled(
        format!(
            "step {started}/{total} · {} · talk {}:{:02}{} · {} left",
            clock(e.now()),
            talk / 60,
            talk % 60,
            pace(notes, started, total),
            match total - started {
                1 => "1 step".to_string(),
                n => format!("{n} steps"),
            }
        ),
        theme.style(Tone::Strong),
    )];
    out.push(strip(notes, started, w, theme));
    out.push(Line::raw(""));
    let now = if started == 0 {
        s.summary.clone().unwrap_or_default()
    } else {
        let st = &s.steps[started - 1];
        format!(
            "step {}: {}",
            st.number,
            st.note.clone().unwrap_or_default()
        )
    };
    para(&mut out, "NOW", &now, w, Tone::Strong, theme);
    presenters_lines(notes, started, &mut out, w, theme);
    if let Some(q) = notes.question {
        out.push(Line::raw(""));
        let room = notes
            .room
            .map_or_else(String::new, |r| format!(" · the room said {r}"));
        para(
            &mut out,
            "ASKING",
            &format!(
                "step {}: {}{room}",
                s.steps[q].number,
                answer_text(notes, q)
            ),
            w,
            Tone::Warn,
            theme,
        );
    }
    out.push(Line::raw(""));
    if let Some(next) = s.steps.get(started).filter(|_| notes.question.is_none()) {
        let gap = next.at.since(e.now());
        let when = format!(
            "step {} at {} (in {})",
            next.number,
            next.at,
            gap.countdown()
        );
        para(&mut out, "NEXT", &when, w, Tone::Normal, theme);
        if let Some(n) = &next.note {
            para(&mut out, "", n, w, Tone::Normal, theme);
        }
        if next.ask.is_some() {
            para(
                &mut out,
                "IT ASKS",
                &answer_text(notes, started),
                w,
                Tone::Warn,
                theme,
            );
        }
    } else if started >= total {
        para(
            &mut out,
            "NEXT",
            "that was the last step",
            w,
            Tone::Dim,
            theme,
        );
    }
    out.push(Line::raw(""));
    live(notes, &mut out, w, theme);
    // The same clock the room's screen shows (the focused table's most urgent countdown).
    let countdown = notes.clock().sentence();
    para(&mut out, "CLOCK", &countdown, w, Tone::Normal, theme);
    if !notes.ignored.is_empty() {
        out.push(Line::raw(""));
        for i in &notes.ignored {
            para(&mut out, "IGNORED", i, w, Tone::Dim, theme);
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "q quits the notes (the presentation goes on)",
        theme.style(Tone::Dim),
    ));
    out
}
