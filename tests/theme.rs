//! The colour themes: no essential text in colour 8, every text/background pair readable (7:1
//! in high contrast), glyphs that tell every key state apart without colour, and how the theme
//! is chosen (`--theme`, `REWRAP_THEME`, `NO_COLOR`).

use std::ffi::OsStr;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};

use rewrap::app::tree::key_glyph;
use rewrap::app::{App, Msg};
use rewrap::engine::kms::KeyState;
use rewrap::scenario;
use rewrap::ui;
use rewrap::ui::theme::{Resolved, Theme, ThemeChoice, ThemeKind, Tone, contrast_ratio, resolve};

fn draw(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, app)).unwrap();
    t.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

fn is_border(symbol: &str) -> bool {
    symbol
        .chars()
        .all(|c| ('\u{2500}'..='\u{257F}').contains(&c))
}

/// Whether a cell shows something: not blank, not a box-drawing border.
fn shows_text(cell: &Cell) -> bool {
    let s = cell.symbol();
    !s.trim().is_empty() && !is_border(s)
}

/// What a cell's text is drawn in and on, REVERSED applied (`None`: the terminal's own).
fn pair(cell: &Cell) -> (Option<Color>, Option<Color>) {
    let known = |c: Color| (c != Color::Reset).then_some(c);
    let (fg, bg) = (known(cell.fg), known(cell.bg));
    if cell.modifier.contains(Modifier::REVERSED) {
        (bg, fg)
    } else {
        (fg, bg)
    }
}

/// Every problem with one drawn screen under `theme`: colour 8 on text, a pair below the
/// theme's least contrast, and in high contrast any colour left to the terminal.
fn problems(buf: &Buffer, theme: Theme, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            // High contrast paints every cell, blanks and borders too: none shows the
            // terminal's own background between its black ones.
            if theme.kind == ThemeKind::HighContrast && pair(cell).1.is_none() {
                out.push(format!(
                    "{at} ({x},{y}) {:?}: the terminal's background",
                    cell.symbol()
                ));
            }
            if !shows_text(cell) {
                continue;
            }
            let sym = cell.symbol();
            if matches!(cell.fg, Color::DarkGray | Color::Indexed(8)) {
                out.push(format!("{at} ({x},{y}) {sym:?}: colour 8"));
            }
            if theme.kind == ThemeKind::NoColor {
                if cell.fg != Color::Reset || cell.bg != Color::Reset {
                    out.push(format!("{at} ({x},{y}) {sym:?}: a colour under NO_COLOR"));
                }
                continue;
            }
            if cell.modifier.contains(Modifier::DIM) {
                out.push(format!("{at} ({x},{y}) {sym:?}: DIM on text"));
            }
            let (fg, bg) = pair(cell);
            if theme.kind == ThemeKind::HighContrast && (fg.is_none() || bg.is_none()) {
                out.push(format!(
                    "{at} ({x},{y}) {sym:?}: {fg:?} on {bg:?} left to the terminal"
                ));
                continue;
            }
            // The colour set, and what it is seen against (the terminal's own background where
            // the cell leaves it: the backgrounds the theme assumes).
            let (colour, grounds) = match (fg, bg) {
                (None, None) => continue,
                (Some(f), Some(b)) => (f, vec![b]),
                (Some(c), None) | (None, Some(c)) => (c, theme.backgrounds().to_vec()),
            };
            for g in grounds {
                match contrast_ratio(colour, g) {
                    Some(r) if r >= theme.min_contrast() => {}
                    r => out.push(format!(
                        "{at} ({x},{y}) {sym:?}: {colour:?} on {g:?} is {r:?}"
                    )),
                }
            }
        }
    }
    out
}

#[test]
fn every_theme_and_scenario_draws_readable_text_and_never_colour_8() {
    let mut found = Vec::new();
    for kind in ThemeKind::ALL {
        for b in scenario::BUILTINS {
            let s = Arc::new(scenario::parse(b.name, b.text).unwrap());
            let mut a = App::new(s).unwrap();
            a.set_theme(kind);
            let steps = a.scenario().steps.len();
            for n in 0..=steps {
                let at = format!("{kind:?} {} step {n}", b.name);
                found.extend(problems(&draw(&a, 120, 36), Theme::new(kind), &at));
                if n == steps / 2 || n == steps {
                    for (timeline, help) in [(true, false), (false, true)] {
                        let mut v = a.clone();
                        v.set_show_timeline(timeline);
                        if help {
                            v.show(rewrap::app::Overlay::Help);
                        }
                        let at = format!("{at} timeline={timeline} help={help}");
                        found.extend(problems(&draw(&v, 120, 36), Theme::new(kind), &at));
                    }
                }
                if n < steps {
                    a.update(Msg::NextStep);
                    a.settle();
                }
            }
        }
    }
    found.truncate(40);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn every_tone_reads_on_its_themes_background() {
    for kind in [ThemeKind::Dark, ThemeKind::Light, ThemeKind::HighContrast] {
        let theme = Theme::new(kind);
        let mut styles: Vec<(String, ratatui::style::Style)> = Tone::ALL
            .iter()
            .map(|t| (format!("{t:?}"), theme.style(*t)))
            .collect();
        styles.push(("border focused".into(), theme.border(true)));
        styles.push(("border".into(), theme.border(false)));
        for (name, style) in styles {
            let fg = style.fg.filter(|c| *c != Color::Reset);
            let bg = style.bg.filter(|c| *c != Color::Reset);
            assert!(
                !matches!(fg, Some(Color::DarkGray | Color::Indexed(8))),
                "{kind:?} {name}: colour 8"
            );
            if kind == ThemeKind::HighContrast {
                assert!(fg.is_some() && bg.is_some(), "{kind:?} {name}: {style:?}");
                assert!(
                    !style.add_modifier.contains(Modifier::DIM),
                    "{kind:?} {name}: DIM"
                );
            }
            let Some(fg) = fg else { continue };
            let backgrounds = bg.map_or_else(|| theme.backgrounds().to_vec(), |b| vec![b]);
            for b in backgrounds {
                let r = contrast_ratio(fg, b).expect("fixed colours");
                assert!(
                    r >= theme.min_contrast(),
                    "{kind:?} {name}: {fg:?} on {b:?} is {r:.2}:1, under {}",
                    theme.min_contrast()
                );
            }
        }
    }
    assert!((Theme::new(ThemeKind::HighContrast).min_contrast() - 7.0).abs() < f64::EPSILON);
}

#[test]
fn the_okabe_ito_palette_is_the_published_one() {
    use rewrap::ui::theme::okabe_ito as oi;
    assert_eq!(oi::ORANGE, Color::Rgb(230, 159, 0));
    assert_eq!(oi::SKY_BLUE, Color::Rgb(86, 180, 233));
    assert_eq!(oi::BLUISH_GREEN, Color::Rgb(0, 158, 115));
    assert_eq!(oi::YELLOW, Color::Rgb(240, 228, 66));
    assert_eq!(oi::BLUE, Color::Rgb(0, 114, 178));
    assert_eq!(oi::VERMILLION, Color::Rgb(213, 94, 0));
    assert_eq!(oi::REDDISH_PURPLE, Color::Rgb(204, 121, 167));
}

#[test]
fn no_color_uses_modifiers_only_and_keeps_dim_off_text() {
    let theme = Theme::new(ThemeKind::NoColor);
    for t in Tone::ALL {
        let s = theme.style(t);
        assert_eq!((s.fg, s.bg), (None, None), "{t:?}");
        assert!(!s.add_modifier.contains(Modifier::DIM), "{t:?}");
    }
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

#[test]
fn the_flag_wins_then_the_variable_then_no_color_then_auto() {
    use ThemeKind::{Dark, HighContrast, Light, NoColor};
    let use_ = Resolved::Use;
    // The flag wins over everything, even an invalid variable and NO_COLOR.
    assert_eq!(
        resolve(Some(ThemeChoice::Light), Some(os("bogus")), Some(os("1"))),
        Ok(use_(Light))
    );
    assert_eq!(
        resolve(Some(ThemeChoice::Auto), None, Some(os("1"))),
        Ok(Resolved::Detect)
    );
    // The variable, any case, spaces trimmed.
    assert_eq!(resolve(None, Some(os("dark")), None), Ok(use_(Dark)));
    assert_eq!(
        resolve(None, Some(os(" High-Contrast ")), None),
        Ok(use_(HighContrast))
    );
    // A theme it names wins over NO_COLOR; `auto` yields to it.
    assert_eq!(
        resolve(None, Some(os("light")), Some(os("1"))),
        Ok(use_(Light))
    );
    assert_eq!(
        resolve(None, Some(os("auto")), Some(os("1"))),
        Ok(use_(NoColor))
    );
    // NO_COLOR counts only when non-empty; an empty variable is unset.
    assert_eq!(resolve(None, None, Some(os("1"))), Ok(use_(NoColor)));
    assert_eq!(resolve(None, None, Some(os(""))), Ok(Resolved::Detect));
    assert_eq!(resolve(None, Some(os("")), None), Ok(Resolved::Detect));
    assert_eq!(resolve(None, None, None), Ok(Resolved::Detect));
}

#[test]
fn an_invalid_variable_names_the_value_and_the_valid_ones() {
    let err = resolve(None, Some(os("bogus")), Some(os("1"))).unwrap_err();
    assert!(err.contains("REWRAP_THEME"), "{err}");
    assert!(err.contains("'bogus'"), "{err}");
    for v in ["auto", "dark", "light", "high-contrast"] {
        assert!(err.contains(v), "{err}");
    }
}

/// Four keys, one in each state, at the end of the scenario.
const EVERY_KEY_STATE: &str = r#"
title = "every key state"
[[key]]
id = "kms-on"
[[key]]
id = "kms-off"
[[key]]
id = "kms-wait"
[[key]]
id = "kms-gone"
[table]
key = "kms-on"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "disable-key"
key = "kms-off"
[[step]]
at = "1m"
do = "schedule-key-deletion"
key = "kms-wait"
days = 30
[[step]]
at = "1m"
do = "schedule-key-deletion"
key = "kms-gone"
days = 7
[[step]]
at = "8d"
do = "wait"
expect = { keys = { kms-on = "enabled", kms-off = "disabled", kms-wait = "pending-deletion", kms-gone = "deleted" } }
"#;

#[test]
fn every_key_state_has_its_own_glyph_in_the_tree_and_the_timeline() {
    let s = Arc::new(scenario::parse("states.toml", EVERY_KEY_STATE).unwrap());
    let mut a = App::new(s).unwrap();
    a.set_theme(ThemeKind::NoColor);
    for _ in 0..4 {
        a.update(Msg::NextStep);
        a.settle();
    }
    assert!(
        a.runner().failures().is_empty(),
        "{:?}",
        a.runner().failures()
    );
    let screen = text(&draw(&a, 120, 36));
    let glyph_of = |id: &str| {
        // The tree is the left half of the screen.
        let line: String = screen
            .lines()
            .map(|l| l.chars().take(60).collect::<String>())
            .find(|l| l.contains(&format!(" {id} ")))
            .unwrap_or_else(|| panic!("{id} in\n{screen}"));
        let before = &line[..line.find(id).unwrap()];
        before.trim_end().chars().last().unwrap().to_string()
    };
    let glyphs: Vec<String> = ["kms-on", "kms-off", "kms-wait", "kms-gone"]
        .iter()
        .map(|id| glyph_of(id))
        .collect();
    let expected: Vec<String> = [
        KeyState::Enabled,
        KeyState::Disabled,
        KeyState::PendingDeletion {
            deletion_at: rewrap::engine::time::SimTime::ZERO,
        },
        KeyState::Deleted {
            at: rewrap::engine::time::SimTime::ZERO,
        },
    ]
    .into_iter()
    .map(|k| key_glyph(k).to_string())
    .collect();
    assert_eq!(glyphs, expected, "{screen}");
    let distinct: std::collections::HashSet<_> = glyphs.iter().collect();
    assert_eq!(distinct.len(), 4, "{glyphs:?}");
    // The help's legend names every one of them.
    for g in &glyphs {
        assert!(
            ui::chrome::GLYPHS.iter().any(|(s, _)| s == g),
            "{g} missing from the legend"
        );
    }
    // The timeline's key rows: each state's last cell a different glyph.
    a.update(Msg::ToggleTimeline);
    let timeline = text(&draw(&a, 120, 36));
    let last_cell = |id: &str| {
        let line = timeline
            .lines()
            .find(|l| l.trim_start_matches('│').starts_with(id))
            .unwrap_or_else(|| panic!("{id} in\n{timeline}"));
        line.trim_end_matches('│')
            .trim_end()
            .chars()
            .last()
            .unwrap()
    };
    let cells: std::collections::HashSet<char> = ["kms-on", "kms-off", "kms-wait", "kms-gone"]
        .iter()
        .map(|id| last_cell(id))
        .collect();
    assert_eq!(cells.len(), 4, "{timeline}");
}

#[test]
fn the_glyph_legend_fits_the_help_and_keeps_every_entry() {
    for width in [40, 76, 92, 200] {
        let lines = ui::chrome::glyph_lines(width);
        let all = lines.join("  ");
        for (g, meaning) in ui::chrome::GLYPHS {
            assert!(all.contains(&format!("{g} {meaning}")), "{g} at {width}");
        }
        for l in &lines {
            assert!(l.chars().count() <= width, "{l:?} over {width}");
        }
    }
}
