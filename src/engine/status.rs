//! DynamoDB's status words for a table and the "when exactly" milestones recorded for it
//! (vocabulary: no state, no behaviour).

use std::fmt;

use serde::Serialize;

use super::ids::{KmsKeyId, PrincipalId};
use super::time::{SimDuration, SimTime};
use super::vocab::ErrorCode;

/// `TableStatus` (aws-behaviour.md #39, 44).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TableStatus {
    Active,
    InaccessibleEncryptionCredentials,
    Archiving,
    Archived,
}

impl TableStatus {
    pub const ALL: [TableStatus; 4] = [
        TableStatus::Active,
        TableStatus::InaccessibleEncryptionCredentials,
        TableStatus::Archiving,
        TableStatus::Archived,
    ];

    /// The status with this scenario-format name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The scenario-format name: `active`, `inaccessible`, `archiving`, `archived`.
    pub fn name(self) -> &'static str {
        match self {
            TableStatus::Active => "active",
            TableStatus::InaccessibleEncryptionCredentials => "inaccessible",
            TableStatus::Archiving => "archiving",
            TableStatus::Archived => "archived",
        }
    }
    pub fn aws_name(self) -> &'static str {
        match self {
            TableStatus::Active => "ACTIVE",
            TableStatus::InaccessibleEncryptionCredentials => "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
            TableStatus::Archiving => "ARCHIVING",
            TableStatus::Archived => "ARCHIVED",
        }
    }
}

impl fmt::Display for TableStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.aws_name())
    }
}

/// `SSEDescription.Status`: only ENABLED and UPDATING are in use (aws-behaviour.md #29).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SseStatus {
    Enabled,
    Updating,
}

impl SseStatus {
    pub const ALL: [SseStatus; 2] = [SseStatus::Enabled, SseStatus::Updating];

    /// The status with this scenario-format name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The scenario-format name: `enabled`, `updating`.
    pub fn name(self) -> &'static str {
        match self {
            SseStatus::Enabled => "enabled",
            SseStatus::Updating => "updating",
        }
    }
}

impl fmt::Display for SseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SseStatus::Enabled => "ENABLED",
            SseStatus::Updating => "UPDATING",
        })
    }
}

/// The "when exactly" answers for one table, recorded as they happen (with every key
/// deletion so far, which concern all tables).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Milestones {
    pub first_failed_read: Option<(SimTime, PrincipalId, ErrorCode)>,
    pub inaccessible_since: Option<SimTime>,
    pub archiving_at: Option<SimTime>,
    pub archived_at: Option<SimTime>,
    pub keys_deleted: Vec<(KmsKeyId, SimTime)>,
    pub unrecoverable_from: Option<SimTime>,
    /// Version 3: how long before the start the table entered the status it starts in
    /// (`inaccessible_since`/`archived_at` then read 0s; zero for a table that starts active).
    #[serde(skip_serializing_if = "is_zero")]
    pub before_start: SimDuration,
    /// When the table last became ACTIVE again after being inaccessible (cleared when it
    /// becomes inaccessible again): "inaccessible since" is then history, not the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accessible_again: Option<SimTime>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(d: &SimDuration) -> bool {
    d.0 == 0
}
