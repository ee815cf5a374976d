//! Draw a scenario at a step to stdout (a development aid): `cargo run --example peek -- NAME STEP W H [keys]`.
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rewrap::app::{App, Msg};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("change-table-key", String::as_str);
    let step: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let w: u16 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(120);
    let h: u16 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(36);
    let keys = args.get(5).cloned().unwrap_or_default();
    let mut app = App::new(Arc::new(rewrap::scenario::load(name).unwrap())).unwrap();
    app.set_theme(rewrap::ui::theme::ThemeKind::NoColor);
    for _ in 0..step {
        app.update(Msg::NextStep);
        app.settle();
    }
    for k in keys.chars() {
        let ev = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(k),
            crossterm::event::KeyModifiers::NONE,
        );
        app.handle_key(&ev);
    }
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| rewrap::ui::render(f, &app)).unwrap();
    let buf = t.backend().buffer();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        println!("{line}");
    }
}
