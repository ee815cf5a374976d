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
}

/// A one-line message at the bottom of the narration, for a few seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub frames_left: u32,
}
