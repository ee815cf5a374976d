//! What the engine can be told to do at the current moment.

use serde::{Deserialize, Serialize};

use super::ids::{ConnectionId, KmsKeyId, PrincipalId};

/// What the engine can be told to do at the current moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "do")]
pub enum Command {
    Read {
        principal: PrincipalId,
        connection: ConnectionId,
    },
    Write {
        principal: PrincipalId,
        connection: ConnectionId,
    },
    ChangeTableKey {
        key: KmsKeyId,
    },
    DisableKey {
        key: KmsKeyId,
    },
    EnableKey {
        key: KmsKeyId,
    },
    ScheduleKeyDeletion {
        key: KmsKeyId,
        days: u32,
    },
    CancelKeyDeletion {
        key: KmsKeyId,
    },
    RotateKey {
        key: KmsKeyId,
    },
    Revoke {
        key: KmsKeyId,
        principal: PrincipalId,
    },
    Allow {
        key: KmsKeyId,
        principal: PrincipalId,
    },
    Wait,
    /// Version 2: RevokeGrant of the grant DynamoDB holds for the table on its KMS key.
    RevokeGrant,
    /// Version 2: the grant re-created (how a customer does it is undocumented:
    /// assumption `grant_recreate`).
    CreateGrant,
    /// Version 2: DeleteImportedKeyMaterial (at once, no waiting period).
    DeleteImportedMaterial {
        key: KmsKeyId,
    },
    /// Version 2: ImportKeyMaterial of the same material, valid for `expires` (never if none).
    ImportKeyMaterial {
        key: KmsKeyId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<super::time::SimDuration>,
    },
}

impl Command {
    /// A read (GetItem) or write (PutItem) as `principal` on `connection`.
    pub fn request(principal: PrincipalId, connection: ConnectionId, write: bool) -> Self {
        if write {
            Command::Write {
                principal,
                connection,
            }
        } else {
            Command::Read {
                principal,
                connection,
            }
        }
    }

    /// One line for logs and the TUI: `read as app (conn 1)`.
    pub fn describe(&self) -> String {
        match self {
            Command::Read {
                principal,
                connection,
            } => format!("read as {principal} (conn {connection})"),
            Command::Write {
                principal,
                connection,
            } => format!("write as {principal} (conn {connection})"),
            Command::ChangeTableKey { key } => format!("change table key to {key}"),
            Command::DisableKey { key } => format!("disable {key}"),
            Command::EnableKey { key } => format!("enable {key}"),
            Command::ScheduleKeyDeletion { key, days } => {
                format!("schedule deletion of {key} in {days} days")
            }
            Command::CancelKeyDeletion { key } => format!("cancel deletion of {key}"),
            Command::RotateKey { key } => format!("rotate {key} (on demand)"),
            Command::Revoke { key, principal } => format!("revoke {principal} on {key}"),
            Command::Allow { key, principal } => format!("allow {principal} on {key}"),
            Command::RevokeGrant => "revoke DynamoDB's grant on the table's key".to_string(),
            Command::CreateGrant => "re-create DynamoDB's grant on the table's key".to_string(),
            Command::DeleteImportedMaterial { key } => {
                format!("delete the imported key material of {key}")
            }
            Command::ImportKeyMaterial { key, expires } => match expires {
                Some(d) => format!(
                    "import {key}'s key material again, valid for {}",
                    d.to_exact_string()
                ),
                None => format!("import {key}'s key material again (never expires)"),
            },
            Command::Wait => "wait".into(),
        }
    }
}
