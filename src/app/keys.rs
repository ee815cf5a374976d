//! The one table that maps keys to messages; the footer and the help overlay are drawn from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Msg;

/// A key that triggers a binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    pub fn matches(self, ev: &KeyEvent) -> bool {
        match self {
            Key::Char(c) => {
                ev.code == KeyCode::Char(c)
                    && !ev
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            }
            Key::Ctrl(c) => {
                ev.code == KeyCode::Char(c) && ev.modifiers.contains(KeyModifiers::CONTROL)
            }
            Key::Code(code) => ev.code == code,
        }
    }

    /// The event this key produces (for tests).
    pub fn event(self) -> KeyEvent {
        match self {
            Key::Char(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
            Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
            Key::Code(code) => KeyEvent::new(code, KeyModifiers::NONE),
        }
    }
}

/// Which part of the help a binding belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Playback,
    View,
    Sandbox,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::Playback => "Playback",
            Group::View => "View",
            Group::Sandbox => "Sandbox (acts now, on the selected key / principal)",
        }
    }
}

/// One binding: keys, how the footer and help show them, and the message they send.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    /// Short key label for the footer and help (`space`, `→/n`).
    pub label: &'static str,
    /// One or two words for the footer.
    pub short: &'static str,
    /// A sentence for the help overlay.
    pub help: &'static str,
    /// Bindings in a row with the same footer group share one footer cell: `+/- speed`.
    pub footer_group: Option<&'static str>,
    pub group: Group,
    pub msg: Msg,
}

use KeyCode::{BackTab, Down, End, Enter, Home, Left, PageDown, PageUp, Right, Tab, Up};

/// Every key binding, in the order the footer and help show them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[Key::Char(' ')],
        label: "spc",
        short: "play",
        help: "play / pause the clock (playing pauses at each new step)",
        footer_group: None,
        group: Group::Playback,
        msg: Msg::TogglePause,
    },
    Binding {
        keys: &[Key::Code(Right), Key::Char('n')],
        label: "→/n",
        short: "next",
        help: "next step: show every event up to it (1-3 s), then run it; press again: at once",
        footer_group: Some("step"),
        group: Group::Playback,
        msg: Msg::NextStep,
    },
    Binding {
        keys: &[Key::Code(Left), Key::Char('p')],
        label: "←/p",
        short: "back",
        help: "previous step: restore the exact earlier state",
        footer_group: Some("step"),
        group: Group::Playback,
        msg: Msg::PrevStep,
    },
    Binding {
        keys: &[Key::Char('+'), Key::Char('=')],
        label: "+",
        short: "faster",
        help: "faster (leaves the automatic pace): up to a simulated day per second",
        footer_group: Some("speed"),
        group: Group::Playback,
        msg: Msg::SpeedUp,
    },
    Binding {
        keys: &[Key::Char('-'), Key::Char('_')],
        label: "-",
        short: "slower",
        help: "slower: down to real time",
        footer_group: Some("speed"),
        group: Group::Playback,
        msg: Msg::SlowDown,
    },
    Binding {
        keys: &[Key::Char('0')],
        label: "0",
        short: "auto pace",
        help: "automatic pace (default): busy moments slow down, quiet days pass in a second",
        footer_group: Some("speed"),
        group: Group::Playback,
        msg: Msg::AutoPace,
    },
    Binding {
        keys: &[Key::Char('j')],
        label: "j",
        short: "event",
        help: "jump to the next event (cache expiry, re-wrap step, deletion, ...)",
        footer_group: None,
        group: Group::Playback,
        msg: Msg::JumpNextEvent,
    },
    Binding {
        keys: &[Key::Code(Tab)],
        label: "tab",
        short: "focus",
        help: "move focus: key tree, cache timers, log",
        footer_group: Some("focus"),
        group: Group::View,
        msg: Msg::FocusNext,
    },
    Binding {
        keys: &[Key::Code(BackTab)],
        label: "⇧tab",
        short: "focus←",
        help: "move focus back",
        footer_group: Some("focus"),
        group: Group::View,
        msg: Msg::FocusPrev,
    },
    Binding {
        keys: &[Key::Code(Up)],
        label: "↑",
        short: "up",
        help: "select / scroll up in the focused panel",
        footer_group: Some("scroll"),
        group: Group::View,
        msg: Msg::Up,
    },
    Binding {
        keys: &[Key::Code(Down)],
        label: "↓",
        short: "down",
        help: "select / scroll down in the focused panel",
        footer_group: Some("scroll"),
        group: Group::View,
        msg: Msg::Down,
    },
    Binding {
        keys: &[Key::Code(PageUp)],
        label: "PgUp",
        short: "page↑",
        help: "scroll a page up",
        footer_group: Some("scroll"),
        group: Group::View,
        msg: Msg::PageUp,
    },
    Binding {
        keys: &[Key::Code(PageDown)],
        label: "PgDn",
        short: "page↓",
        help: "scroll a page down",
        footer_group: Some("scroll"),
        group: Group::View,
        msg: Msg::PageDown,
    },
    Binding {
        keys: &[Key::Code(Home)],
        label: "Home",
        short: "top",
        help: "go to the top of the focused panel",
        footer_group: Some("scroll"),
        group: Group::View,
        msg: Msg::Home,
    },
    Binding {
        keys: &[Key::Code(End)],
        label: "End",
        short: "end",
        help: "go to the end (the log follows new events again)",
        footer_group: Some("scroll"),
        group: Group::View,
        msg: Msg::End,
    },
    Binding {
        keys: &[Key::Code(Enter)],
        label: "⏎",
        short: "fold",
        help: "collapse / expand the selected key in the tree",
        footer_group: None,
        group: Group::View,
        msg: Msg::ToggleCollapse,
    },
    Binding {
        keys: &[Key::Char('t')],
        label: "t",
        short: "timeline",
        help: "timeline: key and table states, cache validity, reads (beside the log when large)",
        footer_group: None,
        group: Group::View,
        msg: Msg::ToggleTimeline,
    },
    Binding {
        keys: &[Key::Char('g')],
        label: "g",
        short: "diagram",
        help: "key hierarchy as a diagram or a list (the diagram needs a 160x48 window)",
        footer_group: None,
        group: Group::View,
        msg: Msg::ToggleView,
    },
    Binding {
        keys: &[Key::Char('P'), Key::Code(KeyCode::F(5))],
        label: "P/F5",
        short: "present",
        help: "present mode: clicker keys step, the room sees narration, panels, big clock",
        footer_group: None,
        group: Group::View,
        msg: Msg::TogglePresent,
    },
    Binding {
        keys: &[Key::Char('b'), Key::Char('.')],
        label: "b/.",
        short: "blank",
        help: "blank the screen (a clicker's blank button); any key brings it back",
        footer_group: None,
        group: Group::View,
        msg: Msg::Blank,
    },
    Binding {
        keys: &[Key::Char('z')],
        label: "z",
        short: "zoom",
        help: "timeline zoom: so far, whole scenario, 1 day, 1 hour, 15 minutes around now",
        footer_group: None,
        group: Group::View,
        msg: Msg::ZoomTimeline,
    },
    Binding {
        keys: &[Key::Char('?'), Key::Char('h')],
        label: "?",
        short: "help",
        help: "this help",
        footer_group: None,
        group: Group::View,
        msg: Msg::ToggleHelp,
    },
    Binding {
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        label: "q",
        short: "quit",
        help: "quit (Ctrl-C too)",
        footer_group: None,
        group: Group::View,
        msg: Msg::Quit,
    },
    Binding {
        keys: &[Key::Char('r')],
        label: "r",
        short: "read",
        help: "read an item as the selected principal/connection (cache panel)",
        footer_group: Some("read/write"),
        group: Group::Sandbox,
        msg: Msg::Read,
    },
    Binding {
        keys: &[Key::Char('W')],
        label: "W",
        short: "write",
        help: "write a new item as the selected principal/connection",
        footer_group: Some("read/write"),
        group: Group::Sandbox,
        msg: Msg::Write,
    },
    Binding {
        keys: &[Key::Char('d')],
        label: "d",
        short: "disable",
        help: "DisableKey on the selected KMS key (tree)",
        footer_group: Some("disable/enable"),
        group: Group::Sandbox,
        msg: Msg::DisableKey,
    },
    Binding {
        keys: &[Key::Char('e')],
        label: "e",
        short: "enable",
        help: "EnableKey on the selected KMS key",
        footer_group: Some("disable/enable"),
        group: Group::Sandbox,
        msg: Msg::EnableKey,
    },
    Binding {
        keys: &[Key::Char('x')],
        label: "x",
        short: "delete",
        help: "ScheduleKeyDeletion on the selected key (asks 7-30 days)",
        footer_group: Some("delete/cancel"),
        group: Group::Sandbox,
        msg: Msg::ScheduleDeletion,
    },
    Binding {
        keys: &[Key::Char('c')],
        label: "c",
        short: "cancel",
        help: "CancelKeyDeletion on the selected key (it ends up Disabled)",
        footer_group: Some("delete/cancel"),
        group: Group::Sandbox,
        msg: Msg::CancelDeletion,
    },
    Binding {
        keys: &[Key::Char('s')],
        label: "s",
        short: "switch",
        help: "switch the table to the selected key (UpdateTable: new table key, DEKs re-wrapped)",
        footer_group: None,
        group: Group::Sandbox,
        msg: Msg::SwitchTableKey,
    },
    Binding {
        keys: &[Key::Char('o')],
        label: "o",
        short: "rotate",
        help: "rotate the selected key on demand (new material, nothing re-encrypted)",
        footer_group: None,
        group: Group::Sandbox,
        msg: Msg::RotateKey,
    },
    Binding {
        keys: &[Key::Char('v')],
        label: "v",
        short: "revoke",
        help: "revoke the selected principal's kms:Decrypt on the selected key",
        footer_group: None,
        group: Group::Sandbox,
        msg: Msg::Revoke,
    },
    Binding {
        keys: &[Key::Char('a')],
        label: "a",
        short: "allow",
        help: "allow the selected principal kms:Decrypt on the selected key",
        footer_group: None,
        group: Group::Sandbox,
        msg: Msg::Allow,
    },
    Binding {
        keys: &[Key::Char('G')],
        label: "G",
        short: "grant",
        help: "revoke DynamoDB's grant on the table's key (or re-create it if revoked)",
        footer_group: None,
        group: Group::Sandbox,
        msg: Msg::ToggleGrant,
    },
    Binding {
        keys: &[Key::Char('i')],
        label: "i",
        short: "del material",
        help: "imported key material: delete it from the selected key (at once)",
        footer_group: Some("import"),
        group: Group::Sandbox,
        msg: Msg::DeleteMaterial,
    },
    Binding {
        keys: &[Key::Char('I')],
        label: "I",
        short: "import",
        help: "imported key material: import the same material again (never expires)",
        footer_group: Some("import"),
        group: Group::Sandbox,
        msg: Msg::ImportMaterial,
    },
    Binding {
        keys: &[Key::Char('T')],
        label: "T",
        short: "table",
        help: "the panels follow the next table, replica or restored table",
        footer_group: None,
        group: Group::View,
        msg: Msg::NextTable,
    },
    Binding {
        keys: &[Key::Char('L')],
        label: "L",
        short: "ledger",
        help: "what every copy of each table's data needs, now (the recoverability ledger)",
        footer_group: None,
        group: Group::View,
        msg: Msg::ToggleLedger,
    },
    Binding {
        keys: &[Key::Char('B')],
        label: "B",
        short: "backup",
        help: "back up the table the panels follow (the backup keeps today's chain)",
        footer_group: Some("backup"),
        group: Group::Sandbox,
        msg: Msg::Backup,
    },
    Binding {
        keys: &[Key::Char('R')],
        label: "R",
        short: "restore",
        help: "restore the backup selected in the tree (or an archived table's) to a new table",
        footer_group: Some("backup"),
        group: Group::Sandbox,
        msg: Msg::Restore,
    },
    Binding {
        keys: &[Key::Char('w')],
        label: "w",
        short: "save",
        help: "write everything that happened (scripted + live) as a scenario file",
        footer_group: None,
        group: Group::Sandbox,
        msg: Msg::SaveScenario,
    },
];

/// The message a key press sends, if any.
pub fn lookup(ev: &KeyEvent) -> Option<Msg> {
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.msg)
}

pub use super::present_keys::{PRESENT_KEYS, lookup_present};
