//! The header, the narration, the footer and the help overlay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::{Theme, Tone};
use crate::app::App;
use crate::app::keys::BINDINGS;
use crate::app::tone::glyph;
use crate::engine::view::SimTime;

/// The simulated time, `3d 14:05:22`
pub fn clock(t: SimTime) -> String {
    // The one instant format used everywhere (log, panels, timeline, run): `7d 00:05:00`.
    t.to_string()
}

pub fn header(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let e = app.runner().engine();
    let steps = app.scenario().steps.len();
    let heading = app.heading_for().map(|n| format!("▶ to step {n}"));
    let state = match (&heading, app.paused()) {
        (Some(to), true) => (to.as_str(), Tone::Ok),
        (_, true) => ("⏸ paused", Tone::Warn),
        (_, false) => ("▶ playing", Tone::Ok),
    };
    let mut spans = vec![
        Span::styled(" rewrap ", theme.style(Tone::Accent)),
        Span::styled("│ ", theme.style(Tone::Dim)),
        Span::styled(clock(e.now()), theme.style(Tone::Strong)),
        Span::styled(" │ ", theme.style(Tone::Dim)),
        Span::styled(state.0, theme.style(state.1)),
        Span::styled(
            format!(" {} ", app.speed_label()),
            theme.style(Tone::Normal),
        ),
        Span::styled("│ ", theme.style(Tone::Dim)),
        Span::styled(
            format!("step {}/{steps}", app.runner().steps_started()),
            theme.style(Tone::Normal),
        ),
    ];
    if app.live_actions() > 0 {
        spans.push(Span::styled(
            format!(" │ {} live", app.live_actions()),
            theme.style(Tone::Warn),
        ));
    }
    spans.push(Span::styled(" │ ", theme.style(Tone::Dim)));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = (area.width as usize).saturating_sub(used);
    spans.push(Span::styled(
        super::fit_words(&app.scenario().title, room),
        theme.style(Tone::Strong),
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Lines the narration needs at this width (for layout).
pub fn narration_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    narration_lines_as(app, width, false)
}

/// The narration's lines; `short_answer` gives a question's answer without its prompt
/// (`Answer: 2. …`), for a panel too short for both the note and the whole question.
fn narration_lines_as(app: &App, width: u16, short_answer: bool) -> Vec<Line<'static>> {
    let theme = Theme::of(app);
    let mut lines = Vec::new();
    let started = app.runner().steps_started();
    let note = if started == 0 {
        app.scenario()
            .summary
            .clone()
            .unwrap_or_else(|| "Press space to play or → for the first step.".into())
    } else {
        app.scenario().steps[started - 1]
            .note
            .clone()
            .unwrap_or_default()
    };
    let w = width.saturating_sub(2).max(10) as usize;
    for l in wrap(&note, w) {
        lines.push(Line::styled(l, theme.style(Tone::Strong)));
    }
    // A step that asked the room: the question and what the simulation answered, after the note
    // (on a short screen the note is what must stay whole).
    if let Some(ix) = started.checked_sub(1)
        && let Some(ask) = &app.scenario().steps[ix].ask
        && let Some(held) = app.runner().answer_of(ix)
    {
        let answer = held
            .iter()
            .position(|h| *h)
            .map_or("no single choice held".to_string(), |i| {
                format!("{}. {}", i + 1, ask.choices[i].text)
            });
        let text = if short_answer {
            // Without the question its choices' numbers mean nothing: the text alone.
            let text = held
                .iter()
                .position(|h| *h)
                .map_or("no single choice held", |i| ask.choices[i].text.as_str());
            format!("Answer: {text}")
        } else {
            format!("Q: {} → {answer}", ask.prompt)
        };
        for l in wrap(&text, w) {
            lines.push(Line::styled(l, theme.style(Tone::Accent)));
        }
    }
    // This step's expectations that did not hold, said where the narration is read.
    if started > 0 {
        let number = app.scenario().steps[started - 1].number;
        for f in app
            .runner()
            .failures()
            .iter()
            .filter(|f| f.step == number)
            .take(2)
        {
            let text = format!("✗ expected {}, got {} (line {})", f.expected, f.got, f.line);
            for l in wrap(&text, w) {
                lines.push(Line::styled(l, theme.style(Tone::Bad)));
            }
        }
    }

    lines
}

/// The narration panel's height at this width: enough for the longest note of the scenario
/// plus a line of feedback, so the panels below do not jump from step to step.
pub fn narration_height(app: &App, width: u16, screen_height: u16) -> u16 {
    let w = width.saturating_sub(2).max(10) as usize;
    let s = app.scenario();
    // Each step's note, with its question and answer line when it asks the room.
    let asked = |st: &crate::scenario::Step| {
        st.ask.as_ref().map_or(0, |a| {
            let choice = a
                .choices
                .iter()
                .map(|c| c.text.as_str())
                .max_by_key(|t| t.len())
                .unwrap_or("");
            wrap(&format!("Q: {} → 9. {choice}", a.prompt), w).len()
        })
    };
    let longest = s
        .steps
        .iter()
        .map(|st| st.note.as_deref().map_or(0, |n| wrap(n, w).len()) + asked(st))
        .chain(s.summary.as_deref().map(|n| wrap(n, w).len()))
        .max()
        .unwrap_or(1);
    let now = narration_lines(app, width).len();
    // A short screen gives the panels the room; a tall one shows long notes whole.
    let cap = (screen_height / 6).clamp(3, 6) as usize;
    longest.max(now).clamp(1, cap) as u16
}

/// Wrap a line of styled parts to `width`, breaking at its ` · ` separators first, so a
/// value never splits from its name (`next: 0d 10:00:00` stays on one row); a part longer
/// than a row is broken between words. The separator at a break is dropped.
pub(crate) fn wrap_parts(parts: &[(String, Tone)], width: usize) -> Vec<Vec<(String, Tone)>> {
    const SEP: &str = " · ";
    const SEP_W: usize = 3;
    let width = width.max(1);
    // Chunks: what lies between separators, as pieces that keep their tone.
    let mut chunks: Vec<Vec<(String, Tone)>> = vec![Vec::new()];
    for (text, tone) in parts {
        for (i, piece) in text.split(SEP).enumerate() {
            if i > 0 {
                chunks.push(Vec::new());
            }
            if !piece.is_empty() {
                chunks
                    .last_mut()
                    .expect("one chunk")
                    .push((piece.to_string(), *tone));
            }
        }
    }
    let len = |pieces: &[(String, Tone)]| pieces.iter().map(|(s, _)| cols(s)).sum::<usize>();
    let mut out: Vec<Vec<(String, Tone)>> = Vec::new();
    let mut line: Vec<(String, Tone)> = Vec::new();
    for chunk in chunks.into_iter().filter(|c| !c.is_empty()) {
        let used = len(&line);
        let need = len(&chunk) + if line.is_empty() { 0 } else { SEP_W };
        if used + need <= width {
            if !line.is_empty() {
                line.push((SEP.to_string(), Tone::Dim));
            }
            line.extend(chunk);
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if len(&chunk) <= width {
            line = chunk;
            continue;
        }
        // Longer than a row: word by word, each word keeping its piece's tone.
        for (text, tone) in chunk {
            for word in glued_words(&text) {
                let used = len(&line);
                let gap = usize::from(used > 0);
                if used > 0 && used + gap + cols(&word) > width {
                    out.push(std::mem::take(&mut line));
                }
                let sp = if line.is_empty() { "" } else { " " };
                // A word wider than a row (CJK text): broken between characters.
                let mut rows = wrap(&word, width).into_iter();
                line.push((format!("{sp}{}", rows.next().unwrap_or_default()), tone));
                for row in rows {
                    out.push(std::mem::take(&mut line));
                    line.push((row, tone));
                }
            }
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// The words of `text` for wrapping, with a time or a count kept whole: `7d 00h 00m`,
/// `14d 05:00:00)` and `1 KMS` never break across rows (a word that starts with a digit stays
/// with a digit-led word before it, and a bare number stays with the word after it).
pub(crate) fn glued_words(text: &str) -> Vec<String> {
    let led_by_digit = |w: &str| {
        w.trim_start_matches(['(', '['])
            .starts_with(|c: char| c.is_ascii_digit())
    };
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        if let Some(prev) = out.last_mut()
            && ((led_by_digit(prev) && word.starts_with(|c: char| c.is_ascii_digit()))
                || prev.chars().all(|c| c.is_ascii_digit())
                || (prev.ends_with(" KMS") && led_by_digit(prev)))
        {
            prev.push(' ');
            prev.push_str(word);
            continue;
        }
        out.push(word.to_string());
    }
    out
}

/// The columns `s` takes on a terminal (a CJK character or most emoji take two).
pub(crate) fn cols(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

fn char_cols(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Wrap `text` to rows of at most `width` columns, between words (times and counts kept
/// whole); a word wider than a row (CJK text has no spaces) is broken between characters,
/// filling the row it starts on first.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in glued_words(text) {
        let w = cols(&word);
        let gap = usize::from(!line.is_empty());
        if used + gap + w <= width {
            if gap == 1 {
                line.push(' ');
            }
            line.push_str(&word);
            used += gap + w;
            continue;
        }
        if w <= width {
            out.push(std::mem::take(&mut line));
            line.push_str(&word);
            used = w;
            continue;
        }
        // Wider than a row: what fits after the words before it, then whole rows.
        if used + gap < width && gap == 1 {
            line.push(' ');
            used += 1;
        } else if !line.is_empty() {
            out.push(std::mem::take(&mut line));
            used = 0;
        }
        for c in word.chars() {
            let cw = char_cols(c);
            if used + cw > width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

pub fn narration(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let started = app.runner().steps_started();
    let title = if started == 0 {
        format!(" {} · before the first step ", app.scenario().file)
    } else {
        let st = &app.scenario().steps[started - 1];
        format!(
            " Step {started}/{} at {} · {} ",
            app.scenario().steps.len(),
            st.at,
            st.action.describe()
        )
    };
    // Leaving the script is visible where the narration is read: the notes were written for
    // the scripted world. It shares the top border with the step's title.
    let live = app.live_actions();
    let warning = (live > 0).then(|| {
        if area.width >= 110 {
            format!(" ⚠ off the script: {live} live action(s); later notes may not hold ")
        } else {
            format!(" ⚠ off script ({live} live) ")
        }
    });
    // Cut at a word with `…`, never mid-number (`valid for 36` for `365d`).
    let warning_w = warning.as_ref().map_or(0, |w| w.chars().count());
    let room = (area.width.saturating_sub(4) as usize).saturating_sub(warning_w);
    let title = super::fit_words(&title, room);
    let mut block = Block::bordered()
        .title(Span::styled(title, theme.style(Tone::Accent)))
        .border_style(theme.border(false));
    if let Some(text) = warning {
        let text = super::fit_words(&text, area.width.saturating_sub(4) as usize);
        block = block.title(Span::styled(text, theme.style(Tone::Warn)));
    }
    // Feedback sits on the bottom border, so it never changes the panel's height.
    if let Some(t) = &app.current_toast() {
        let mark = if t.error {
            format!("{} ", glyph::FAILED)
        } else {
            String::new()
        };
        let room = area.width.saturating_sub(4) as usize;
        block = block.title_bottom(Span::styled(
            super::fit_words(&format!(" {mark}{} ", t.text), room),
            theme.style(if t.error { Tone::Bad } else { Tone::Ok }),
        ));
    }
    let mut lines = narration_lines(app, area.width);
    // Too short for the note and the whole question: the answer alone (the question was on
    // screen before, and is in the log).
    if lines.len() > area.height.saturating_sub(2) as usize {
        lines = narration_lines_as(app, area.width, true);
    }
    // A note longer than the panel ends with `…` (a taller window shows it whole; `rewrap run`
    // prints every note).
    let room = area.height.saturating_sub(2) as usize;
    if lines.len() > room && room > 0 {
        lines.truncate(room);
        if let Some(last) = lines.last_mut() {
            let text: String = last.spans.iter().map(|s| s.content.as_ref()).collect();
            let w = area.width.saturating_sub(2) as usize;
            let cut = super::fit_words(&format!("{text} …"), w);
            let cut = if cut.ends_with('…') {
                cut
            } else {
                format!("{text}…")
            };
            *last = Line::styled(cut, last.style.patch(theme.style(Tone::Strong)));
        }
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
}

/// Footer cells: every binding's key, with bindings of one footer group merged into one cell
/// (`+ - speed`).
pub fn footer_cells(large: bool) -> Vec<(String, String)> {
    footer_cells_for(large, true)
}

/// The footer's cells; `T` (next table) and `L` (ledger) only in a bigger world (several
/// tables, or backups): the help lists them always.
fn footer_cells_for(large: bool, several_tables: bool) -> Vec<(String, String)> {
    let mut cells: Vec<(String, String, Option<&str>)> = Vec::new();
    // `g` (diagram or list) only means something on a large screen.
    for b in BINDINGS
        .iter()
        .filter(|b| large || b.msg != crate::app::Msg::ToggleView)
        .filter(|b| {
            several_tables
                || !matches!(
                    b.msg,
                    crate::app::Msg::NextTable | crate::app::Msg::ToggleLedger
                )
        })
    {
        match (cells.last_mut(), b.footer_group) {
            (Some((keys, _, Some(g))), Some(bg)) if *g == bg => {
                keys.push(' ');
                keys.push_str(b.label);
            }
            _ => cells.push((
                b.label.to_string(),
                b.footer_group.unwrap_or(b.short).to_string(),
                b.footer_group,
            )),
        }
    }
    cells.into_iter().map(|(k, l, _)| (k, l)).collect()
}

/// The footer's lines at this width (`large`: a screen the diagram fits, see `diagram`).
pub fn footer_lines(width: u16, large: bool, several_tables: bool) -> Vec<Vec<(String, String)>> {
    flow(Vec::new(), width, large, several_tables)
}

/// The binding cells flowed after `first` (cells already on the first line) into lines of
/// `width` columns.
fn flow(
    first: Vec<(String, String)>,
    width: u16,
    large: bool,
    several_tables: bool,
) -> Vec<Vec<(String, String)>> {
    let mut used: usize = first
        .iter()
        .map(|(k, l)| k.chars().count() + 1 + l.chars().count() + 2)
        .sum();
    let mut lines: Vec<Vec<(String, String)>> = vec![first];
    for (k, label) in footer_cells_for(large, several_tables) {
        let cell = k.chars().count() + 1 + label.chars().count() + 2;
        if used + cell > width as usize && used > 0 {
            lines.push(Vec::new());
            used = 0;
        }
        lines.last_mut().expect("one line").push((k, label));
        used += cell;
    }
    lines
}

/// What the sandbox keys act on now: the selected key and connection (and, with several
/// tables, the table the panels follow).
pub fn targets(app: &App) -> String {
    let key = app
        .selected_key()
        .map_or_else(|| "no key".to_string(), |k| k.to_string());
    let conn = app
        .selected_connection()
        .map_or_else(|| "no principal".to_string(), |(p, c)| format!("{p}#{c}"));
    if app.runner().engine().tables().len() > 1 {
        format!("acting on {key} · {conn} · {}", app.focused_table().label())
    } else {
        format!("acting on {key} · {conn}")
    }
}

/// The footer's lines for this app: the sandbox targets first, then the key bindings. On a
/// short screen (under 30 rows) one line: the targets and the keys a presenter needs most;
/// `?` lists every key.
pub fn footer_rows(app: &App, width: u16, screen_height: u16) -> Vec<Vec<(String, String)>> {
    // Padded to the longest it can be, so changing the selection never re-flows the footer.
    let e = app.runner().engine();
    let longest = e
        .keys()
        .iter()
        .map(|k| k.id().as_str().len())
        .max()
        .unwrap_or(6)
        + e.cache_entries(crate::engine::view::TableIx::FIRST)
            .iter()
            .map(|c| c.principal().as_str().len() + 6)
            .max()
            .unwrap_or(12)
        + "acting on  · ".len()
        + if e.tables().len() > 1 {
            e.tables()
                .iter()
                .map(|t| t.label().chars().count() + 3)
                .max()
                .unwrap_or(0)
        } else {
            0
        };
    let target = format!("{:<longest$}", targets(app));
    if app.lab().is_some() {
        return lab_footer(&target, width, screen_height);
    }
    if screen_height < 30 {
        let mut line = vec![(String::new(), target)];
        let mut used = line[0].1.chars().count() + 2;
        for (k, label) in [
            ("?", "all keys"),
            ("→ ←", "step"),
            ("spc", "play"),
            ("tab", "focus"),
            ("q", "quit"),
        ] {
            let cell = k.chars().count() + 1 + label.chars().count() + 2;
            if used + cell > width as usize {
                break;
            }
            line.push((k.to_string(), label.to_string()));
            used += cell;
        }
        return vec![line];
    }
    // The targets open the first line; the bindings flow after them, then on full lines.
    let large = super::diagram::is_large(Rect::new(0, 0, width, screen_height));
    flow(
        vec![(String::new(), target)],
        width,
        large,
        e.tables().len() > 1 || e.backups().iter().any(|b| !b.archival()),
    )
}

/// A lab's footer: the targets, then the keys an attendee needs, on one line under 30 rows.
fn lab_footer(target: &str, width: u16, screen_height: u16) -> Vec<Vec<(String, String)>> {
    let most = if screen_height < 30 { 1 } else { 2 };
    let mut lines = vec![vec![(String::new(), target.to_string())]];
    let mut used = target.chars().count() + 2;
    for (k, label) in [
        ("?", "all keys"),
        ("H", "hint"),
        ("spc", "play"),
        (">", "go to"),
        ("j", "next event"),
        ("f", "read"),
        ("r", "reset"),
        ("w", "save attempt"),
        ("m", "briefing"),
        ("+/-", "speed"),
        ("q", "quit"),
    ] {
        let cell = k.chars().count() + 1 + label.chars().count() + 2;
        if used + cell > width as usize {
            if lines.len() == most {
                break;
            }
            lines.push(Vec::new());
            used = 0;
        }
        lines
            .last_mut()
            .expect("one line")
            .push((k.to_string(), label.to_string()));
        used += cell;
    }
    lines
}

pub fn footer(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let lines: Vec<Line> = footer_rows(app, area.width, f.area().height)
        .into_iter()
        .map(|cells| {
            let mut spans = Vec::new();
            for (k, label) in cells {
                if k.is_empty() {
                    // The sandbox targets.
                    spans.push(Span::styled(
                        format!("{label}  "),
                        theme.style(Tone::Strong),
                    ));
                    continue;
                }
                spans.push(Span::styled(k, theme.style(Tone::Accent)));
                spans.push(Span::styled(format!(" {label}  "), theme.style(Tone::Dim)));
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

pub use super::overlay::{GLYPHS, glyph_lines, help, prompt, reload_error};
