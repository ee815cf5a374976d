//! The messages of the live view: what the user can ask for (`Msg`, from keys, the clicker,
//! the frame clock) and what `App::update` asks the outside world to do (`Effect`).

use std::path::PathBuf;

/// Everything the user can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    TogglePause,
    NextStep,
    PrevStep,
    SpeedUp,
    SlowDown,
    AutoPace,
    JumpNextEvent,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    ToggleCollapse,
    ToggleTimeline,
    ToggleView,
    ZoomTimeline,
    ToggleHelp,
    Quit,
    Read,
    Write,
    DisableKey,
    EnableKey,
    ScheduleDeletion,
    CancelDeletion,
    SwitchTableKey,
    RotateKey,
    Revoke,
    Allow,
    /// Revoke DynamoDB's grant on the table's key, or re-create it when revoked.
    ToggleGrant,
    /// Delete the selected key's imported material / import the same material again.
    DeleteMaterial,
    ImportMaterial,
    /// Version 2: panels follow the next table; the recoverability ledger; back up /
    /// restore (sandbox).
    NextTable,
    ToggleLedger,
    Backup,
    Restore,
    SaveScenario,
    /// Present mode on or off.
    TogglePresent,
    /// Blank the screen (any key brings it back).
    Blank,
    /// Close the help and other overlays (present mode's Esc: never quits).
    CloseOverlays,
    /// The room's answer to the open question (1-based).
    Pick(u8),
    /// Presenting: unlock (or lock again) the sandbox keys (`U`).
    ToggleSandboxLock,
    /// Labs: reveal the next hint (`H`).
    Hint,
    /// Labs: start the lab again, after a confirmation (`r`).
    ResetLab,
    /// Labs: go to a time typed in a prompt (`>`), when the lab enables it.
    GoToTime,
    /// Labs: show the briefing again (`m`).
    Briefing,
    /// One frame of wall time passed.
    Tick,
}

/// What `update` asks the outside world to do: the terminal loop (or a test) performs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Leave the live view.
    Quit,
    /// Write `text` to a new file `STEM-explored.toml` in `dir` (see `save::write_new_file`), then
    /// report back with `App::saved`.
    Save {
        dir: PathBuf,
        stem: String,
        text: String,
        /// Write `STEM.toml` (`STEM-N.toml` if taken) rather than `STEM-explored.toml`.
        exact: bool,
    },
}
