//! Colours and emphasis: a style per tone for each theme (`ThemeKind`), and how the theme is
//! chosen (`--theme`, `REWRAP_THEME`, `NO_COLOR`, the terminal's own background).
//!
//! Dark and light use the Okabe–Ito palette (told apart with every common colour-vision
//! deficiency), each colour picked or darkened so its text reads at 4.5:1 or better on the
//! background the theme assumes; high contrast paints its own black background and keeps every
//! pair at 7:1 or better. No theme uses colour 8 (dark grey) for text, and meaning never rests on
//! colour alone: the glyphs (`app::tone::glyph`) and words say it too.

use std::ffi::OsStr;

use ratatui::style::{Color, Modifier, Style};

use crate::app::App;
pub use crate::app::tone::{ThemeKind, Tone};

/// The Okabe–Ito palette ("Color Universal Design", Okabe & Ito 2008), and the variants of its
/// hues this program uses where the original is too light or too dark for a background.
pub mod okabe_ito {
    use ratatui::style::Color;

    pub const ORANGE: Color = Color::Rgb(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: Color = Color::Rgb(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: Color = Color::Rgb(0x00, 0x9E, 0x73);
    pub const YELLOW: Color = Color::Rgb(0xF0, 0xE4, 0x42);
    pub const BLUE: Color = Color::Rgb(0x00, 0x72, 0xB2);
    pub const VERMILLION: Color = Color::Rgb(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: Color = Color::Rgb(0xCC, 0x79, 0xA7);

    /// Vermillion a little lighter: 4.5:1 on a #1E1E1E background (the original gives 4.3:1).
    pub const VERMILLION_LIGHT: Color = Color::Rgb(0xE6, 0x6E, 0x1A);
    /// Bluish green at 75 %: 5.2:1 on #F5F5F5 (the original gives 3.1:1).
    pub const BLUISH_GREEN_DARK: Color = Color::Rgb(0x00, 0x76, 0x56);
    /// Reddish purple at 70 %: 5.2:1 on #F5F5F5.
    pub const REDDISH_PURPLE_DARK: Color = Color::Rgb(0x8F, 0x55, 0x75);
    /// Vermillion at 75 %: 5.7:1 on #F5F5F5.
    pub const VERMILLION_DARK: Color = Color::Rgb(0xA0, 0x46, 0x00);
    /// Vermillion lightened towards white: 8.2:1 on black.
    pub const VERMILLION_PALE: Color = Color::Rgb(0xE2, 0x8E, 0x4D);
}

use okabe_ito as oi;

const BLACK: Color = Color::Rgb(0, 0, 0);
const WHITE: Color = Color::Rgb(0xFF, 0xFF, 0xFF);
/// Secondary text on a dark background: 6.4:1 on #1E1E1E (colour 8 gives about 2.8:1).
const GREY_ON_DARK: Color = Color::Rgb(0xA0, 0xA0, 0xA0);
/// Secondary text on a light background: 6.4:1 on #F5F5F5.
const GREY_ON_LIGHT: Color = Color::Rgb(0x59, 0x59, 0x59);
/// Secondary text in high contrast: 13.6:1 on black.
const GREY_HIGH: Color = Color::Rgb(0xD0, 0xD0, 0xD0);

/// A style per tone; built once per frame from the app's theme.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub kind: ThemeKind,
}

impl Theme {
    pub fn new(kind: ThemeKind) -> Self {
        Self { kind }
    }

    /// The theme the app was started with.
    pub fn of(app: &App) -> Self {
        Self::new(app.theme())
    }

    /// The backgrounds the theme's colours are chosen for (the darkest and the lightest one it
    /// assumes); empty for `NoColor`, which has no colours. Dark and light draw on the
    /// terminal's own background; high contrast paints its own (`base`).
    pub fn backgrounds(self) -> &'static [Color] {
        match self.kind {
            ThemeKind::Dark => &[BLACK, Color::Rgb(0x1E, 0x1E, 0x1E)],
            ThemeKind::Light => &[WHITE, Color::Rgb(0xF5, 0xF5, 0xF5)],
            ThemeKind::HighContrast => &[BLACK],
            ThemeKind::NoColor => &[],
        }
    }

    /// The least contrast any text of this theme has against its background.
    pub fn min_contrast(self) -> f64 {
        match self.kind {
            ThemeKind::HighContrast => 7.0,
            _ => 4.5,
        }
    }

    /// What the whole screen is painted with before the panels draw: high contrast brings its
    /// own background, the other themes keep the terminal's.
    pub fn base(self) -> Style {
        match self.kind {
            ThemeKind::HighContrast => Style::default().fg(WHITE).bg(BLACK),
            _ => Style::default(),
        }
    }

    pub fn style(self, tone: Tone) -> Style {
        let s = Style::default();
        let bold = Modifier::BOLD;
        match self.kind {
            // Modifiers only. Secondary text stays plain: DIM would wash it out.
            ThemeKind::NoColor => match tone {
                Tone::Normal | Tone::Ok | Tone::Dim => s,
                Tone::Strong | Tone::Accent => s.add_modifier(bold),
                Tone::Warn => s.add_modifier(Modifier::UNDERLINED),
                Tone::Bad => s.add_modifier(bold | Modifier::UNDERLINED),
                Tone::Moving => s.add_modifier(Modifier::REVERSED),
            },
            ThemeKind::Dark => match tone {
                Tone::Normal => s,
                Tone::Dim => s.fg(GREY_ON_DARK),
                Tone::Strong => s.add_modifier(bold),
                Tone::Ok => s.fg(oi::BLUISH_GREEN),
                Tone::Warn => s.fg(oi::YELLOW),
                Tone::Bad => s.fg(oi::VERMILLION_LIGHT).add_modifier(bold),
                Tone::Accent => s.fg(oi::SKY_BLUE).add_modifier(bold),
                Tone::Moving => s.fg(BLACK).bg(oi::ORANGE).add_modifier(bold),
            },
            ThemeKind::Light => match tone {
                Tone::Normal => s,
                Tone::Dim => s.fg(GREY_ON_LIGHT),
                Tone::Strong => s.add_modifier(bold),
                Tone::Ok => s.fg(oi::BLUISH_GREEN_DARK),
                Tone::Warn => s.fg(oi::REDDISH_PURPLE_DARK),
                Tone::Bad => s.fg(oi::VERMILLION_DARK).add_modifier(bold),
                Tone::Accent => s.fg(oi::BLUE).add_modifier(bold),
                Tone::Moving => s.fg(BLACK).bg(oi::ORANGE).add_modifier(bold),
            },
            // Every style names its background, so no pair depends on the terminal's colours.
            ThemeKind::HighContrast => {
                let s = s.bg(BLACK);
                match tone {
                    Tone::Normal => s.fg(WHITE),
                    Tone::Dim => s.fg(GREY_HIGH),
                    Tone::Strong => s.fg(WHITE).add_modifier(bold),
                    Tone::Ok => s.fg(oi::SKY_BLUE),
                    Tone::Warn => s.fg(oi::YELLOW),
                    Tone::Bad => s.fg(oi::VERMILLION_PALE).add_modifier(bold),
                    Tone::Accent => s.fg(WHITE).add_modifier(bold | Modifier::UNDERLINED),
                    Tone::Moving => s.fg(BLACK).bg(oi::YELLOW).add_modifier(bold),
                }
            }
        }
    }

    /// The border of a panel, highlighted when it has focus. Block titles are drawn in this
    /// style too, so an unfocused border is a readable grey, never DIM (which would wash the
    /// titles out).
    pub fn border(self, focused: bool) -> Style {
        let s = Style::default();
        match (self.kind, focused) {
            (ThemeKind::NoColor, true) => s.add_modifier(Modifier::BOLD),
            (ThemeKind::NoColor, false) => s,
            (ThemeKind::Dark, true) => s.fg(oi::SKY_BLUE),
            (ThemeKind::Dark, false) => s.fg(GREY_ON_DARK),
            (ThemeKind::Light, true) => s.fg(oi::BLUE),
            (ThemeKind::Light, false) => s.fg(GREY_ON_LIGHT),
            (ThemeKind::HighContrast, true) => s.fg(oi::YELLOW).bg(BLACK),
            (ThemeKind::HighContrast, false) => s.fg(GREY_HIGH).bg(BLACK),
        }
    }

    /// The selected row of a focused list.
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}

/// A colour as 8-bit RGB, where it has a fixed value (the terminal decides `Reset` and the
/// indexed colours).
pub fn rgb(c: Color) -> Option<(u8, u8, u8)> {
    match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Black => Some((0, 0, 0)),
        Color::White => Some((0xFF, 0xFF, 0xFF)),
        _ => None,
    }
}

/// WCAG 2 relative luminance of an sRGB colour.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG 2 contrast ratio of two colours (1 to 21), where both have fixed values.
pub fn contrast_ratio(a: Color, b: Color) -> Option<f64> {
    let (la, lb) = (luminance(rgb(a)?), luminance(rgb(b)?));
    let (hi, lo) = if la >= lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

/// The `--theme` / `REWRAP_THEME` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ThemeChoice {
    /// The terminal's own background, light or dark (asked; dark when it does not answer)
    Auto,
    /// Okabe–Ito colours for a dark background
    Dark,
    /// Okabe–Ito colours, darkened, for a light background
    Light,
    /// White and bright colours on black, every pair at least 7:1
    HighContrast,
}

/// The valid values, as error messages list them.
pub const THEME_VALUES: &str = "auto, dark, light, high-contrast";

/// The environment variable that picks a theme when `--theme` is not given.
pub const THEME_ENV: &str = "REWRAP_THEME";

impl ThemeChoice {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "dark" => Some(Self::Dark),
            "light" => Some(Self::Light),
            "high-contrast" => Some(Self::HighContrast),
            _ => None,
        }
    }

    pub fn kind(self) -> Option<ThemeKind> {
        match self {
            Self::Auto => None,
            Self::Dark => Some(ThemeKind::Dark),
            Self::Light => Some(ThemeKind::Light),
            Self::HighContrast => Some(ThemeKind::HighContrast),
        }
    }
}

/// The theme to use, or: ask the terminal for its background.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    Use(ThemeKind),
    Detect,
}

/// Which theme: `--theme` wins; then `REWRAP_THEME` (an invalid value is an error, even when
/// it would not matter); then `NO_COLOR` (non-empty: no colours); then `auto`.
///
/// An explicit theme (the flag, or the variable naming one) wins over `NO_COLOR`, as
/// no-color.org asks of per-program settings; `auto` from either still yields to `NO_COLOR`
/// unless given as the flag.
pub fn resolve(
    flag: Option<ThemeChoice>,
    env: Option<&OsStr>,
    no_color: Option<&OsStr>,
) -> Result<Resolved, String> {
    if let Some(choice) = flag {
        return Ok(choice.kind().map_or(Resolved::Detect, Resolved::Use));
    }
    let from_env = match env.filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => match v.to_str().and_then(ThemeChoice::parse) {
            Some(c) => Some(c),
            None => {
                return Err(format!(
                    "invalid {THEME_ENV} value '{}' (valid: {THEME_VALUES})",
                    v.to_string_lossy()
                ));
            }
        },
    };
    if let Some(kind) = from_env.and_then(ThemeChoice::kind) {
        return Ok(Resolved::Use(kind));
    }
    if no_color.is_some_and(|v| !v.is_empty()) {
        return Ok(Resolved::Use(ThemeKind::NoColor));
    }
    Ok(Resolved::Detect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_ratio_matches_wcag_reference_values() {
        let r = |a, b| contrast_ratio(a, b).unwrap();
        assert!((r(BLACK, WHITE) - 21.0).abs() < 1e-9);
        assert!((r(WHITE, WHITE) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1.
        assert!((r(Color::Rgb(0x76, 0x76, 0x76), WHITE) - 4.54).abs() < 0.01);
        assert_eq!(contrast_ratio(Color::Reset, WHITE), None);
        assert_eq!(contrast_ratio(Color::DarkGray, WHITE), None);
    }
}
