//! Speaker notes follow the presenter's inputs over a local socket: steps, a question opened,
//! a step back, a live action; a late follower catches up; malformed lines are ignored.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use rewrap::app::{App, Msg};
use rewrap::notes::{Broadcaster, Message, Notes};
use rewrap::scenario;

fn log(r: &rewrap::runner::Runner) -> Vec<String> {
    r.engine()
        .log()
        .iter()
        .map(rewrap::report::json_line)
        .collect()
}

struct Follower {
    reader: BufReader<UnixStream>,
    notes: Option<Notes>,
}

impl Follower {
    fn connect(path: &std::path::Path) -> Self {
        let s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        Self {
            reader: BufReader::new(s),
            notes: None,
        }
    }

    /// Read every line that has arrived.
    fn pump(&mut self) {
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            match &mut self.notes {
                Some(n) => {
                    n.take(line.trim_end());
                }
                None => {
                    if let Ok(Message::Hello { scenario, .. }) = serde_json::from_str(&line) {
                        let s = scenario::load(&scenario).unwrap();
                        self.notes = Some(Notes::new(Arc::new(s)).unwrap());
                    }
                }
            }
        }
    }

    fn notes(&self) -> &Notes {
        self.notes.as_ref().expect("a hello came")
    }
}

#[test]
fn notes_follow_steps_questions_step_back_and_live_actions() {
    let path = std::env::temp_dir().join(format!("rewrap-notes-{}.sock", std::process::id()));
    let mut a = App::new(Arc::new(scenario::load("change-table-key").unwrap())).unwrap();
    a.set_present(true);
    let mut b = Broadcaster::listen(path.clone(), "builtin:change-table-key", "t")
        .unwrap()
        .expect("nobody else listens");
    // A second presenter on the same socket stands aside.
    assert!(
        Broadcaster::listen(path.clone(), "builtin:change-table-key", "t")
            .unwrap()
            .is_none()
    );
    let question = |a: &App| {
        a.question()
            .as_ref()
            .filter(|q| !q.revealed)
            .map(|q| q.step)
    };
    let room = |a: &App| {
        a.question()
            .as_ref()
            .filter(|q| !q.revealed)
            .and_then(|q| q.room)
    };
    let mut f = Follower::connect(&path);
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    f.pump();
    assert_eq!(f.notes().runner().steps_started(), 0);

    for _ in 0..3 {
        a.update(Msg::NextStep);
        // Every frame of the stretch, as the live view draws it.
        while a.stretch().is_some() {
            a.update(Msg::Tick);
            b.sync(a.session().inputs(), question(&a), room(&a), None);
        }
        b.sync(a.session().inputs(), question(&a), room(&a), None);
    }
    f.pump();
    assert_eq!(f.notes().question, Some(2), "step 3's question is open");
    assert_eq!(f.notes().room, None);
    assert_eq!(f.notes().runner().steps_started(), 2);
    // The room answers: the notes show its pick next to the right answer.
    a.update(Msg::Pick(1));
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    f.pump();
    assert_eq!(f.notes().room, Some(1));
    assert_eq!(log(f.notes().runner()), log(a.runner()));

    // A late follower gets everything at once.
    let mut late = Follower::connect(&path);
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    late.pump();
    assert_eq!(log(late.notes().runner()), log(a.runner()));

    // Reveal (once the clicker's guard has run down), then a live action, then back.
    while a.guarded() {
        a.update(Msg::Tick);
    }
    a.update(Msg::NextStep);
    a.update(Msg::DisableKey);
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    f.pump();
    assert_eq!(f.notes().question, None);
    assert_eq!(f.notes().live_actions(), 1);
    assert_eq!(log(f.notes().runner()), log(a.runner()));
    a.update(Msg::PrevStep);
    a.update(Msg::PrevStep);
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    f.pump();
    assert_eq!(
        f.notes().runner().steps_started(),
        a.runner().steps_started()
    );
    assert_eq!(log(f.notes().runner()), log(a.runner()));

    // Garbage is listed, never fatal.
    let n = f.notes.as_mut().unwrap();
    assert!(n.take("{\"type\":\"sync\",\"v\":1}").is_none());
    assert!(n.take("not json at all").is_none());
    assert!(
        n.take(
            "{\"type\":\"sync\",\"v\":99,\"keep\":0,\"then\":[],\"talk_ms\":0,\"question\":null}"
        )
        .is_none()
    );
    assert_eq!(n.ignored.len(), 3, "{:?}", n.ignored);

    b.bye();
    assert!(
        !path.exists(),
        "the socket is removed when the presenter quits"
    );
}

/// The notes follow the presenter with a `Session` of their own: whatever the presenter does
/// (steps, the clock running, going back, live actions), the follower fed "keep N, then these"
/// has the same world, byte for byte.
#[test]
fn a_following_session_matches_the_presenter_after_every_move() {
    use rewrap::engine::Command;
    use rewrap::session::Session;
    let s = Arc::new(scenario::load("change-table-key").unwrap());
    let mut presenter = Session::new(s.clone()).unwrap();
    let mut follower = Session::new(s).unwrap();
    let mut sent: Vec<rewrap::session::Input> = Vec::new();
    let moves = [0, 0, 1, 0, 2, 2, 3, 0, 1, 1, 0, 4, 0, 0, 3, 1, 0, 0, 2, 0];
    for (n, m) in moves.into_iter().enumerate() {
        match m {
            0 => {
                presenter.next_step();
            }
            1 => presenter.back(),
            2 => {
                let t = presenter.runner().engine().now();
                presenter.advance_to(t + rewrap::engine::time::SimDuration::from_mins(3));
            }
            3 => {
                presenter.live(
                    &Command::DisableKey {
                        key: "kms-1".into(),
                    },
                    &rewrap::runner::LiveAt::default(),
                );
            }
            _ => {
                presenter.live(
                    &Command::EnableKey {
                        key: "kms-1".into(),
                    },
                    &rewrap::runner::LiveAt::default(),
                );
            }
        }
        let inputs = presenter.inputs();
        let mut keep = sent.len().min(inputs.len());
        while keep > 0 && sent[keep - 1] != inputs[keep - 1] {
            keep -= 1;
        }
        assert!(follower.follow(keep, inputs[keep..].to_vec()));
        sent = inputs.to_vec();
        assert_eq!(
            log(follower.runner()),
            log(presenter.runner()),
            "after move {n} ({m})"
        );
        assert_eq!(follower.inputs(), presenter.inputs());
    }
    assert!(
        !follower.follow(sent.len() + 1, Vec::new()),
        "a gap is refused"
    );
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rewrap-sock-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The presenter only ever removes a stale *socket*: a file, a link or a FIFO at the socket
/// path is left alone and said so; its own socket is made 0600.
#[test]
fn the_presenter_never_removes_what_is_not_its_socket() {
    let dir = scratch("owner");
    let file = dir.join("notes.txt");
    std::fs::write(&file, "my notes").unwrap();
    let err = Broadcaster::listen(file.clone(), "builtin:change-table-key", "t")
        .err()
        .expect("a regular file is refused");
    assert!(err.to_string().contains("not a socket"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "my notes");
    let link = dir.join("link.sock");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    assert!(Broadcaster::listen(link.clone(), "builtin:change-table-key", "t").is_err());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "my notes");
    assert!(std::fs::symlink_metadata(&link).is_ok());
    // A stale socket (its presenter died) is replaced; the new one is this user's only.
    let path = dir.join("notes.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let b = Broadcaster::listen(path.clone(), "builtin:change-table-key", "t")
        .unwrap()
        .expect("the stale socket is replaced");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    drop(b);
    assert!(
        !path.exists(),
        "its socket is removed when the presenter quits"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A notes window that stops reading never holds up the presenter: writes do not wait, and
/// once it is too far behind it is dropped (it may reconnect and be given everything).
#[test]
fn a_window_that_stops_reading_is_dropped_not_waited_on() {
    let dir = scratch("stuck");
    let path = dir.join("notes.sock");
    let mut b = Broadcaster::listen(path.clone(), "builtin:change-table-key", "t")
        .unwrap()
        .unwrap();
    let stuck: Vec<UnixStream> = (0..3)
        .map(|_| UnixStream::connect(&path).unwrap())
        .collect();
    let start = std::time::Instant::now();
    while b.followers() < 3 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(b.followers(), 3);
    // Each sync replaces the whole list (keep 0): several MiB queued for readers that never
    // read. Every call returns; past the queue bound the stuck windows are gone.
    let inputs: Vec<rewrap::session::Input> = (0..20_000)
        .map(|i| rewrap::session::Input::AdvanceTo(rewrap::engine::time::SimTime(i)))
        .collect();
    let mut rounds = 0;
    while b.followers() > 0 && rounds < 200 {
        let n = if rounds % 2 == 0 { inputs.len() } else { 1 };
        b.sync(&inputs[..n], None, None, None);
        rounds += 1;
    }
    assert_eq!(b.followers(), 0, "after {rounds} syncs");
    drop(stuck);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The notes take no more inputs than a talk makes, so a fake presenter cannot grow them
/// without bound.
#[test]
fn the_notes_bound_what_a_presenter_can_make_them_hold() {
    let mut n = Notes::new(Arc::new(scenario::load("change-table-key").unwrap())).unwrap();
    let too_many = rewrap::notes::MAX_INPUTS + 1;
    let line = format!(
        r#"{{"type":"sync","v":1,"keep":0,"then":[{}],"talk_ms":0,"question":null}}"#,
        vec![r#"{"advance_to":5}"#; too_many].join(",")
    );
    assert!(n.take(&line).is_none());
    assert!(n.runner().engine().now().0 < 5, "nothing applied");
}

/// An `XDG_RUNTIME_DIR` another user can write is refused (they could swap the socket); a
/// private one is used.
#[test]
fn a_runtime_dir_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = scratch("xdg");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = rewrap::notes::socket_path_from(None, Some(dir.clone().into_os_string()))
        .expect_err("a world-writable directory is refused");
    assert!(err.to_string().contains("XDG_RUNTIME_DIR"), "{err}");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let ok = rewrap::notes::socket_path_from(None, Some(dir.clone().into_os_string())).unwrap();
    assert_eq!(ok, dir.join("rewrap-notes.sock"));
    let _ = std::fs::remove_dir_all(&dir);
}
