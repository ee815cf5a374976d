//! The terminal: set-up, restore on every path (quit, error, panic, Ctrl-C), and the event
//! loop: one tokio task, `select!` over a frame interval and crossterm's event stream.

use std::io;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::time::{MissedTickBehavior, interval};

use crate::app::{App, FRAME, Msg};
use crate::ui;

/// Run the TUI until the user quits. The terminal is restored however this returns; a panic
/// restores it too (ratatui's panic hook).
pub fn run(app: App) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let mut terminal = ratatui::init();
    let result = runtime.block_on(event_loop(&mut terminal, app));
    ratatui::restore();
    result
}

async fn event_loop(terminal: &mut ratatui::DefaultTerminal, mut app: App) -> io::Result<()> {
    let mut events = EventStream::new();
    let mut ticks = interval(FRAME);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    terminal.draw(|f| ui::render(f, &app))?;
    loop {
        let mut dirty = false;
        tokio::select! {
            _ = ticks.tick() => {
                // Paused and idle: no work and no redraw.
                if app.is_animating() {
                    app.update(Msg::Tick);
                    dirty = true;
                }
            }
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    app.handle_key(&key);
                    dirty = true;
                }
                Some(Ok(Event::Resize(_, _))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
        }
        if app.quit {
            return Ok(());
        }
        if dirty {
            terminal.draw(|f| ui::render(f, &app))?;
        }
    }
}
