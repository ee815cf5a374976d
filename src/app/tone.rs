//! What a piece of text means (ok, failed, dimmed, ...): the view model says it, the theme
//! decides how it looks. Which theme is chosen once at start-up and kept on the `App`.

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

impl Tone {
    pub const ALL: [Tone; 8] = [
        Tone::Normal,
        Tone::Dim,
        Tone::Strong,
        Tone::Ok,
        Tone::Warn,
        Tone::Bad,
        Tone::Accent,
        Tone::Moving,
    ];
}

/// The palette the screen is drawn with (`ui::theme` turns a tone into a style for each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThemeKind {
    /// Okabe–Ito colours for a dark terminal background.
    #[default]
    Dark,
    /// Okabe–Ito hues darkened for a light terminal background.
    Light,
    /// White and bright colours on an explicit black background, every pair at least 7:1.
    HighContrast,
    /// `NO_COLOR`: no colours at all, emphasis by bold, underline and reverse only.
    NoColor,
}

impl ThemeKind {
    pub const ALL: [ThemeKind; 4] = [
        ThemeKind::Dark,
        ThemeKind::Light,
        ThemeKind::HighContrast,
        ThemeKind::NoColor,
    ];
}

/// How each state looks wherever it is drawn: one table, so no panel colours or marks a state
/// differently from another.
pub mod look {
    use super::{Tone, glyph};
    use crate::engine::backup::BackupState;
    use crate::engine::kms::KeyState;
    use crate::engine::status::TableStatus;

    /// A KMS key's state: its glyph (each state its own, so it reads without colour) and tone.
    pub fn key(s: KeyState) -> (&'static str, Tone) {
        match s {
            KeyState::Enabled => (glyph::KEY_ENABLED, Tone::Ok),
            KeyState::Disabled => (glyph::KEY_DISABLED, Tone::Warn),
            KeyState::PendingDeletion { .. } => (glyph::KEY_PENDING_DELETION, Tone::Bad),
            KeyState::Deleted { .. } => (glyph::KEY_DELETED, Tone::Bad),
            KeyState::PendingImport => (glyph::KEY_PENDING_IMPORT, Tone::Bad),
        }
    }

    /// A table's status: only ACTIVE is good news.
    pub fn table(s: TableStatus) -> Tone {
        match s {
            TableStatus::Active => Tone::Ok,
            _ => Tone::Bad,
        }
    }

    /// A backup's state.
    pub fn backup(s: BackupState) -> Tone {
        match s {
            BackupState::Restorable => Tone::Ok,
            BackupState::Blocked => Tone::Warn,
            BackupState::Lost => Tone::Bad,
        }
    }
}

/// Glyphs that carry a meaning on their own, so that no two states differ only in colour.
pub mod glyph {
    /// A KMS key that is enabled.
    pub const KEY_ENABLED: &str = "◆";
    /// A KMS key that is disabled.
    pub const KEY_DISABLED: &str = "⊘";
    /// A KMS key waiting for its deletion date.
    pub const KEY_PENDING_DELETION: &str = "◔";
    /// A KMS key whose material is destroyed.
    pub const KEY_DELETED: &str = "∅";
    /// A KMS key whose imported material expired or was deleted (re-import brings it back).
    pub const KEY_PENDING_IMPORT: &str = "◌";
    /// Something that worked (a DEK landed, a read).
    pub const OK: &str = "✓";
    /// Something that failed or will fail (a request, an expectation, a lost DEK).
    pub const FAILED: &str = "✗";
}
