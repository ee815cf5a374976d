//! Speaker notes on a second terminal: `rewrap notes` follows a presenting
//! `rewrap play … --present` on the same machine.
//!
//! The presenter sends its inputs, not its screens: the session's input list (clock advances,
//! steps run, questions opened, live actions), as newline-delimited JSON over a Unix socket
//! that only this user on this machine can reach (`socket_path`). Each message says how much
//! of the list the follower keeps and what comes after (`Sync { keep, then }`), so step-back is
//! a shorter list and a late follower gets the whole list at once. The notes follow the inputs
//! with a `Session` of their own (`Session::follow`); the engine is exact, so both agree. Several notes windows may follow
//! one presenter; a malformed message is ignored and listed in the notes view.

use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::runner::Runner;
use crate::scenario::Scenario;
use crate::session::{Input, Session};

/// The protocol's version; a message with another is ignored (and said so).
pub const VERSION: u32 = 1;

/// Where the presenter listens: `$REWRAP_NOTES_SOCKET`, else `$XDG_RUNTIME_DIR/rewrap-notes.sock`,
/// else `/tmp/rewrap-UID/notes.sock` in a directory only this user can enter.
pub fn socket_path() -> io::Result<PathBuf> {
    socket_path_from(
        std::env::var_os("REWRAP_NOTES_SOCKET"),
        std::env::var_os("XDG_RUNTIME_DIR"),
    )
}

/// `socket_path` with the two variables given (tests pass their own).
pub fn socket_path_from(
    notes_socket: Option<std::ffi::OsString>,
    runtime_dir: Option<std::ffi::OsString>,
) -> io::Result<PathBuf> {
    if let Some(p) = notes_socket {
        return Ok(PathBuf::from(p));
    }
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
    if let Some(dir) = runtime_dir.filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        // Another user who can write there could swap the socket: refuse such a directory.
        let meta = std::fs::metadata(&dir)?;
        if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o022 != 0 {
            return Err(io::Error::other(format!(
                "XDG_RUNTIME_DIR {} is not a directory of this user that only it can write",
                crate::scenario::printable(&dir.display().to_string(), false)
            )));
        }
        return Ok(dir.join("rewrap-notes.sock"));
    }
    let dir = std::env::temp_dir().join(format!("rewrap-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
        return Err(io::Error::other(format!(
            "{} is not a private directory of this user",
            dir.display()
        )));
    }
    Ok(dir.join("notes.sock"))
}

/// What travels from the presenter to the notes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// Sent first to each follower: which scenario (a built-in name or an absolute path).
    Hello {
        v: u32,
        scenario: String,
        title: String,
    },
    /// Keep the first `keep` inputs, then apply `then`. `talk_ms`: the presenter's time since
    /// it started; `question`: the step (index) whose question is open, unrevealed.
    Sync {
        v: u32,
        keep: usize,
        then: Vec<Input>,
        talk_ms: u64,
        question: Option<usize>,
        /// The room's pick for the open question (1-based), once the presenter entered it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<u8>,
        /// The table (index in the world, restored tables included) the presenter's panels
        /// follow; absent from older presenters, whose notes follow the first table.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        focus: Option<usize>,
    },
    /// The presenter quit.
    Bye { v: u32 },
}

/// The presenter's side: a `Follower` of the live view that sends every change of the input
/// list to every connected notes window. New windows are taken in by a thread blocked in
/// `accept` (so a paused presenter needs no wake-ups) and given the whole list at once.
pub struct Broadcaster {
    path: PathBuf,
    shared: Arc<std::sync::Mutex<Shared>>,
}

/// At most this many notes windows follow one presenter; more are turned away.
pub const MAX_CLIENTS: usize = 32;
/// A notes window that has not read this much of what was sent to it is dropped (it
/// reconnects and is given everything again): a stuck reader never holds up the live view.
pub const MAX_QUEUED_BYTES: usize = 4 << 20;
/// The longest line a notes window takes from a presenter, and the most inputs it follows.
pub const MAX_LINE_BYTES: usize = 16 << 20;
pub const MAX_INPUTS: usize = 200_000;

/// One notes window: its stream (non-blocking) and what is still to be written to it.
struct Client {
    stream: UnixStream,
    queued: std::collections::VecDeque<u8>,
}

impl Client {
    /// Write as much of the queue as the socket takes now, never waiting. False when the
    /// window is gone or has fallen too far behind (drop it).
    fn flush(&mut self) -> bool {
        while !self.queued.is_empty() {
            let (front, _) = self.queued.as_slices();
            match self.stream.write(front) {
                Ok(0) => return false,
                Ok(n) => {
                    self.queued.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        self.queued.len() <= MAX_QUEUED_BYTES
    }

    fn send(&mut self, text: &str) -> bool {
        self.queued.extend(text.as_bytes());
        self.flush()
    }
}

/// What the accepting thread and the live view share.
struct Shared {
    clients: Vec<Client>,
    hello: String,
    sent: Vec<Input>,
    question: Option<usize>,
    room: Option<u8>,
    focus: Option<usize>,
    started: Instant,
    closing: bool,
}

impl Shared {
    fn line(msg: &Message) -> String {
        let mut s = serde_json::to_string(msg).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Queue for every client and write what each takes now; a client that is gone or too far
    /// behind is dropped (it reconnects). Never waits on a client.
    fn send_all(&mut self, text: &str) {
        self.clients.retain_mut(|c| c.send(text));
    }

    /// Write what is still queued, without waiting.
    fn flush_all(&mut self) {
        self.clients.retain_mut(Client::flush);
    }

    fn talk_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A new notes window: the hello, then everything so far (queued, never waited on).
    fn welcome(&mut self, stream: UnixStream) {
        if self.clients.len() >= MAX_CLIENTS || stream.set_nonblocking(true).is_err() {
            return;
        }
        let all = Self::line(&Message::Sync {
            v: VERSION,
            keep: 0,
            then: self.sent.clone(),
            talk_ms: self.talk_ms(),
            question: self.question,
            room: self.room,
            focus: self.focus,
        });
        let mut client = Client {
            stream,
            queued: std::collections::VecDeque::new(),
        };
        let hello = format!("{}\n", self.hello);
        if client.send(&hello) && client.send(&all) {
            self.clients.push(client);
        }
    }
}

/// Is there a socket at `path` (not a file, a link or a FIFO someone else put there)?
fn is_socket(path: &std::path::Path) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

impl Broadcaster {
    /// Listen at `path` for notes windows. `Ok(None)` when another presenter already listens
    /// there (its notes keep following it).
    pub fn listen(path: PathBuf, spec: &str, title: &str) -> io::Result<Option<Self>> {
        if UnixStream::connect(&path).is_ok() {
            return Ok(None);
        }
        match std::fs::symlink_metadata(&path) {
            // A socket nobody answers on is left over from a presenter that died.
            Ok(_) if is_socket(&path) => std::fs::remove_file(&path)?,
            // Anything else there is someone's: never removed.
            Ok(_) => {
                return Err(io::Error::other(format!(
                    "{} exists and is not a socket: not replacing it (set REWRAP_NOTES_SOCKET to another path)",
                    crate::scenario::printable(&path.display().to_string(), false)
                )));
            }
            Err(_) => {}
        }
        let listener = UnixListener::bind(&path)?;
        // Only this user may connect, whatever the umask.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let hello = serde_json::to_string(&Message::Hello {
            v: VERSION,
            scenario: spec.to_string(),
            title: title.to_string(),
        })
        .map_err(io::Error::other)?;
        let shared = Arc::new(std::sync::Mutex::new(Shared {
            clients: Vec::new(),
            hello,
            sent: Vec::new(),
            question: None,
            room: None,
            focus: None,
            started: Instant::now(),
            closing: false,
        }));
        let for_thread = shared.clone();
        std::thread::Builder::new()
            .name("notes-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut state) = for_thread.lock() else {
                        return;
                    };
                    if state.closing {
                        return;
                    }
                    if let Ok(stream) = stream {
                        state.welcome(stream);
                    } else {
                        // Out of file descriptors (or another passing failure): wait before
                        // trying again instead of spinning on a core.
                        drop(state);
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                }
            })?;
        Ok(Some(Self { path, shared }))
    }

    /// Send what changed in the input list since the last call to every notes window, with
    /// the open question, the room's pick and the table the panels follow.
    pub fn sync(
        &mut self,
        inputs: &[Input],
        question: Option<usize>,
        room: Option<u8>,
        focus: Option<usize>,
    ) {
        let Ok(mut state) = self.shared.lock() else {
            return;
        };
        // Changes happen at the end of the list (a step, an advance that replaces the last
        // advance, a step-back that shortens it): the common part is a prefix.
        state.flush_all();
        let mut keep = state.sent.len().min(inputs.len());
        while keep > 0 && state.sent[keep - 1] != inputs[keep - 1] {
            keep -= 1;
        }
        if keep == state.sent.len()
            && keep == inputs.len()
            && question == state.question
            && room == state.room
            && focus == state.focus
        {
            return;
        }
        let msg = Shared::line(&Message::Sync {
            v: VERSION,
            keep,
            then: inputs[keep..].to_vec(),
            talk_ms: state.talk_ms(),
            question,
            room,
            focus,
        });
        state.send_all(&msg);
        state.sent.truncate(keep);
        state.sent.extend_from_slice(&inputs[keep..]);
        state.question = question;
        state.room = room;
        state.focus = focus;
    }

    /// How many notes windows follow now.
    pub fn followers(&self) -> usize {
        self.shared.lock().map_or(0, |s| s.clients.len())
    }

    /// Tell everyone the presenter quit, stop taking new windows, and remove the socket.
    pub fn bye(&mut self) {
        if let Ok(mut state) = self.shared.lock() {
            let msg = Shared::line(&Message::Bye { v: VERSION });
            state.send_all(&msg);
            state.clients.clear();
            state.closing = true;
        }
        // Wake the accepting thread so it sees `closing` and ends.
        let _ = UnixStream::connect(&self.path);
        // Ours was a socket; whatever replaced it since is not removed.
        if is_socket(&self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Drop for Broadcaster {
    fn drop(&mut self) {
        self.bye();
    }
}

/// The notes' side: the presenter's session, followed from its inputs (one `Session`, the
/// same history and replay every front end uses).
pub struct Notes {
    pub scenario: Arc<Scenario>,
    session: Session,
    /// Each question's answer in the script (step index, the choice that holds, 1-based).
    pub answers: Vec<(usize, Option<usize>)>,
    /// The step whose question the presenter has open.
    pub question: Option<usize>,
    /// The room's pick for it (1-based), once the presenter entered it.
    pub room: Option<u8>,
    /// The table the presenter's panels follow (from its sync; the first table if it did not
    /// say).
    focus: Option<usize>,
    /// The presenter's talk time at the last message, and when it came.
    pub talk: (u64, Instant),
    /// Messages that were ignored, newest last (at most 5).
    pub ignored: Vec<String>,
}

impl Notes {
    /// Start following `scenario`: its questions answered by running the script once.
    pub fn new(scenario: Arc<Scenario>) -> Result<Self, String> {
        let session = Session::new(scenario.clone()).map_err(|e| e.to_string())?;
        let mut script = session.runner().clone();
        script.run_to_end();
        let answers = scenario
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.ask.is_some())
            .map(|(i, _)| {
                let held = script.answer_of(i);
                let one = held.and_then(|h| {
                    let yes: Vec<usize> = (1..=h.len()).filter(|k| h[k - 1]).collect();
                    (yes.len() == 1).then(|| yes[0])
                });
                (i, one)
            })
            .collect();
        Ok(Self {
            scenario,
            session,
            answers,
            question: None,
            room: None,
            focus: None,
            talk: (0, Instant::now()),
            ignored: Vec::new(),
        })
    }

    /// Live actions the presenter took (the script's answers may no longer hold after them).
    pub fn live_actions(&self) -> usize {
        self.session.live_actions()
    }

    /// The newest `limit` live actions, oldest first, in the scenario's words
    /// (`disable-key kms-1`): what the presenter changed off-script.
    pub fn recent_live(&self, limit: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .session
            .inputs()
            .iter()
            .rev()
            .filter_map(|i| match i {
                Input::Live(cmd) | Input::LiveOn(cmd, _) => Some(cmd.describe()),
                _ => None,
            })
            .take(limit)
            .collect();
        out.reverse();
        out
    }

    /// The presenter's world as it is now.
    pub fn runner(&self) -> &Runner {
        self.session.runner()
    }

    fn ignore(&mut self, why: String) {
        self.ignored.push(why);
        if self.ignored.len() > 5 {
            self.ignored.remove(0);
        }
    }

    /// Apply a sync: keep `keep` inputs, then `then` (inputs that do not fit this scenario
    /// are listed as ignored, not applied).
    pub fn sync(&mut self, keep: usize, then: Vec<Input>) {
        let held = self.session.inputs().len();
        if keep.saturating_add(then.len()) > MAX_INPUTS {
            self.ignore(format!(
                "a sync past {MAX_INPUTS} inputs (more than a talk makes)"
            ));
            return;
        }
        if keep > held {
            self.ignore(format!(
                "a sync keeping {keep} inputs of {held} (missed messages?)"
            ));
            return;
        }
        let (fit, misfit): (Vec<Input>, Vec<Input>) =
            then.into_iter().partition(|i| i.fits(&self.scenario));
        for input in misfit {
            self.ignore(format!(
                "an input that does not fit this scenario: {input:?}"
            ));
        }
        self.session.follow(keep, fit);
    }

    /// Take one line from the presenter: a `Sync` is applied, anything else malformed is
    /// listed as ignored. `Hello` and `Bye` are for the caller (returned).
    pub fn take(&mut self, line: &str) -> Option<Message> {
        match serde_json::from_str::<Message>(line) {
            Ok(Message::Sync {
                v,
                keep,
                then,
                talk_ms,
                question,
                room,
                focus,
            }) if v == VERSION => {
                self.sync(keep, then);
                self.focus = focus;
                self.talk = (talk_ms, Instant::now());
                self.question = question.filter(|q| *q < self.scenario.steps.len());
                self.room = room.filter(|_| self.question.is_some());
                None
            }
            Ok(m @ (Message::Hello { v, .. } | Message::Bye { v })) if v == VERSION => Some(m),
            Ok(_) => {
                self.ignore("a message of another protocol version".into());
                None
            }
            Err(e) => {
                let shown: String = line.chars().take(40).collect();
                self.ignore(format!("not a presenter message ({e}): {shown:?}"));
                None
            }
        }
    }

    /// The clock the presenter's screen shows: the most urgent countdown of the table its
    /// panels follow (the read model's one computation).
    pub fn clock(&self) -> crate::engine::view::UrgentClock {
        // The presenter's word is checked: a table this world does not have is the first.
        let tables = self.session.runner().engine().tables().len();
        let tx = crate::engine::view::TableIx(self.focus.filter(|f| *f < tables).unwrap_or(0));
        self.session.runner().engine().urgent_clock(tx)
    }

    /// The presenter's talk time now.
    pub fn talk_time(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.talk.0) + self.talk.1.elapsed()
    }
}
