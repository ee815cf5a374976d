//! Drawing: one file per panel. Rendering takes `&App` and never mutates it.
//!
//! ```text
//! ┌ rewrap  <title> │ 0d 00:10:08 │ ▶ playing 1 min/s │ step 5/12 ─────────────────┐ header
//! ┌ Step 5/12 at 0d 00:10:00 · change table key to kms-2 ──────────────────────────────┐
//! │ UpdateTable: switch to KMS-2. DynamoDB generates a NEW table key T2 ...            │ narration
//! ┌ Keys: KMS key → table key → DEKs → items ┐┌ Table & keys ─────────────────────────┐
//! │ ▾ ◆ kms-1 CMK Enabled                    ││ Table Orders ACTIVE                    │
//! │   ▾ T1 current                           ││ SSE UPDATING · re-wrap T1→T2 4/8       │
//! │       DEK-4 ⇢ moving ▰▰▱▱                │┌ Table-key cache ──────────────────────┐
//! │ ▾ ◆ kms-2 CMK Enabled                    ││ app#1  T1 ██████░░░░ 3:12 idle 0:48    │
//! │   ▾ T2 new · re-wrapping 4/8             ││                                        │
//! └──────────────────────────────────────────┘└────────────────────────────────────────┘
//! ┌ Event log & CloudTrail ────────────────────────────────────────────────────────────┐
//! │ 0d 00:10:08 REWRAP  DEK-3 re-wrapped T1 -> T2 [4/8] ...                             │
//! └────────────────────────────────────────────────────────────────────────────────────┘
//!  space play  →/n next  ←/p back  + faster  - slower  j event  tab focus ...            footer
//! ```
//! The timeline (`t`) replaces the middle row; help (`?`) and the deletion prompt overlay it.

pub mod bigclock;
pub mod bigtext;
pub mod blast;
pub mod cache;
pub mod chrome;
pub mod diagram;
pub mod lab;
pub mod ledger;
pub mod log;
pub mod notes;
pub mod overlay;
pub mod present;
pub mod status;
pub mod theme;
pub mod timeline;
pub mod timescale;
pub mod tree;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::app::{App, Overlay};
use theme::{Theme, Tone};

/// `text` cut to at most `width` columns at a word boundary, with `…` when something was cut,
/// so a cut never leaves half a word that reads as another word (`can` for `cannot`).
pub fn fit_words(text: &str, width: usize) -> String {
    let cols = chrome::cols;
    if cols(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let budget = width - 1;
    // Leading spaces (a part's separator) stay.
    let body = text.trim_start_matches(' ');
    let lead = text.len() - body.len();
    let mut out = " ".repeat(lead.min(budget));
    let mut words = 0;
    for word in body.split(' ') {
        let add = if words == 0 {
            cols(word)
        } else {
            cols(word) + 1
        };
        if cols(&out) + add > budget {
            break;
        }
        if words > 0 {
            out.push(' ');
        }
        out.push_str(word);
        words += 1;
    }
    if words == 0 {
        // No whole word fits (or the text has no spaces, as CJK text): cut between
        // characters, by columns.
        out.clear();
        for c in text.chars() {
            if cols(&out) + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > budget {
                break;
            }
            out.push(c);
        }
    }
    out.push('…');
    out
}

/// Parts of a row fitted to `width`: trailing dim annotations give way first, then the last
/// part left is cut at a word boundary with `…`.
pub fn fit_parts(mut parts: Vec<(String, Tone)>, width: usize) -> Vec<(String, Tone)> {
    let len = |p: &[(String, Tone)]| p.iter().map(|(s, _)| s.chars().count()).sum::<usize>();
    while len(&parts) > width && parts.len() > 2 && parts.last().is_some_and(|p| p.1 == Tone::Dim) {
        parts.pop();
    }
    // Then the last part's trailing ` · ` clauses, whole: `retired at 0d 01:00 · not needed
    // by the live table` reads better as `retired at 0d 01:00` than cut mid-phrase.
    while len(&parts) > width
        && let Some(last) = parts.last_mut()
        && let Some((head, _)) = last.0.rsplit_once(" · ")
        && !head.trim().is_empty()
    {
        last.0 = head.to_string();
    }
    let total = len(&parts);
    if total > width
        && let Some(last) = parts.last_mut()
    {
        let room = width.saturating_sub(total - last.0.chars().count());
        last.0 = fit_words(&last.0, room);
    }
    parts
}

/// The smallest screen the full layout fits.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draw the whole screen.
pub fn render(f: &mut Frame, app: &App) {
    let area = f.area();
    let theme = Theme::of(app);
    // High contrast paints its own background; the other themes keep the terminal's.
    if theme.base() != ratatui::style::Style::default() {
        f.buffer_mut().set_style(area, theme.base());
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, theme);
        return;
    }
    if app.blank() {
        f.render_widget(ratatui::widgets::Clear, area);
        return;
    }
    if app.present() {
        present::render(f, area, app, theme);
        match app.overlay() {
            Overlay::Ledger => ledger::render(f, area, app, theme),
            Overlay::Help => chrome::help(f, area, app, theme),
            _ => {}
        }
        lab::card(f, area, app, theme);
        chrome::prompt(f, area, app, theme);
        chrome::reload_error(f, area, app, theme);
        return;
    }
    let footer_h = chrome::footer_rows(app, area.width, area.height).len() as u16;
    let narration_h = chrome::narration_height(app, area.width, area.height) + 2;
    let rest = area.height.saturating_sub(1 + narration_h + footer_h);
    // Large windows give the bottom row (log and timeline) more room.
    let log_h = if diagram::is_large(area) {
        (rest * 2 / 5).max(4)
    } else {
        (rest / 3).max(4)
    };
    let [header, narration, main, log_area, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(narration_h),
        Constraint::Min(6),
        Constraint::Length(log_h),
        Constraint::Length(footer_h),
    ])
    .areas(area);
    chrome::header(f, header, app, theme);
    chrome::narration(f, narration, app, theme);
    // A lab's goal panel takes the top of the body, as tall as it needs (the body keeps 6).
    let goal_h = lab::height(app, area.width, false).min(main.height.saturating_sub(6));
    let [goal, main] =
        Layout::vertical([Constraint::Length(goal_h), Constraint::Min(1)]).areas(main);
    if goal_h > 0 {
        lab::render(f, goal, app, theme, false);
    }
    if diagram::is_large(area) {
        large_body(f, main, log_area, app, theme);
    } else {
        if app.show_timeline() {
            timeline::render(f, main, app, theme, false);
        } else {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(main);
            tree::render(f, left, app, theme);
            side_panels(f, right, app, area.height, theme, false);
        }
        log::render(f, log_area, app, theme);
    }
    chrome::footer(f, footer, app, theme);
    match app.overlay() {
        Overlay::Ledger => ledger::render(f, area, app, theme),
        Overlay::Help => chrome::help(f, area, app, theme),
        _ => {}
    }
    lab::card(f, area, app, theme);
    chrome::prompt(f, area, app, theme);
    chrome::reload_error(f, area, app, theme);
}

/// The status and cache panels, one above the other (the big clock on top on large screens).
fn side_panels(f: &mut Frame, area: Rect, app: &App, screen_h: u16, theme: Theme, big: bool) {
    let clock_h = if big { bigclock::HEIGHT } else { 0 };
    let [clock, rest] =
        Layout::vertical([Constraint::Length(clock_h), Constraint::Min(3)]).areas(area);
    if big {
        bigclock::render(f, clock, app, theme);
    }
    let status_h = status::height(app, rest.width, screen_h).min(rest.height.saturating_sub(3));
    let [status_area, cache_area] =
        Layout::vertical([Constraint::Length(status_h), Constraint::Min(3)]).areas(rest);
    status::render(f, status_area, app, screen_h, theme);
    cache::render(f, cache_area, app, theme);
}

/// Large windows: the key hierarchy as a diagram (or the list, `g`) beside the big clock,
/// status and cache; the timeline beside the log (`t` hides it).
fn large_body(f: &mut Frame, main: Rect, log_area: Rect, app: &App, theme: Theme) {
    let right_w = (main.width * 38 / 100).max(60);
    let [left, right] =
        Layout::horizontal([Constraint::Min(40), Constraint::Length(right_w)]).areas(main);
    if app.prefer_list() || !diagram::render(f, left, app, theme) {
        tree::render(f, left, app, theme);
    }
    side_panels(f, right, app, main.height + log_area.height, theme, true);
    if app.show_timeline() {
        log::render(f, log_area, app, theme);
    } else {
        let [log_half, timeline_half] =
            Layout::horizontal([Constraint::Percentage(56), Constraint::Percentage(44)])
                .areas(log_area);
        log::render(f, log_half, app, theme);
        timeline::render(f, timeline_half, app, theme, true);
    }
}

fn too_small(f: &mut Frame, area: Rect, theme: Theme) {
    let text = vec![
        Line::styled("rewrap needs a larger window", theme.style(Tone::Strong)),
        Line::raw(format!(
            "{MIN_WIDTH}×{MIN_HEIGHT} at least; this one is {}×{}",
            area.width, area.height
        )),
        Line::styled("q quits", theme.style(Tone::Dim)),
    ];
    f.render_widget(Paragraph::new(text), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_words_cuts_at_words_and_keeps_a_leading_space() {
        assert_eq!(fit_words("short", 10), "short");
        assert_eq!(
            fit_words("The AWS managed key cannot lock", 23),
            "The AWS managed key…"
        );
        assert_eq!(fit_words(" retired at 0d 00:10:16", 12), " retired at…");
        assert_eq!(fit_words("Supercalifragilistic", 6), "Super…");
        assert_eq!(fit_words("abc", 0), "");
    }

    /// Japanese has no spaces and takes two columns a character; emoji take two as well:
    /// rows stay within the width in columns and no character is lost.
    #[test]
    fn cjk_and_emoji_wrap_by_columns_and_lose_nothing() {
        let text = "鍵を無効にすると、キャッシュが切れた後の読み取りは失敗します。🔑 KMS-1 を削除しても 📦 データは T2 で読めます。";
        for width in [7, 10, 23, 40, 79] {
            let rows = chrome::wrap(text, width);
            for r in &rows {
                assert!(
                    chrome::cols(r) <= width,
                    "{width}: {r:?} is {} columns",
                    chrome::cols(r)
                );
            }
            let joined: String = rows.concat().chars().filter(|c| *c != ' ').collect();
            let want: String = text.chars().filter(|c| *c != ' ').collect();
            assert_eq!(joined, want, "{width}");
            let parts = vec![(text.to_string(), Tone::Normal)];
            for r in chrome::wrap_parts(&parts, width) {
                let row: String = r.into_iter().map(|(s, _)| s).collect();
                assert!(chrome::cols(&row) <= width, "{width}: {row:?}");
            }
        }
        // Cut to fit, by columns, with the ellipsis.
        let cut = fit_words("鍵を無効にすると読めません", 9);
        assert_eq!(cut, "鍵を無効…");
        assert!(chrome::cols(&cut) <= 9);
    }

    #[test]
    fn status_lines_break_at_their_separators_never_inside_a_value() {
        let parts = vec![
            ("Key changes: ".to_string(), Tone::Dim),
            (
                "4 in 24 h · 0 free · next: 0d 10:00:00".to_string(),
                Tone::Normal,
            ),
        ];
        let rows: Vec<String> = chrome::wrap_parts(&parts, 40)
            .into_iter()
            .map(|r| r.into_iter().map(|(s, _)| s).collect())
            .collect();
        assert_eq!(
            rows,
            ["Key changes: 4 in 24 h · 0 free", "next: 0d 10:00:00"]
        );
        // A part longer than a row breaks between words; nothing is lost.
        let long = vec![("one two three four five six".to_string(), Tone::Normal)];
        let rows: Vec<String> = chrome::wrap_parts(&long, 9)
            .into_iter()
            .map(|r| r.into_iter().map(|(s, _)| s).collect())
            .collect();
        assert_eq!(rows, ["one two", "three", "four five", "six"]);
        assert!(rows.iter().all(|r| r.chars().count() <= 9));
    }

    #[test]
    fn the_room_reads_notes_without_the_repositorys_citations() {
        assert_eq!(
            present::without_citations(
                "took a backup under kms-1 (aws-behaviour.md #45). It can be restored (aws-behaviour.md #46)."
            ),
            "took a backup under kms-1. It can be restored."
        );
        assert_eq!(
            present::without_citations(
                "for 20 hours (replica_removal_after, aws-behaviour.md #51): gone"
            ),
            "for 20 hours: gone"
        );
        assert_eq!(
            present::without_citations("the key (kms-1) and the delay (10 minutes)"),
            "the key (kms-1) and the delay (10 minutes)",
            "only an assumption's name alone in its parenthesis goes"
        );
        assert_eq!(present::without_citations("no citation"), "no citation");
    }
}
