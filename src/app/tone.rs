//! What a piece of text means (ok, failed, dimmed, ...): the view model says it, the theme
//! decides how it looks.

/// What a piece of text means; the theme decides how it looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Dim,
    Strong,
    Ok,
    Warn,
    Bad,
    Accent,
    /// The DEK that is moving right now.
    Moving,
}
