//! Present mode and questions: the clicker's key table, a question that stops before its step
//! and is revealed, the room's pick, `--at`, and `check` / `run` on questions.

use std::process::Command;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

mod common;

use common::{app, next, screen};
use rewrap::app::keys::lookup_present;
use rewrap::app::{App, Effect, Msg, Prompt};
use rewrap::scenario::{self, At};
use rewrap::ui;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn the_clicker_keys_step_blank_and_never_quit() {
    for code in [
        KeyCode::PageDown,
        KeyCode::Right,
        KeyCode::Char(' '),
        KeyCode::Enter,
    ] {
        assert_eq!(
            lookup_present(&key(code), false, false),
            Some(Msg::NextStep),
            "{code:?}"
        );
    }
    for code in [KeyCode::PageUp, KeyCode::Left] {
        assert_eq!(
            lookup_present(&key(code), false, false),
            Some(Msg::PrevStep),
            "{code:?}"
        );
    }
    for code in [KeyCode::Char('b'), KeyCode::Char('.')] {
        assert_eq!(
            lookup_present(&key(code), false, false),
            Some(Msg::Blank),
            "{code:?}"
        );
    }
    for code in [KeyCode::Esc, KeyCode::F(5)] {
        assert_eq!(
            lookup_present(&key(code), false, false),
            Some(Msg::CloseOverlays),
            "{code:?}"
        );
    }
    // The room's answer, only while a question is open.
    assert_eq!(
        lookup_present(&key(KeyCode::Char('2')), true, false),
        Some(Msg::Pick(2))
    );
    assert_ne!(
        lookup_present(&key(KeyCode::Char('2')), false, false),
        Some(Msg::Pick(2))
    );
}

#[test]
fn quitting_while_presenting_asks_first_and_esc_never_quits() {
    let mut a = app("change-table-key");
    a.set_present(true);
    assert!(a.handle_key(&key(KeyCode::Esc)).is_empty());
    assert!(a.handle_key(&key(KeyCode::Char('q'))).is_empty());
    assert_eq!(a.prompt(), Some(&Prompt::ConfirmQuit));
    assert!(screen(&a, 120, 36).contains("Quit the presentation?"));
    // Anything but yes stays.
    assert!(a.handle_key(&key(KeyCode::Char('x'))).is_empty());
    assert_eq!(a.prompt(), None);
    a.handle_key(&key(KeyCode::Char('q')));
    assert_eq!(a.handle_key(&key(KeyCode::Char('y'))), vec![Effect::Quit]);
}

#[test]
fn blank_hides_everything_and_any_key_brings_it_back() {
    let mut a = app("change-table-key");
    a.set_present(true);
    a.handle_key(&key(KeyCode::Char('b')));
    assert!(screen(&a, 120, 36).trim().is_empty());
    let steps_before = a.runner().steps_started();
    a.handle_key(&key(KeyCode::PageDown));
    assert!(!a.blank());
    assert_eq!(
        a.runner().steps_started(),
        steps_before,
        "the key only unblanked"
    );
    assert!(screen(&a, 120, 36).contains("step 0/12"));
}

#[test]
fn present_mode_shows_the_room_what_it_needs() {
    let mut a = app("change-table-key");
    a.set_present(true);
    next(&mut a);
    next(&mut a);
    let s = screen(&a, 120, 36);
    assert!(s.contains("The app reads an item"), "{s}");
    assert!(s.contains("Table Orders"), "{s}");
    assert!(!s.contains("acting on"), "no sandbox chrome:\n{s}");
    assert!(!s.contains("spc play"), "no key hints:\n{s}");
    assert!(!s.contains("Event log"), "{s}");
}

/// A question stops before its step: the step has not run and its note is not shown; the
/// room answers, the presenter reveals (the step runs, the choice that held is marked), and
/// the next press goes on.
#[test]
fn a_question_stops_before_its_step_and_reveals_the_answer() {
    let mut a = app("change-table-key");
    a.set_present(true);
    next(&mut a);
    next(&mut a);
    next(&mut a); // step 3 asks
    let q = a.question().cloned().expect("the question is open");
    assert!(!q.revealed);
    assert_eq!(a.runner().steps_started(), 2, "step 3 has not run");
    let s = screen(&a, 120, 36);
    assert!(s.contains("Does this read call KMS?"), "{s}");
    assert!(s.contains("1  Yes: every read calls KMS Decrypt"), "{s}");
    assert!(
        !s.contains("no KMS call"),
        "step 3's note gives the answer:\n{s}"
    );
    a.handle_key(&key(KeyCode::Char('1')));
    assert_eq!(a.question().as_ref().unwrap().room, Some(1));
    common::wait_guard(&mut a);
    a.handle_key(&key(KeyCode::PageDown)); // reveal
    assert!(a.question().as_ref().unwrap().revealed);
    assert_eq!(a.runner().steps_started(), 3);
    assert_eq!(a.runner().answer_of(2), Some(&[false, true][..]));
    // First the demonstration: the request's path through the diagram, from the item up to
    // the cached table key, for about 2 s; the answer box waits.
    let s = screen(&a, 120, 36);
    assert!(s.contains("item-"), "{s}");
    assert!(!s.contains("✓ 2"), "the answer covers the path:\n{s}");
    for _ in 0..rewrap::app::PATH_FRAMES - 5 {
        a.update(Msg::Tick);
    }
    let s = screen(&a, 120, 36);
    assert!(
        s.contains("needs T1: cached, no KMS call ✓"),
        "the path ends at the cache:\n{s}"
    );
    for _ in 0..5 {
        a.update(Msg::Tick);
    }
    let s = screen(&a, 120, 36);
    assert!(s.contains("✓ 2"), "{s}");
    assert!(s.contains("✗ 1"), "{s}");
    assert!(s.contains("◀ the room"), "{s}");
    assert!(
        s.contains("READ OK · T1 from the cache · 0 KMS calls"),
        "{s}"
    );
    // The proof stays in view: the cache panel's app row is not covered.
    assert!(s.contains("app#1"), "{s}");
    common::wait_guard(&mut a);
    a.handle_key(&key(KeyCode::PageDown)); // go on
    assert!(a.question().is_none());
    a.settle();
    assert_eq!(a.runner().steps_started(), 4);
    // Back from the question stage returns to the step before it, exactly.
    let mut b = app("change-table-key");
    b.set_present(true);
    for _ in 0..3 {
        next(&mut b);
    }
    b.update(Msg::PrevStep);
    assert!(b.question().is_none());
    assert_eq!(b.runner().steps_started(), 2);
}

#[test]
fn at_opens_as_if_stepped_there() {
    let s = scenario::load("change-table-key").unwrap();
    assert_eq!(s.resolve_at("after-deletion"), Ok(At::Step(11)));
    assert_eq!(s.resolve_at("5"), Ok(At::Step(4)));
    assert!(matches!(s.resolve_at("7d 1h"), Ok(At::Time(_))));
    let err = s.resolve_at("nowhere").unwrap_err();
    assert!(err.contains("cached-read"), "{err}");
    assert!(s.resolve_at("99").unwrap_err().contains("12 steps"));

    let mut jumped = app("change-table-key");
    jumped.go_to(At::Step(5));
    let mut stepped = app("change-table-key");
    for _ in 0..6 {
        next(&mut stepped);
    }
    assert_eq!(jumped.runner().steps_started(), 6);
    let log = |a: &App| {
        a.runner()
            .engine()
            .log()
            .iter()
            .map(rewrap::report::json_line)
            .collect::<Vec<_>>()
    };
    assert_eq!(log(&jumped), log(&stepped));
    // Going back works as after stepping.
    jumped.update(Msg::PrevStep);
    assert_eq!(jumped.runner().steps_started(), 5);
}

#[test]
fn a_bad_at_is_an_error_before_the_terminal_is_touched() {
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args(["play", "change-table-key", "--at", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--at \"nowhere\""), "{err}");
    // A time past the span a scenario may cover is refused at once, not run towards.
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args(["play", "change-table-key", "--at", "213503982334d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("36500-day span"), "{err}");
}

#[test]
fn check_fails_a_question_where_not_exactly_one_choice_holds() {
    let dir = std::env::temp_dir().join(format!("rewrap-ask-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("wrong.toml");
    std::fs::write(
        &file,
        r#"title = "A wrong question"
[[key]]
id = "kms-1"
[table]
key = "kms-1"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "read"
principal = "app"
id = "first-read"
ask = { prompt = "Does it work?", choices = [
  { text = "Yes", expect = { outcome = "ok" } },
  { text = "Also yes", expect = { table = "active" } },
] }
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("wrong.toml:13"), "{text}");
    assert!(text.contains("exactly one choice"), "{text}");
    assert!(text.contains("choices 1, 2 all held"), "{text}");
    // `run` prints the question, then the answer.
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .arg("run")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let ask = text.find("asks: Does it work?").expect("the question");
    let answer = text.find("answer: choices 1, 2").expect("the answer");
    assert!(ask < answer, "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ids_are_unique_and_questions_have_choices() {
    let base = r#"title = "t"
[[key]]
id = "kms-1"
[table]
key = "kms-1"
[[principal]]
name = "app"
"#;
    let dup = format!(
        "{base}[[step]]\nat = \"1m\"\ndo = \"wait\"\nid = \"a\"\n[[step]]\nat = \"2m\"\ndo = \"wait\"\nid = \"a\"\n"
    );
    let e = scenario::parse("dup.toml", &dup).unwrap_err().to_string();
    assert!(e.contains("used twice") && e.contains("dup.toml:15"), "{e}");
    let one = format!(
        "{base}[[step]]\nat = \"1m\"\ndo = \"read\"\nprincipal = \"app\"\nask = {{ prompt = \"?\", choices = [{{ text = \"x\", expect = {{ outcome = \"ok\" }} }}] }}\n"
    );
    let e = scenario::parse("one.toml", &one).unwrap_err().to_string();
    assert!(e.contains("2 to 9 choices"), "{e}");
    let bad = format!("{base}[[step]]\nat = \"1m\"\ndo = \"wait\"\nid = \"Not A Name\"\n");
    let e = scenario::parse("bad.toml", &bad).unwrap_err().to_string();
    assert!(e.contains("is not a name"), "{e}");
}

/// Every shipped scenario asks at least one question (three in the default one), and every
/// question has exactly one choice that holds.
#[test]
fn the_shipped_scenarios_ask_the_room() {
    for b in scenario::BUILTINS {
        let s = scenario::load(b.name).unwrap();
        let n = s.steps.iter().filter(|st| st.ask.is_some()).count();
        assert!(n >= 1, "{} asks nothing", b.name);
        if b.name == "change-table-key" {
            assert!(n >= 3, "the default scenario asks {n}");
        }
    }
}

/// Saving the scenario file reloads it at the same step (by id when the step has one); a file
/// that no longer loads leaves the last good version running with the diagnostic on screen.
#[test]
fn a_reload_returns_to_the_same_step_by_id() {
    let text = scenario::BUILTINS
        .iter()
        .find(|b| b.name == "change-table-key")
        .unwrap()
        .text;
    let mut a = App::new(Arc::new(scenario::parse("s.toml", text).unwrap())).unwrap();
    a.go_to(At::Step(5)); // step 6, id "mid-rewrap-read"
    // The edited file has a new step before it: the same id is now step 7.
    let edited = text.replacen(
        "[[step]]\nat = \"+2m\"",
        "[[step]]\nat = \"1m 30s\"\ndo = \"wait\"\nnote = \"A new step.\"\n\n[[step]]\nat = \"+1m 30s\"",
        1,
    );
    let s = scenario::parse("s.toml", &edited).unwrap();
    assert_eq!(s.steps[6].id.as_deref(), Some("mid-rewrap-read"));
    a.reload(Arc::new(s)).unwrap();
    assert_eq!(a.runner().steps_started(), 7);
    let screen = screen(&a, 120, 36);
    assert!(screen.contains("reloaded: at step 7"), "{screen}");
    // A broken save: the overlay, and the model untouched.
    a.reload_failed("error: unclosed array\n  --> s.toml:120:12".into());
    let screen_text = self::screen(&a, 120, 36);
    assert!(screen_text.contains("does not load; the last good version runs on"));
    assert!(screen_text.contains("s.toml:120:12"));
    a.handle_key(&key(KeyCode::Esc));
    assert_eq!(*a.overlay(), rewrap::app::Overlay::None);
    assert_eq!(a.runner().steps_started(), 7);
}

/// The presenter's screen with a question open, for the README.
#[test]
fn snapshot_present_question() {
    let mut a = app("change-table-key");
    a.set_present(true);
    for _ in 0..3 {
        next(&mut a);
    }
    a.handle_key(&key(KeyCode::Char('1')));
    insta::assert_snapshot!(screen(&a, 120, 36));
}

/// The same question revealed, for the README: the answer over the hierarchy, the proof
/// (clock, status, cache timer) beside it.
#[test]
fn snapshot_present_reveal() {
    let mut a = app("change-table-key");
    a.set_present(true);
    for _ in 0..3 {
        next(&mut a);
    }
    a.handle_key(&key(KeyCode::Char('1')));
    next(&mut a);
    insta::assert_snapshot!(screen(&a, 120, 36));
}

/// The speaker-notes window following that presenter, for the README.
#[test]
fn snapshot_notes_window() {
    let mut a = app("change-table-key");
    a.set_present(true);
    for _ in 0..2 {
        next(&mut a);
    }
    let mut notes =
        rewrap::notes::Notes::new(Arc::new(scenario::load("change-table-key").unwrap())).unwrap();
    notes.sync(0, a.session().inputs().to_vec());
    let text = notes_screen(&notes);
    // The talk time runs on the wall clock: show it as 0:00 whatever it read.
    let text = match text.find("talk ") {
        Some(i) => {
            let end = text[i + 5..].find(' ').map_or(text.len(), |e| i + 5 + e);
            format!("{}talk 0:00{}", &text[..i], &text[end..])
        }
        None => text,
    };
    assert!(text.contains("NOW      step 2"), "{text}");
    assert!(text.contains("IT ASKS"), "{text}");
    insta::assert_snapshot!(text);
}

/// The notes window shows the room's pick next to the right answer while the question is open.
#[test]
fn the_notes_show_the_rooms_pick() {
    let s = Arc::new(scenario::load("change-table-key").unwrap());
    let mut notes = rewrap::notes::Notes::new(s).unwrap();
    let q = notes.answers[0].0;
    notes.question = Some(q);
    notes.room = Some(2);
    let text = notes_screen(&notes);
    assert!(text.contains("the room said 2"), "{text}");
}

/// The notes window following `notes`, drawn at 100x22 without colours.
fn notes_screen(notes: &rewrap::notes::Notes) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 22)).unwrap();
    t.draw(|f| {
        ui::notes::render(
            f,
            f.area(),
            &ui::notes::View::Following(notes),
            ui::theme::Theme::new(rewrap::ui::theme::ThemeKind::NoColor),
        );
    })
    .unwrap();
    let buf = t.backend().buffer();
    (0..22)
        .map(|y| {
            (0..100)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

/// Two presses 50 ms apart on a question (a double click) reveal the answer and keep it on
/// screen; a held key (a stream of presses) stops at the question and never passes it.
#[test]
fn the_clicker_is_safe_at_a_question() {
    let mut a = app("change-table-key");
    a.set_present(true);
    common::steps(&mut a, 3); // step 3 asks
    assert!(a.question().is_some_and(|q| !q.revealed));
    // Pressed at once, "next" is ignored: the room has not read the question yet.
    a.update(Msg::NextStep);
    assert!(
        a.question().is_some_and(|q| !q.revealed),
        "revealed too soon"
    );
    common::wait_guard(&mut a);
    // A double press: the first reveals, the second (50 ms later) keeps the reveal.
    a.update(Msg::NextStep);
    a.update(Msg::Tick);
    a.update(Msg::NextStep);
    assert!(
        a.question().is_some_and(|q| q.revealed),
        "the reveal went away"
    );
    assert_eq!(a.runner().steps_started(), 3);

    // A held key: presses every frame from step 0 stop at the first question for as long as
    // the key is held.
    let mut b = app("change-table-key");
    b.set_present(true);
    for _ in 0..600 {
        b.update(Msg::NextStep);
        b.update(Msg::Tick);
    }
    b.settle();
    assert!(
        b.question().is_some_and(|q| q.step == 2 && !q.revealed),
        "a held key passed the question: {:?} at step {}",
        b.question(),
        b.runner().steps_started()
    );
}

/// Presenting, the sandbox keys do nothing until `U` unlocks them; unlocked, the room's screen
/// shows a LIVE badge.
#[test]
fn sandbox_keys_do_nothing_in_present_mode_unless_unlocked() {
    let mut a = app("change-table-key");
    a.set_present(true);
    common::steps(&mut a, 2);
    let before = a.runner().engine().log().len();
    for c in ['d', 'x', 'G', 's', 'r', 'e', 'o', 'R'] {
        a.handle_key(&key(KeyCode::Char(c)));
        assert_eq!(a.prompt(), None, "{c} opened a prompt");
    }
    assert_eq!(a.live_actions(), 0);
    assert_eq!(a.runner().engine().log().len(), before, "a stray key acted");
    assert!(!screen(&a, 120, 36).contains("LIVE"));
    a.handle_key(&key(KeyCode::Char('U')));
    assert!(
        a.presenting()
            .is_some_and(rewrap::app::Presenting::unlocked)
    );
    a.handle_key(&key(KeyCode::Char('d')));
    assert_eq!(a.live_actions(), 1, "unlocked, d disables the selected key");
    let s = screen(&a, 120, 36);
    assert!(s.contains("LIVE"), "{s}");
    a.handle_key(&key(KeyCode::Char('U')));
    a.handle_key(&key(KeyCode::Char('e')));
    assert_eq!(a.live_actions(), 1, "locked again");
}

/// `--at` a question's step, presenting, opens with the question asked and unanswered.
#[test]
fn at_a_question_opens_it_unanswered() {
    let s = scenario::load("change-table-key").unwrap();
    let at = s.resolve_at("cached-read").unwrap();
    let mut a = app("change-table-key");
    a.set_present(true);
    a.go_to(at);
    let q = a.question().cloned().expect("the question is open");
    assert_eq!(q.step, 2);
    assert!(!q.revealed && q.room.is_none());
    assert_eq!(a.runner().steps_started(), 2, "the step has not run");
    assert!(screen(&a, 120, 36).contains("Does this read call KMS?"));
    // Not presenting, `--at` the same step runs it.
    let mut b = app("change-table-key");
    b.go_to(at);
    assert_eq!(b.runner().steps_started(), 3);
    assert!(b.question().is_none());
}

/// The room's stage does not move between clicks: in present mode at 100x30 and 120x36 the
/// hierarchy is a diagram at every step of the key-change story, kms-1's box left of kms-2's
/// and both in the same place throughout, and the retired T1 still drawn at the end.
#[test]
fn the_stage_is_stable_from_the_first_step_to_the_last() {
    for (w, h) in [(100, 30), (120, 36)] {
        let mut a = app("change-table-key");
        a.set_present(true);
        let mut place: Option<(usize, usize)> = None;
        let steps = a.scenario().steps.len();
        let mut last = String::new();
        while a.runner().steps_started() < steps {
            next(&mut a);
            if a.question().is_some_and(|q| !q.revealed) {
                next(&mut a); // reveal: the stage is back beside the answer
            }
            let s = screen(&a, w, h);
            // A key's box title: `┌ ◆ kms-1 ───` (any glyph), by its column in characters.
            let col = |name: &str| {
                let needle = format!(" {name} ─");
                s.lines()
                    .find_map(|l| l.find(&needle).map(|byte| l[..byte].chars().count()))
            };
            let (k1, k2) = (col("kms-1"), col("kms-2"));
            let (Some(k1), Some(k2)) = (k1, k2) else {
                panic!(
                    "{w}x{h} step {}: both keys drawn:\n{s}",
                    a.runner().steps_started()
                );
            };
            assert!(k1 < k2, "{w}x{h}: kms-1 left of kms-2:\n{s}");
            if let Some(p) = place {
                assert_eq!(
                    p,
                    (k1, k2),
                    "{w}x{h} step {}: a box moved:\n{s}",
                    a.runner().steps_started()
                );
            }
            place = Some((k1, k2));
            last = s;
        }
        assert!(
            last.contains("T1 table key"),
            "{w}x{h}: T1 drawn at the end:\n{last}"
        );
        assert!(last.contains("retired"), "{last}");
    }
}

/// The presenter's own lines (`say`, and `after` once a question is revealed), the strip of
/// steps with the questions, and the pace against `talk` are in the speaker notes, never on
/// the room's screen.
#[test]
fn the_notes_carry_what_the_presenter_says_and_the_pace() {
    use rewrap::session::Input;
    let s = Arc::new(scenario::load("change-table-key").unwrap());
    assert_eq!(
        s.talk.map(rewrap::engine::time::SimDuration::as_millis),
        Some(15 * 60 * 1_000)
    );
    let mut notes = rewrap::notes::Notes::new(s.clone()).unwrap();
    notes.sync(0, vec![Input::ThroughStep(0)]);
    let text = notes_screen(&notes);
    assert!(text.contains("SAY      Ask who has switched"), "{text}");
    assert!(text.contains("STEPS    ◉○?○○?○○○○○?"), "{text}");
    assert!(text.contains(" of 15:00 (on time)"), "{text}");
    // The room never sees `say`.
    let mut a = app("change-table-key");
    a.set_present(true);
    next(&mut a);
    assert!(!screen(&a, 120, 36).contains("Ask who has switched"));
    // Revealed, step 3's explanation is in the notes.
    notes.sync(1, vec![Input::ThroughStep(1), Input::ThroughStep(2)]);
    let text = notes_screen(&notes);
    assert!(text.contains("EXPLAIN  Point at the bar"), "{text}");
    assert!(text.contains("STEPS    ●●◉"), "{text}");
}

#[test]
fn say_after_and_talk_are_checked() {
    let base = "title = \"t\"\nseed = 1\n[[key]]\nid = \"k1\"\n[table]\nname = \"Tab\"\nkey = \"k1\"\ndeks = 1\nitems = 1\n[[principal]]\nname = \"app\"\nconnections = 1\n";
    let step = "[[step]]\nat = \"0s\"\ndo = \"read\"\nprincipal = \"app\"\n";
    let err = |text: &str| scenario::parse("f.toml", text).unwrap_err().to_string();
    let e = err(&format!("{base}{step}after = \"why\"\n"));
    assert!(
        e.contains("`after` needs a question") && e.contains("f.toml:17:9"),
        "{e}"
    );
    let e = err(&format!("{base}{step}say = \"  \"\n"));
    assert!(e.contains("`say` is empty"), "{e}");
    let e = err(&format!("{base}{step}say = \"{}\"\n", "x".repeat(2_001)));
    assert!(e.contains("`say` is too long"), "{e}");
    let e = err(&format!("talk = \"9h\"\n{base}{step}"));
    assert!(
        e.contains("`talk` = \"9h\" is out of range") && e.contains("f.toml:1:8"),
        "{e}"
    );
    let ok = scenario::parse(
        "f.toml",
        &format!("talk = \"20m\"\n{base}{step}say = \"Hello room\"\n"),
    )
    .unwrap();
    assert_eq!(ok.steps[0].say.as_deref(), Some("Hello room"));
}

/// Several tables under one key: the stage has a block per copy, each with its own chain and
/// clocks, so disabling the shared key visibly starts every table's clocks, each on its own.
#[test]
fn the_blast_radius_stage_shows_every_copy_and_its_own_clocks() {
    let mut a = app("shared-key-blast-radius");
    a.set_present(true);
    // Step 5: kms-shared disabled, Orders' read failed; Audit still holds a cached T1.
    for _ in 0..5 {
        next(&mut a);
    }
    for (w, h) in [(100, 30), (120, 36), (200, 60)] {
        let s = screen(&a, w, h);
        assert!(s.contains("Blast radius"), "{w}x{h}:\n{s}");
        for name in ["▶ Orders", "Audit", "Sessions"] {
            assert!(s.contains(name), "{w}x{h}: {name} missing:\n{s}");
        }
        assert!(
            s.matches("⊘ kms-shared Disabled → T1").count() == 2,
            "both tables under the shared key show it disabled ({w}x{h}):\n{s}"
        );
        assert!(s.contains("archived in 7d 00h 00m"), "{w}x{h}:\n{s}");
        assert!(
            s.contains("T1 cached 1m 00s · then ✗ Disabled"),
            "Audit's own clock runs ({w}x{h}):\n{s}"
        );
    }
    // A minute later Audit fails on its own clock and starts its own archive countdown.
    next(&mut a);
    common::wait_guard(&mut a);
    next(&mut a);
    let s = screen(&a, 120, 36);
    assert!(s.contains("archived in 6d 23h 59m"), "{s}");
    assert!(s.matches("archived in 7d 00h 00m").count() == 1, "{s}");
}

/// The read model lists every copy with the chain it needs and its own clock.
#[test]
fn copy_rows_give_each_copy_its_chain_and_clock() {
    use rewrap::engine::view::{Countdown, KeyState, TableStatus};
    let mut a = app("shared-key-blast-radius");
    for _ in 0..5 {
        next(&mut a);
    }
    let rows = a.runner().engine().copy_rows();
    let names: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(names, ["Orders", "Audit", "Sessions"]);
    assert_eq!(rows[0].key_state, Some(KeyState::Disabled));
    assert_eq!(rows[1].key_state, Some(KeyState::Disabled));
    assert_eq!(rows[2].key_state, Some(KeyState::Enabled));
    assert_eq!(
        rows[0].status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    assert!(matches!(rows[0].clock, Some(Countdown::Archive { .. })));
    assert_eq!(rows[1].status, TableStatus::Active);
    assert_eq!(rows[1].clock, None);
    assert!(rows.iter().all(|r| r.replica.is_none() && r.recoverable));
}

/// On a tall screen (200x60) the big clock's digits are twice as tall as at 120x36.
#[test]
fn the_big_clock_grows_with_a_tall_screen() {
    let mut a = app("change-table-key");
    a.set_present(true);
    next(&mut a);
    next(&mut a); // the read: app#1's T1 counts down from 5m 00s
    let digit_rows = |w: u16, h: u16| {
        let s = screen(&a, w, h);
        let split = usize::from(w) * 3 / 5;
        s.lines()
            .take_while(|l| !l.contains("Table-key cache"))
            .filter(|l| l.chars().skip(split).any(|c| "█▀▄▌▐▖▗▘▝▙▛▜▟".contains(c)))
            .count()
    };
    // Quadrant pixels: 4 rows a character; full ones: 8 (a glyph's last row may be blank).
    assert!(digit_rows(120, 36) <= 4);
    assert!(digit_rows(200, 60) >= 7, "{}", screen(&a, 200, 60));
}
