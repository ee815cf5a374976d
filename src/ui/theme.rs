//! Colours and emphasis, with a monochrome variant for `NO_COLOR`.

use ratatui::style::{Color, Modifier, Style};

pub use crate::app::tone::Tone;

/// A style per tone; built once per frame from `no_color`.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub no_color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        Self { no_color }
    }

    pub fn style(self, tone: Tone) -> Style {
        let s = Style::default();
        if self.no_color {
            return match tone {
                Tone::Normal | Tone::Ok => s,
                Tone::Dim => s.add_modifier(Modifier::DIM),
                Tone::Strong | Tone::Accent => s.add_modifier(Modifier::BOLD),
                Tone::Warn => s.add_modifier(Modifier::UNDERLINED),
                Tone::Bad => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Tone::Moving => s.add_modifier(Modifier::REVERSED),
            };
        }
        match tone {
            Tone::Normal => s,
            Tone::Dim => s.fg(Color::DarkGray),
            Tone::Strong => s.add_modifier(Modifier::BOLD),
            Tone::Ok => s.fg(Color::Green),
            Tone::Warn => s.fg(Color::Yellow),
            Tone::Bad => s.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            Tone::Accent => s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Tone::Moving => s
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        }
    }

    /// The border of a panel, highlighted when it has focus.
    pub fn border(self, focused: bool) -> Style {
        match (focused, self.no_color) {
            (true, true) => Style::default().add_modifier(Modifier::BOLD),
            (true, false) => Style::default().fg(Color::Cyan),
            (false, _) => Style::default().add_modifier(Modifier::DIM),
        }
    }

    /// The selected row of a focused list.
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}
