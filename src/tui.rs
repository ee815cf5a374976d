//! The terminal: set-up, restore on every path (quit, error, panic, Ctrl-C, signals,
//! suspend), and the event loop: one tokio task, `select!` over a frame interval, crossterm's
//! event stream and the process signals.

use std::io::{self, Write as _};

use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, terminal};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use signal_hook::consts::signal::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGSTOP, SIGTERM, SIGTSTP};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{MissedTickBehavior, interval};

use crate::app::tone::ThemeKind;
use crate::app::{App, Effect, FRAME, Msg};
use crate::ui;

/// How long `detect_theme` waits for the terminal's answer. Terminals that cannot tell their
/// colours are recognised sooner (they answer the device-attributes query that follows).
pub const DETECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(150);

/// The terminal's background, light or dark, asked with OSC 10/11 (terminal-colorsaurus) in
/// raw mode before the TUI takes the screen, so the answer is read, never shown. A terminal
/// that does not answer within `DETECT_TIMEOUT`, does not know (`TERM=dumb`, GNU screen), or any
/// error or panic on the way gives `Dark`.
pub fn detect_theme() -> ThemeKind {
    let mut options = terminal_colorsaurus::QueryOptions::default();
    options.timeout = DETECT_TIMEOUT;
    let asked = std::panic::catch_unwind(|| terminal_colorsaurus::theme_mode(options));
    match asked {
        Ok(Ok(terminal_colorsaurus::ThemeMode::Light)) => ThemeKind::Light,
        _ => ThemeKind::Dark,
    }
}

/// How the live view ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The user quit.
    Quit,
    /// A signal ended it (SIGTERM, SIGHUP, SIGINT, SIGQUIT); the terminal was restored first.
    Signal(i32),
}

impl Ending {
    /// The process exit code: 0, or 128 + the signal number as shells report it.
    pub fn exit_code(self) -> i32 {
        match self {
            Ending::Quit => 0,
            Ending::Signal(n) => 128 + n,
        }
    }
}

/// Input from outside the terminal: a message as if typed, or the scenario file reloaded
/// (or failing to load, with the diagnostic).
pub enum External {
    Msg(Msg),
    Reload(Result<std::sync::Arc<crate::scenario::Scenario>, String>),
}

/// Something that follows the live view (the speaker-notes broadcaster, the recorder): told
/// after every frame drawn, with the state and the screen's size, and once at the end.
pub trait Follower {
    fn changed(&mut self, app: &App, size: ratatui::layout::Size);
    fn ended(&mut self, _app: &App) {}
}

/// The speaker notes follow the presenter's session: its inputs, the open question and the
/// room's pick, and the table the panels follow. (The glue lives here, with the other front-end
/// wiring: `notes` knows sessions, not the TUI's model.)
impl Follower for crate::notes::Broadcaster {
    fn changed(&mut self, app: &App, _size: ratatui::layout::Size) {
        let open = app.question().filter(|q| !q.revealed);
        self.sync(
            app.session().inputs(),
            open.map(|q| q.step),
            open.and_then(|q| q.room),
            Some(app.table_focus().0),
        );
    }

    fn ended(&mut self, _app: &App) {
        self.bye();
    }
}

/// The speaker notes' broadcaster, started the first time present mode is on (`--present`,
/// `P` or F5): the notes follow a presenter however present mode was entered. What went wrong
/// starting it (another presenter already followed, no socket) is kept for after the terminal
/// is restored.
pub struct NotesWhenPresenting {
    spec: String,
    title: String,
    inner: Option<crate::notes::Broadcaster>,
    tried: bool,
    problem: std::rc::Rc<std::cell::RefCell<Option<String>>>,
}

impl NotesWhenPresenting {
    /// `spec` names the scenario so a notes window can load it too (`builtin:NAME` or a path).
    pub fn new(spec: String, title: String) -> Self {
        Self {
            spec,
            title,
            inner: None,
            tried: false,
            problem: std::rc::Rc::default(),
        }
    }

    /// Where a problem starting the broadcaster is left, for the caller to print.
    pub fn problem_handle(&self) -> std::rc::Rc<std::cell::RefCell<Option<String>>> {
        self.problem.clone()
    }
}

impl Follower for NotesWhenPresenting {
    fn changed(&mut self, app: &App, size: ratatui::layout::Size) {
        if !self.tried && app.present() {
            self.tried = true;
            match crate::notes::socket_path()
                .and_then(|p| crate::notes::Broadcaster::listen(p, &self.spec, &self.title))
            {
                Ok(Some(b)) => self.inner = Some(b),
                Ok(None) => {
                    *self.problem.borrow_mut() = Some(
                        "another presenter is already followed by the speaker notes; this one is not"
                            .into(),
                    );
                }
                Err(e) => *self.problem.borrow_mut() = Some(format!("speaker notes are off: {e}")),
            }
        }
        if let Some(b) = &mut self.inner {
            b.changed(app, size);
        }
    }

    fn ended(&mut self, app: &App) {
        if let Some(b) = &mut self.inner {
            b.ended(app);
        }
    }
}

/// Run the TUI until the user quits or a signal ends it. The terminal is restored however
/// this returns; a panic restores it too (ratatui's panic hook).
pub fn run(app: App) -> io::Result<Ending> {
    run_with(app, None, Vec::new())
}

/// `run`, with a second source of input besides the keyboard (messages sent on `extra` are
/// applied exactly like key presses: a scripted driver) and followers told of every change.
pub fn run_with(
    app: App,
    extra: Option<UnboundedReceiver<External>>,
    followers: Vec<Box<dyn Follower>>,
) -> io::Result<Ending> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .enable_io()
        .build()?;
    let mut terminal = ratatui::init();
    let result = runtime.block_on(event_loop(&mut terminal, app, extra, followers));
    ratatui::restore();
    let _ = execute!(io::stdout(), cursor::Show);
    result
}

/// The signals that end the live view, and the ones that suspend and resume it.
struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
    tstp: tokio::signal::unix::Signal,
    cont: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        let on = |n: i32| signal(SignalKind::from_raw(n));
        Ok(Self {
            term: on(SIGTERM)?,
            hup: on(SIGHUP)?,
            int: on(SIGINT)?,
            quit: on(SIGQUIT)?,
            tstp: on(SIGTSTP)?,
            cont: on(SIGCONT)?,
        })
    }
}

/// Leave the screen as the shell had it, stop the process (job control), and take the screen
/// back when the shell continues it.
pub(crate) fn suspend<B: Backend<Error = io::Error>>(terminal: &mut Terminal<B>) -> io::Result<()> {
    ratatui::restore();
    let _ = execute!(io::stdout(), cursor::Show);
    let _ = io::stdout().flush();
    // SIGSTOP cannot be caught: the process stops here until `fg` sends SIGCONT.
    signal_hook::low_level::raise(SIGSTOP)?;
    resume(terminal)
}

/// Raw mode, the alternate screen and a hidden cursor again, and a full redraw.
pub(crate) fn resume<B: Backend<Error = io::Error>>(terminal: &mut Terminal<B>) -> io::Result<()> {
    // After a stop we did not see (kill -STOP), the shell put the terminal back in cooked
    // mode while crossterm still believes it raw (and `enable_raw_mode` would do nothing):
    // leave raw mode first so the next call sets it for real.
    let _ = terminal::disable_raw_mode();
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
    // Not `Terminal::clear`: it asks the terminal for the cursor position, and the answer
    // would race the event stream that is reading stdin. `resize` clears the screen and
    // forgets what was drawn, so the next frame redraws every cell.
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

/// Whether the loop goes on after the effects were performed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Performed {
    Continue,
    Quit,
}

/// Carry out what `App::update` asked for: write files, quit. The model never does I/O itself.
pub fn perform(app: &mut App, effects: Vec<Effect>) -> Performed {
    for effect in effects {
        match effect {
            Effect::Quit => return Performed::Quit,
            Effect::Save {
                dir,
                stem,
                text,
                exact,
            } => {
                let result = if exact {
                    crate::save::write_new_named(&dir, &stem, &text)
                } else {
                    crate::save::write_new_file(&dir, &stem, &text)
                };
                app.saved(result, &stem);
            }
        }
    }
    Performed::Continue
}

/// The next message from the extra source; pending forever when there is none (or it closed).
async fn next_extra(extra: &mut Option<UnboundedReceiver<External>>) -> Option<External> {
    if let Some(rx) = extra {
        if let Some(msg) = rx.recv().await {
            return Some(msg);
        }
        *extra = None;
    }
    std::future::pending().await
}

fn is_ctrl_z(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('z' | 'Z'))
}

/// The loop: frames, keyboard, the extra input source, signals. It draws on any ratatui
/// backend that writes to this process's terminal.
async fn event_loop<B: Backend<Error = io::Error>>(
    terminal: &mut Terminal<B>,
    app: App,
    extra: Option<UnboundedReceiver<External>>,
    mut followers: Vec<Box<dyn Follower>>,
) -> io::Result<Ending> {
    let mut app = app;
    let ending = drive(terminal, &mut app, extra, &mut followers).await;
    for f in &mut followers {
        f.ended(&app);
    }
    ending
}

/// Draw a frame and tell the followers.
fn draw<B: Backend<Error = io::Error>>(
    terminal: &mut Terminal<B>,
    app: &App,
    followers: &mut [Box<dyn Follower>],
) -> io::Result<()> {
    let frame = terminal.draw(|f| ui::render(f, app))?;
    let size = ratatui::layout::Size::new(frame.area.width, frame.area.height);
    for f in followers {
        f.changed(app, size);
    }
    Ok(())
}

async fn drive<B: Backend<Error = io::Error>>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut extra: Option<UnboundedReceiver<External>>,
    followers: &mut [Box<dyn Follower>],
) -> io::Result<Ending> {
    let mut signals = Signals::new()?;
    let mut events = EventStream::new();
    let mut ticks = interval(FRAME);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    draw(terminal, app, followers)?;
    loop {
        let mut dirty = false;
        tokio::select! {
            // Paused with nothing counting down, the frame clock is not polled at all: the
            // process sleeps until a key, a resize or a signal (no wake-ups while paused).
            _ = ticks.tick(), if app.is_animating() => {
                let effects = app.update(Msg::Tick);
                if perform(app, effects) == Performed::Quit {
                    return Ok(Ending::Quit);
                }
                dirty = true;
            }
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    if is_ctrl_z(&key) {
                        suspend(terminal)?;
                    } else {
                        if app.announce_key(&key) {
                            draw(terminal, app, followers)?;
                        }
                        let effects = app.handle_key(&key);
                        if perform(app, effects) == Performed::Quit {
                            return Ok(Ending::Quit);
                        }
                    }
                    dirty = true;
                }
                Some(Ok(Event::Resize(_, _))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(Ending::Quit),
            },
            Some(external) = next_extra(&mut extra) => {
                match external {
                    External::Msg(msg) => {
                        if app.announce(msg) {
                            draw(terminal, app, followers)?;
                        }
                        let effects = app.update(msg);
                        if perform(app, effects) == Performed::Quit {
                            return Ok(Ending::Quit);
                        }
                    }
                    External::Reload(Ok(scenario)) => {
                        if let Err(e) = app.reload(scenario) {
                            app.reload_failed(e.to_string());
                        }
                    }
                    External::Reload(Err(why)) => app.reload_failed(why),
                }
                dirty = true;
            }
            _ = signals.term.recv() => return Ok(Ending::Signal(SIGTERM)),
            _ = signals.hup.recv() => return Ok(Ending::Signal(SIGHUP)),
            _ = signals.int.recv() => return Ok(Ending::Signal(SIGINT)),
            _ = signals.quit.recv() => return Ok(Ending::Signal(SIGQUIT)),
            _ = signals.tstp.recv() => {
                suspend(terminal)?;
                dirty = true;
            }
            _ = signals.cont.recv() => {
                // Continued after a stop we did not see coming (kill -STOP): take the screen
                // back and draw everything again.
                resume(terminal)?;
                dirty = true;
            }
        }
        if dirty {
            draw(terminal, app, followers)?;
        }
    }
}
