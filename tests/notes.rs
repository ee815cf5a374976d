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
    a.present = true;
    let mut b = Broadcaster::listen(path.clone(), "builtin:change-table-key", "t")
        .unwrap()
        .expect("nobody else listens");
    // A second presenter on the same socket stands aside.
    assert!(
        Broadcaster::listen(path.clone(), "builtin:change-table-key", "t")
            .unwrap()
            .is_none()
    );
    let question = |a: &App| a.question.as_ref().filter(|q| !q.revealed).map(|q| q.step);
    let room = |a: &App| {
        a.question
            .as_ref()
            .filter(|q| !q.revealed)
            .and_then(|q| q.room)
    };
    let mut f = Follower::connect(&path);
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    f.pump();
    assert_eq!(f.notes().runner.steps_started(), 0);

    for _ in 0..3 {
        a.update(Msg::NextStep);
        // Every frame of the stretch, as the live view draws it.
        while a.stretch.is_some() {
            a.update(Msg::Tick);
            b.sync(a.session().inputs(), question(&a), room(&a), None);
        }
        b.sync(a.session().inputs(), question(&a), room(&a), None);
    }
    f.pump();
    assert_eq!(f.notes().question, Some(2), "step 3's question is open");
    assert_eq!(f.notes().room, None);
    assert_eq!(f.notes().runner.steps_started(), 2);
    // The room answers: the notes show its pick next to the right answer.
    a.update(Msg::Pick(1));
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    f.pump();
    assert_eq!(f.notes().room, Some(1));
    assert_eq!(log(&f.notes().runner), log(a.runner()));

    // A late follower gets everything at once.
    let mut late = Follower::connect(&path);
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    late.pump();
    assert_eq!(log(&late.notes().runner), log(a.runner()));

    // Reveal, then a live action, then back.
    a.update(Msg::NextStep);
    a.update(Msg::DisableKey);
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    f.pump();
    assert_eq!(f.notes().question, None);
    assert_eq!(f.notes().live_actions(), 1);
    assert_eq!(log(&f.notes().runner), log(a.runner()));
    a.update(Msg::PrevStep);
    a.update(Msg::PrevStep);
    b.sync(a.session().inputs(), question(&a), room(&a), None);
    f.pump();
    assert_eq!(f.notes().runner.steps_started(), a.runner().steps_started());
    assert_eq!(log(&f.notes().runner), log(a.runner()));

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
