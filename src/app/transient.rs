//! What shows on top of the live view for a while: a modal prompt, a question put to the room
//! while presenting, and a one-line notice.

use crate::engine::ids::KmsKeyId;

/// A modal question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// ScheduleKeyDeletion: how many days (7-30)?
    DeletionDays { key: KmsKeyId, input: String },
    /// Presenting: quit for real? (y / q / Ctrl-C: yes; anything else: no)
    ConfirmQuit,
    /// Labs: start the lab again? (y / Enter: yes; anything else: no)
    ConfirmReset,
    /// Labs: the time to go to (`"7d 1h"`, or `"+1h"` from now).
    GoTo { input: String },
}

/// What covers the live view, one at a time: drawn on top of it, and the first to take keys.
/// A prompt and a reload error are modal: the help and the ledger do not replace them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Overlay {
    /// Nothing: the live view takes the keys.
    #[default]
    None,
    /// The key bindings, glyphs and assumptions (`?`).
    Help,
    /// The recoverability ledger (`L`).
    Ledger,
    /// A modal prompt.
    Prompt(Prompt),
    /// The played scenario file was saved and no longer loads: why (the last good version
    /// runs on); Esc closes it.
    ReloadError(String),
    /// Labs: the briefing (at the start, and on `m`); any key closes it.
    Briefing,
    /// Labs: solved (the debrief) or failed (what broke, when); any key closes it.
    LabVerdict,
}

impl Overlay {
    /// Is a modal one (a prompt, a reload error) up?
    pub fn is_modal(&self) -> bool {
        matches!(self, Overlay::Prompt(_) | Overlay::ReloadError(_))
    }
}

/// A question (`ask`) on screen while presenting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The step's index.
    pub step: usize,
    /// The room's answer, if the presenter entered one (1-based).
    pub room: Option<u8>,
    /// The step has run and the answer is shown.
    pub revealed: bool,
    /// What the step did, read from its events once revealed: the proof on screen.
    pub proof: Option<crate::engine::view::StepProof>,
    /// What the step's caller got, as the runner recorded it (a refusal is not OK).
    pub result: Option<crate::engine::view::RequestResult>,
}

/// A one-line message at the bottom of the narration, for a few seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub frames_left: u32,
}
