//! Helpers the TUI test files share: a scenario's app without colours, a frame drawn on
//! ratatui's `TestBackend`, its text, and stepping with the animation finished at once.
#![allow(dead_code)]

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use rewrap::app::{App, Msg};
use rewrap::scenario;
use rewrap::ui;

/// A shipped scenario's app, drawn without colours.
pub fn app(name: &str) -> App {
    let mut a = App::new(Arc::new(scenario::load(name).unwrap())).unwrap();
    a.set_theme(ui::theme::ThemeKind::NoColor);
    a
}

/// One frame at `w`×`h`.
pub fn draw(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, app)).unwrap();
    t.backend().buffer().clone()
}

/// The frame's text, a line per row.
pub fn text(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

/// The text of one frame at `w`×`h`.
pub fn screen(app: &App, w: u16, h: u16) -> String {
    text(&draw(app, w, h))
}

/// Let the clicker's guard run down (a question or its reveal ignores "next" for a moment).
pub fn wait_guard(app: &mut App) {
    while app.guarded() {
        app.update(Msg::Tick);
    }
}

/// Press next (after the guard has run down) and let the animated stretch finish at once.
pub fn next(app: &mut App) {
    wait_guard(app);
    app.update(Msg::NextStep);
    app.settle();
}

/// `n` presses of next, each finished at once.
pub fn steps(app: &mut App, n: usize) {
    for _ in 0..n {
        next(app);
    }
}
