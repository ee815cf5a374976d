//! Recordings anyone can replay: asciicast v2 files (a JSON header line, then one
//! `[time, "o", data]` line per frame and a `[time, "m", "step N: id"]` marker per step, so
//! `asciinema play` and the web player can stop at each step).
//!
//! `rewrap record` renders a scenario headless, paced like a presenter stepping through it
//! (each stretch animated, a pause to read each step, questions shown then revealed): the same
//! scenario, seed, size and theme give a byte-identical file, because nothing in it comes from
//! the wall clock. `rewrap play --record` records a live session the same way, timed by the
//! wall clock (a `Follower` of the live view).

use std::fmt::Write as _;
use std::io;

use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use crate::app::{App, FRAME, Msg};
use crate::ui;

/// Seconds a recording holds on each step (and on a question, before and after it is revealed)
/// so the narration can be read.
pub const HOLD: f64 = 4.0;

/// The bytes a frame writes, shared between the backend and the recording.
#[derive(Clone, Default)]
struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An asciicast v2 file being written in memory.
pub struct Cast {
    terminal: Terminal<CrosstermBackend<Sink>>,
    sink: Sink,
    text: String,
    /// The time of the last event written (events never go back in time).
    last: f64,
}

impl Cast {
    /// A recording of a `width`×`height` screen titled `title`.
    pub fn new(width: u16, height: u16, title: &str) -> io::Result<Self> {
        let sink = Sink::default();
        let backend = CrosstermBackend::new(sink.clone());
        let terminal = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
            },
        )?;
        let header = serde_json::json!({
            "version": 2,
            "width": width,
            "height": height,
            "title": title,
            "env": { "TERM": "xterm-256color" },
        });
        let mut text = header.to_string();
        text.push('\n');
        let mut cast = Self {
            terminal,
            sink,
            text,
            last: 0.0,
        };
        // Clear the player's screen and hide its cursor, as the live view does.
        cast.output(0.0, "\u{1b}[?25l\u{1b}[2J\u{1b}[H");
        Ok(cast)
    }

    fn output(&mut self, t: f64, data: &str) {
        if data.is_empty() {
            return;
        }
        let t = t.max(self.last);
        self.last = t;
        let data = serde_json::Value::String(data.to_string()).to_string();
        let _ = writeln!(self.text, "[{t:.6}, \"o\", {data}]");
    }

    /// Draw `app` at time `t` (seconds): only what changed since the last frame is written.
    pub fn frame(&mut self, t: f64, app: &App) -> io::Result<()> {
        self.terminal.draw(|f| ui::render(f, app))?;
        let bytes = std::mem::take(&mut *self.sink.0.borrow_mut());
        // A frame where nothing moved writes only style resets: leave it out.
        if draws_something(&bytes) {
            self.output(t, &String::from_utf8_lossy(&bytes));
        }
        Ok(())
    }

    /// The screen changed size at `t`: a resize event (asciicast v2 `"r"`), then the next
    /// frame is drawn whole at the new size.
    pub fn resize(&mut self, t: f64, width: u16, height: u16) -> io::Result<()> {
        let t = t.max(self.last);
        self.last = t;
        let _ = writeln!(self.text, "[{t:.6}, \"r\", \"{width}x{height}\"]");
        self.terminal.resize(Rect::new(0, 0, width, height))
    }

    /// A marker the players stop at.
    pub fn marker(&mut self, t: f64, label: &str) {
        let t = t.max(self.last);
        self.last = t;
        let label = serde_json::Value::String(label.to_string()).to_string();
        let _ = writeln!(self.text, "[{t:.6}, \"m\", {label}]");
    }

    /// The file's text.
    pub fn finish(self) -> String {
        self.text
    }

    /// The text written since the last call (the first call has the header): a live
    /// recording writes it to its file as it goes.
    pub fn take_text(&mut self) -> String {
        std::mem::take(&mut self.text)
    }
}

/// Does this output place anything on the screen (a cursor move `ESC [ row ; col H`)?
fn draws_something(bytes: &[u8]) -> bool {
    bytes.windows(2).enumerate().any(|(i, w)| {
        w == b"\x1b[" && {
            let rest = &bytes[i + 2..];
            let n = rest
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';')
                .count();
            n > 0 && rest.get(n) == Some(&b'H')
        }
    })
}

/// The marker label for the step the app has reached: `step 5: the-switch` (its id, or else
/// what it does).
pub fn step_label(app: &App) -> Option<String> {
    // A question open on screen is its step's moment (the marker lands on the question, not
    // on the answer).
    let ix = match app.question() {
        Some(q) => q.step,
        None => app.runner().steps_started().checked_sub(1)?,
    };
    let step = app.scenario().steps.get(ix)?;
    let name = step.id.clone().unwrap_or_else(|| step.action.describe());
    Some(format!("step {}: {name}", step.number))
}

/// Did the app ask to quit? (A headless recording performs no other effect: saving is a
/// key press, and nobody presses keys here.)
fn quits(effects: &[crate::app::Effect]) -> bool {
    effects.contains(&crate::app::Effect::Quit)
}

/// Record `app` headless, stepping through every step as a presenter would: each stretch
/// animated at the frame rate, a hold on each step, questions (present mode) shown, then
/// revealed. Deterministic: the times are counted in frames, never read from a clock.
pub fn record(mut app: App, width: u16, height: u16) -> io::Result<String> {
    let mut cast = Cast::new(width, height, &app.scenario().title)?;
    let frame = FRAME.as_secs_f64();
    let mut t = 0.0;
    cast.frame(t, &app)?;
    t += HOLD;
    let steps = app.scenario().steps.len();
    // Bounded: every step is reached with at most a stretch, a question and its reveal. The
    // app's effects are honoured: a Quit ends the recording (none is expected headless).
    'steps: for _ in 0..steps {
        // The hold on the screen before is the clicker's guard running down (a revealed
        // answer ignores "next" for a moment).
        while app.guarded() {
            app.update(Msg::Tick);
        }
        if quits(&app.update(Msg::NextStep)) {
            break;
        }
        let mut frames = 0;
        while app.stretch().is_some() && frames < 10_000 {
            if quits(&app.update(Msg::Tick)) {
                break 'steps;
            }
            t += frame;
            frames += 1;
            cast.frame(t, &app)?;
        }
        cast.frame(t, &app)?;
        if let Some(label) = step_label(&app) {
            cast.marker(t, &label);
        }
        if app.question().is_some_and(|q| !q.revealed) {
            // The room reads the question (the guard runs down meanwhile); then the reveal
            // runs the step.
            t += HOLD;
            while app.guarded() {
                app.update(Msg::Tick);
            }
            if quits(&app.update(Msg::NextStep)) {
                break;
            }
            cast.frame(t, &app)?;
        }
        // (An answered question closes with the next press, which also starts the next
        // stretch.)
        t += HOLD;
    }
    // The last screen, held.
    cast.frame(t, &app)?;
    Ok(cast.finish())
}

/// Records a live session (`rewrap play --record FILE`): every frame the live view draws,
/// rendered again at the same size and timed by the wall clock, with a marker per step
/// reached; written when the session ends.
pub struct LiveRecorder {
    path: std::path::PathBuf,
    /// Made when the recorder is (before the live view starts) and written as the session
    /// goes, so a kill or a crash keeps what was recorded.
    file: std::fs::File,
    cast: Option<Cast>,
    size: (u16, u16),
    title: String,
    started: std::time::Instant,
    steps_marked: usize,
    /// What went wrong, for the caller to report once the terminal is restored.
    error: std::rc::Rc<std::cell::RefCell<Option<String>>>,
}

impl LiveRecorder {
    /// Record to a new file at `path`: like `w`, never over an existing file or through a
    /// link (an error says so before the live view starts).
    pub fn create(path: std::path::PathBuf, title: &str) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                let shown = crate::scenario::printable(&path.display().to_string(), false);
                if e.kind() == io::ErrorKind::AlreadyExists {
                    io::Error::other(format!(
                        "{shown}: already exists (a recording never overwrites a file or writes through a link): choose another name"
                    ))
                } else {
                    io::Error::other(format!("{shown}: {e}"))
                }
            })?;
        Ok(Self {
            path,
            file,
            cast: None,
            size: (0, 0),
            title: title.to_string(),
            started: std::time::Instant::now(),
            steps_marked: 0,
            error: std::rc::Rc::default(),
        })
    }

    /// Where an error writing the recording is kept (read it after the session).
    pub fn error_handle(&self) -> std::rc::Rc<std::cell::RefCell<Option<String>>> {
        self.error.clone()
    }

    fn fail(&self, e: impl std::fmt::Display) {
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(e.to_string());
        }
    }

    /// Write what the cast has added since the last write.
    fn write_out(&mut self) {
        use std::io::Write as _;
        let Some(cast) = self.cast.as_mut() else {
            return;
        };
        let text = cast.take_text();
        if !text.is_empty()
            && let Err(e) = self.file.write_all(text.as_bytes())
        {
            let shown = crate::scenario::printable(&self.path.display().to_string(), false);
            self.fail(format!("{shown}: {e}"));
        }
    }
}

impl crate::tui::Follower for LiveRecorder {
    fn changed(&mut self, app: &App, size: ratatui::layout::Size) {
        let t = self.started.elapsed().as_secs_f64();
        // The header has the first size; a later resize is recorded as a resize event and
        // the frames after it are drawn at the new size.
        if let Some(cast) = self.cast.as_mut()
            && (size.width, size.height) != self.size
        {
            self.size = (size.width, size.height);
            if let Err(e) = cast.resize(t, size.width, size.height) {
                *self.error.borrow_mut() = Some(e.to_string());
            }
        }
        if self.cast.is_none() {
            self.size = (size.width, size.height);
            match Cast::new(size.width, size.height, &self.title) {
                Ok(c) => self.cast = Some(c),
                Err(e) => {
                    self.fail(e);
                    return;
                }
            }
        }
        let Some(cast) = self.cast.as_mut() else {
            return;
        };
        if let Err(e) = cast.frame(t, app) {
            *self.error.borrow_mut() = Some(e.to_string());
        }
        let reached = app.runner().steps_started();
        if reached > self.steps_marked {
            self.steps_marked = reached;
            if let Some(label) = step_label(app) {
                cast.marker(t, &label);
            }
        }
        self.write_out();
    }

    fn ended(&mut self, _app: &App) {
        self.write_out();
        if let Err(e) = self.file.sync_all() {
            self.fail(format!("{}: {e}", self.path.display()));
        }
    }
}
