//! Present mode: only what the room needs. A slim header, the narration in bold with room to
//! breathe, the panels and the big clock (no key hints, no sandbox chrome, no log); a question
//! (`ask`) large and numbered, then the answer marked; a blank screen on `b`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::{Theme, Tone};
use super::{bigclock, blast, cache, chrome, diagram, status, tree};
use crate::app::{App, Question};
use crate::engine::view::{CacheUse, RequestResult, StepProof};
use crate::scenario::expect::{Check, CheckKind, grant_name};

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    if app.blank() {
        f.render_widget(Clear, area);
        return;
    }
    let narration = narration_lines(app, area.width, theme);
    // As tall as the scenario's longest note needs (with a line for word breaks), so the
    // stage below keeps its place from click to click.
    let per_line = usize::from(area.width.saturating_sub(4).max(10));
    let longest = app.scenario().longest_note.div_ceil(per_line) + 1;
    let lines = narration.len().max(longest.min(usize::from(area.height)));
    let narration_h = (lines as u16 + 2).clamp(4, (area.height / 3).max(4));
    let [header, text, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(narration_h),
        Constraint::Min(6),
    ])
    .areas(area);
    header_line(f, header, app, theme);
    // A lab shows the room its goal panel where the narration would be, as big as it needs.
    let goal_h = super::lab::height(app, area.width, true);
    if goal_h > 0 {
        let goal_h = goal_h.max(narration_h).min(area.height.saturating_sub(8));
        let [goal, rest] = Layout::vertical([Constraint::Length(goal_h), Constraint::Min(1)])
            .areas(text.union(body));
        super::lab::render(f, goal, app, theme, true);
        stage(f, rest, app, theme);
        return;
    }
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
    stage(f, body, app, theme);
}

/// The stage below the narration: the hierarchy (or the copies' chains), the clock, the cache
/// timers and the status; an answer over the hierarchy once revealed.
fn stage(f: &mut Frame, body: Rect, app: &App, theme: Theme) {
    let right_w = (body.width * 2 / 5).max(44).min(body.width / 2);
    let [left, right] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(right_w)]).areas(body);
    let mut drew_diagram = false;
    if blast::wanted(app) {
        // Several copies: every one's chain and clocks on the stage, the list below if room.
        let stage = blast::Stage::new(app, left.width);
        let want = stage.height();
        if left.height >= want + 8 {
            let [top, below] =
                Layout::vertical([Constraint::Length(want), Constraint::Min(8)]).areas(left);
            blast::render(f, top, app, stage, theme);
            tree::render(f, below, app, theme);
        } else {
            blast::render(f, left, app, stage, theme);
        }
    } else if app.prefer_list() || !diagram::render(f, left, app, theme) {
        tree::render(f, left, app, theme);
    } else {
        drew_diagram = true;
    }
    let clock_h = if right.height >= 48 {
        bigclock::TALL_HEIGHT
    } else if right.height >= 20 {
        bigclock::HEIGHT
    } else {
        0
    };
    let [clock, rest] =
        Layout::vertical([Constraint::Length(clock_h), Constraint::Min(3)]).areas(right);
    if clock_h > 0 {
        bigclock::render(f, clock, app, theme);
    }
    // The connections' cache timers the narration talks about, then the table's status. The
    // timers' panel has the same height at every step (a bar two rows tall per connection and
    // a row for the re-wrap job), so it never moves when the status grows or shrinks below it.
    let conns = app.runner().engine().cache_entries(app.table_focus()).len() as u16;
    let cache_h = (conns.saturating_mul(3) + 3)
        .min(rest.height / 2)
        .max(4)
        .min(rest.height);
    let [cache_area, status_area] =
        Layout::vertical([Constraint::Length(cache_h), Constraint::Min(0)]).areas(rest);
    cache::render(f, cache_area, app, theme);
    status::render(f, status_area, app, f.area().height, theme);
    // The answer sits over the hierarchy's lower part: the clock, the status and the cache
    // timers beside it hold the proof and stay in view.
    // While the diagram draws the request's path (about 2 s after the reveal), the answer
    // waits: the path is the demonstration, the answer box would cover it.
    let path = drew_diagram
        && app
            .presenting()
            .and_then(crate::app::Presenting::path_progress)
            .is_some();
    if let Some(q) = &app.question()
        && !path
    {
        answer(f, left, app, q, theme);
    }
}

/// `step 3/12 │ 0d 00:10:00 │ title`: the step and the clock first, so a narrow window cuts
/// the title, never the time; a LIVE badge first of all while the sandbox is unlocked.
fn header_line(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let e = app.runner().engine();
    let steps = app.scenario().steps.len();
    let mut spans = Vec::new();
    if app
        .presenting()
        .is_some_and(crate::app::Presenting::unlocked)
    {
        spans.push(Span::styled(
            " ● LIVE ",
            theme
                .style(Tone::Bad)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ));
    }
    // The presenter's clicker has nothing left to show: say so where they look.
    let end =
        if app.runner().next_step_at().is_none() && app.question().is_none() && app.lab().is_none()
        {
            " · the end"
        } else {
            ""
        };
    let left = format!(
        " step {}/{steps}{end} │ {} │ ",
        app.runner().steps_started(),
        chrome::clock(e.now())
    );
    let used: usize = spans
        .iter()
        .map(|s| s.content.chars().count())
        .sum::<usize>()
        + left.chars().count();
    let room = (area.width as usize).saturating_sub(used);
    spans.push(Span::styled(left, theme.style(Tone::Strong)));
    spans.push(Span::styled(
        super::fit_words(&app.scenario().title, room),
        theme.style(Tone::Strong),
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
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
        let step = &app.scenario().steps[started - 1];
        let note = step.note.clone().unwrap_or_default();
        // A question stops the clock at its own step's time, before that step runs: the note
        // on screen is the earlier step's, and says when it held (never as if it held now).
        let asking = app.question().is_some_and(|q| !q.revealed);
        if asking && !note.is_empty() && step.at < app.runner().engine().now() {
            format!("Earlier, at {}: {note}", step.at)
        } else {
            note
        }
    };
    let w = width.saturating_sub(4).max(10) as usize;
    chrome::wrap(&without_citations(&text), w)
        .into_iter()
        .map(|l| {
            Line::styled(
                format!(" {l}"),
                theme.style(Tone::Strong).add_modifier(Modifier::BOLD),
            )
        })
        .collect()
}

/// A note as the room reads it: the repository's citations (`(aws-behaviour.md #45)`,
/// `, aws-behaviour.md #51`) are for readers of the file and the report, not a projector.
pub(super) fn without_citations(text: &str) -> String {
    const CITE: &str = "aws-behaviour.md #";
    let mut out = text.to_string();
    while let Some(at) = out.find(CITE) {
        let digits = out[at + CITE.len()..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(out.len(), |n| at + CITE.len() + n);
        let before = &out[..at];
        let (start, end) = if before.ends_with('(') && out[digits..].starts_with(')') {
            // ` (aws-behaviour.md #45)`: the whole parenthesis and the space before it.
            let start = at - 1;
            let start = if out[..start].ends_with(' ') {
                start - 1
            } else {
                start
            };
            (start, digits + 1)
        } else if before.ends_with(", ") {
            // `(replica_removal_after, aws-behaviour.md #51)`: the citation inside.
            (at - 2, digits)
        } else {
            (at, digits)
        };
        out.replace_range(start..end, "");
    }
    // A parenthesis left holding only an assumption's name (`(replica_removal_after)`) is for
    // the file's reader too: the room gets the sentence without it.
    let mut from = 0;
    while let Some(open) = out[from..].find(" (").map(|i| from + i) {
        let Some(close) = out[open..].find(')').map(|i| open + i) else {
            break;
        };
        let inner = &out[open + 2..close];
        if inner.contains('_')
            && inner
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            out.replace_range(open..=close, "");
        } else {
            from = open + 2;
        }
    }
    out
}

/// The verdict of a revealed step: what it did, in a few words a back row can read
/// ("READ OK · T1 from the cache · 0 KMS calls"). `result` is what the step's caller got, as
/// the runner recorded it; it decides OK or not, so a refusal never reads as OK.
pub fn verdict(proof: &StepProof, result: Option<&RequestResult>) -> (String, Tone) {
    let calls = match proof.kms_calls {
        0 => "0 KMS calls".to_string(),
        1 => "1 KMS call".to_string(),
        n => format!("{n} KMS calls"),
    };
    let failed = |error: &dyn std::fmt::Display| {
        proof.kms_failure.as_ref().map_or_else(
            || error.to_string(),
            |(op, key, code)| format!("{op} on {key}: {code}"),
        )
    };
    if let Some(r) = &proof.request {
        let what = if r.write { "WRITE" } else { "READ" };
        let tk = r
            .table_key
            .map_or_else(|| "the table key".to_string(), |t| t.to_string());
        return match (result.unwrap_or(&r.result), r.cache) {
            (RequestResult::Ok, CacheUse::Hit) => (
                format!("{what} OK · {tk} from the cache · {calls}"),
                Tone::Ok,
            ),
            (RequestResult::Ok, CacheUse::Fetched) => (
                format!("{what} OK · {tk} fetched from KMS · {calls}"),
                Tone::Ok,
            ),
            (RequestResult::Ok, CacheUse::None) => (format!("{what} OK · {calls}"), Tone::Ok),
            (RequestResult::Error { error, .. }, _) => (
                format!("{what} FAILED · {} · {calls}", failed(error)),
                Tone::Bad,
            ),
        };
    }
    let action = &proof.action;
    match (result, proof.refused) {
        (Some(RequestResult::Error { error, .. }), _) if proof.kms_failure.is_some() => (
            format!("{action} FAILED · {} · {calls}", failed(error)),
            Tone::Bad,
        ),
        (Some(RequestResult::Error { error, .. }), _) => {
            (format!("{action} REFUSED · {error}"), Tone::Bad)
        }
        (None, Some(error)) => (format!("{action} REFUSED · {error}"), Tone::Bad),
        _ if action.starts_with("wait") => {
            // Time passing is not an outcome (and what other steps called meanwhile is not
            // the wait's): say so neutrally; the choice's facts below say what it led to.
            (format!("{action}: time passes"), Tone::Normal)
        }
        _ => match &proof.kms_failure {
            // Done, but a KMS call on the way failed (DynamoDB's background work).
            Some((op, key, code)) => (
                format!("{action} done · {op} on {key}: {code} · {calls}"),
                Tone::Warn,
            ),
            None => (format!("{action} OK · {calls}"), Tone::Ok),
        },
    }
}

/// What made the right choice hold, as the simulation observed it ("backup before-switch:
/// blocked", "kms-1: deleted"): the choice's expectations beyond the caller's outcome, which
/// the verdict already says.
pub fn observed_facts(checks: &[Check]) -> Option<String> {
    let words = |s: &str| s.replace('-', " ");
    let facts: Vec<String> = checks
        .iter()
        .filter_map(|c| {
            Some(match &c.kind {
                CheckKind::Outcome(_) | CheckKind::Error(_) | CheckKind::KmsError(_) => {
                    return None;
                }
                CheckKind::Table(s) => format!("table {}", words(s.name())),
                CheckKind::Sse(s) => format!("encryption {}", words(s.name())),
                CheckKind::WrappedBy(k) => format!("wrapped by {k}"),
                CheckKind::KeyState(k, s) => format!("{k} {}", words(s.name())),
                CheckKind::Cached(p, Some(left)) => {
                    format!("{p}'s cache: {} left", left.to_exact_string())
                }
                CheckKind::Cached(p, None) => format!("{p}: nothing cached"),
                CheckKind::Recoverable(true) => "recoverable".to_string(),
                CheckKind::Recoverable(false) => "NOT recoverable".to_string(),
                CheckKind::KmsCalls(p, 1) => format!("{p}: 1 KMS Decrypt call so far"),
                CheckKind::KmsCalls(p, n) => format!("{p}: {n} KMS Decrypt calls so far"),
                CheckKind::TableNamed(_, name, s) => format!("{name} {}", words(s.name())),
                CheckKind::Grant(revoked) => format!("grant {}", grant_name(*revoked)),
                CheckKind::Replica(r, s) => format!("{r} replica {}", words(s.name())),
                CheckKind::Backup(b, s) => format!("backup {b} {}", words(s.name())),
            })
        })
        .collect();
    (!facts.is_empty()).then(|| facts.join(" · "))
}

/// The revealed answer, over the lower part of `area`: the choice that held (✓, bold), the
/// room's pick (marked; ✗ when it was wrong), and the verdict of what the step did.
fn answer(f: &mut Frame, area: Rect, app: &App, q: &Question, theme: Theme) {
    let step = &app.scenario().steps[q.step];
    let Some(ask) = &step.ask else {
        return;
    };
    let held = app.runner().answer_of(q.step).unwrap_or(&[]);
    let right = held.iter().position(|x| *x).map(|i| i + 1);
    let inner_w = area.width.saturating_sub(6) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let choice = |n: usize, mark: &str, tone: Tone, bold: bool, lines: &mut Vec<Line>| {
        let lead = format!(" {mark} {n}  ");
        let picked = q.room == Some(n as u8);
        let tail = if picked { "  ◀ the room" } else { "" };
        let text_w = inner_w.saturating_sub(lead.chars().count() + tail.chars().count());
        let text = &ask.choices[n - 1].text;
        let mut style = theme.style(tone);
        if bold {
            style = style.add_modifier(Modifier::BOLD);
        }
        let parts = chrome::wrap(text, text_w);
        let last = parts.len().saturating_sub(1);
        for (k, part) in parts.into_iter().enumerate() {
            let mut spans = vec![Span::styled(
                if k == 0 {
                    lead.clone()
                } else {
                    " ".repeat(lead.chars().count())
                },
                style,
            )];
            spans.push(Span::styled(part, style));
            // After the choice's last words, never inside a wrapped sentence.
            if k == last && picked {
                spans.push(Span::styled(tail, theme.style(Tone::Accent)));
            }
            lines.push(Line::from(spans));
        }
    };
    match right {
        Some(r) => choice(r, "✓", Tone::Ok, true, &mut lines),
        None => lines.push(Line::styled(
            " no choice held: this question is wrong (rewrap check says why)",
            theme.style(Tone::Bad),
        )),
    }
    if let Some(n) = q.room.map(usize::from).filter(|n| Some(*n) != right)
        && n <= ask.choices.len()
    {
        choice(n, "✗", Tone::Dim, false, &mut lines);
    }
    if let Some(proof) = &q.proof {
        let (text, tone) = verdict(proof, q.result.as_ref());
        // Wrapped, never cut: the verdict is the proof the room reads.
        for part in chrome::wrap(&text, inner_w.saturating_sub(2)) {
            lines.push(Line::styled(
                format!(" {part} "),
                theme
                    .style(tone)
                    .add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ));
        }
    }
    // A request's verdict is its proof; any other step's outcome is what the right choice
    // expected, as the simulation now has it.
    let request = q.proof.as_ref().is_some_and(|p| p.request.is_some());
    if let Some(facts) = right
        .filter(|_| !request)
        .and_then(|r| observed_facts(&ask.choices[r - 1].expect))
    {
        for part in chrome::wrap(&format!("now: {facts}"), inner_w.saturating_sub(1)) {
            lines.push(Line::styled(
                format!(" {part}"),
                theme.style(Tone::Strong).add_modifier(Modifier::BOLD),
            ));
        }
    }
    // Inside the hierarchy panel's border, at its foot.
    let inside = Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    let h = (lines.len() as u16 + 2).min(inside.height);
    let rect = Rect::new(inside.x, inside.y + inside.height - h, inside.width, h);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(format!(" Answer · step {} · next goes on ", step.number))
                .border_style(theme.style(Tone::Accent)),
        ),
        rect,
    );
}

/// The question, large and numbered, with the room's pick.
fn question(f: &mut Frame, area: Rect, app: &App, q: &Question, theme: Theme) {
    let step = &app.scenario().steps[q.step];
    let Some(ask) = &step.ask else {
        return;
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
        let (mark, tone) = (" ", Tone::Normal);
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
            let mut style = theme.style(Tone::Strong);
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
    let footer = match q.room {
        None => format!(
            "the room answers 1-{} · next reveals what the simulation does",
            ask.choices.len()
        ),
        Some(n) => format!("the room says {n} · next reveals what the simulation does"),
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
