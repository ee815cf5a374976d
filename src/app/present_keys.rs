//! Present mode's key table: a clicker's buttons and a presenter's keys, looked up before the
//! usual bindings while presenting.

use crossterm::event::KeyCode::{self, Enter, Left, PageDown, PageUp, Right};
use crossterm::event::KeyEvent;

use super::Msg;
use super::keys::{Key, lookup};

/// Present mode's keys, for a clicker (PageDown / PageUp, `b` / `.`, F5 / Esc on one button)
/// and a presenter at the keyboard; they are looked up before `BINDINGS` while presenting.
pub const PRESENT_KEYS: &[(&[Key], &str, &str, Msg)] = &[
    (
        &[
            Key::Code(PageDown),
            Key::Code(Right),
            Key::Char(' '),
            Key::Code(Enter),
            Key::Char('n'),
        ],
        "PgDn → spc ⏎",
        "next: show the time up to the next step; on a question, reveal the answer",
        Msg::NextStep,
    ),
    (
        &[Key::Code(PageUp), Key::Code(Left), Key::Char('p')],
        "PgUp ←",
        "previous step (exact)",
        Msg::PrevStep,
    ),
    (
        &[Key::Char('b'), Key::Char('.')],
        "b .",
        "blank the screen; any key brings it back",
        Msg::Blank,
    ),
    (
        &[Key::Code(KeyCode::Esc), Key::Code(KeyCode::F(5))],
        "Esc F5",
        "close the help (never quits)",
        Msg::CloseOverlays,
    ),
    (
        &[Key::Char('q'), Key::Ctrl('c')],
        "q",
        "quit (asks first)",
        Msg::Quit,
    ),
    (&[Key::Char('?')], "?", "help: these keys", Msg::ToggleHelp),
    (
        &[Key::Char('U')],
        "U",
        "unlock the sandbox keys (a LIVE badge shows); U again locks them",
        Msg::ToggleSandboxLock,
    ),
    (
        &[Key::Char('P')],
        "P",
        "leave present mode",
        Msg::TogglePresent,
    ),
];

/// The message for a key while presenting: the clicker table, the room's pick (1-9) while a
/// question is open; the usual bindings only once the sandbox is unlocked (`U`), so a stray
/// key never changes the story in front of the room.
pub fn lookup_present(ev: &KeyEvent, question_open: bool, unlocked: bool) -> Option<Msg> {
    if question_open && let KeyCode::Char(c @ '1'..='9') = ev.code {
        return Some(Msg::Pick(c as u8 - b'0'));
    }
    PRESENT_KEYS
        .iter()
        .find(|(keys, ..)| keys.iter().any(|k| k.matches(ev)))
        .map(|(.., msg)| *msg)
        .or_else(|| if unlocked { lookup(ev) } else { None })
}
