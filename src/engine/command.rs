//! What the engine can be told to do at the current moment.

use serde::{Deserialize, Serialize};

use super::ids::{ConnectionId, KmsKeyId, PrincipalId};
use super::vocab::Verb;

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
    /// Version 2: ImportKeyMaterial of the same material, valid for `expires` (never if none);
    /// with `new_material`, new material that waits for an on-demand rotation
    /// (aws-behaviour.md #104).
    ImportKeyMaterial {
        key: KmsKeyId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<super::time::SimDuration>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        new_material: bool,
    },
    /// Version 2: CreateBackup of the table, named `backup` (aws-behaviour.md #35: it keeps the table key
    /// and the KMS key that wraps it now).
    Backup {
        backup: String,
    },
    /// Version 2: RestoreTableFromBackup into a new table `to`, its new table key under `key`
    /// (default: the backup's KMS key). `backup = "archival"` is the table's archival backup.
    Restore {
        backup: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<KmsKeyId>,
    },
}

impl Command {
    /// CreateBackup or RestoreTableFromBackup: a step that brings backups (and with a
    /// restore, a second table) into the world.
    pub fn is_backup_or_restore(&self) -> bool {
        matches!(self, Command::Backup { .. } | Command::Restore { .. })
    }

    /// Does it act on a table (requests, the key change, the grant, backups, and a restore
    /// of a table's archival backup) rather than on a KMS key? A restore of a named backup
    /// does not: the backup names its own table.
    pub fn acts_on_table(&self) -> bool {
        match self {
            Command::Read { .. }
            | Command::Write { .. }
            | Command::ChangeTableKey { .. }
            | Command::RevokeGrant
            | Command::CreateGrant
            | Command::Backup { .. } => true,
            Command::Restore { backup, .. } => backup == super::ids::ARCHIVAL,
            _ => false,
        }
    }

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
    /// The KMS key the command names, if it names one.
    pub fn key(&self) -> Option<&KmsKeyId> {
        match self {
            Command::Revoke { key, .. }
            | Command::Allow { key, .. }
            | Command::ChangeTableKey { key }
            | Command::Restore { key: Some(key), .. }
            | Command::DisableKey { key }
            | Command::EnableKey { key }
            | Command::ScheduleKeyDeletion { key, .. }
            | Command::CancelKeyDeletion { key }
            | Command::RotateKey { key }
            | Command::DeleteImportedMaterial { key }
            | Command::ImportKeyMaterial { key, .. } => Some(key),
            Command::Read { .. }
            | Command::Write { .. }
            | Command::Wait
            | Command::RevokeGrant
            | Command::CreateGrant
            | Command::Backup { .. }
            | Command::Restore { .. } => None,
        }
    }

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
            Command::ImportKeyMaterial {
                key,
                expires,
                new_material,
            } => {
                let what = if *new_material {
                    format!("import new key material into {key}")
                } else {
                    format!("import {key}'s key material again")
                };
                match expires {
                    Some(d) => format!("{what}, valid for {}", d.to_exact_string()),
                    None => format!("{what} (never expires)"),
                }
            }
            Command::Wait => "wait".into(),
            Command::Backup { backup } => format!("back up the table as {backup}"),
            Command::Restore { backup, to, key } => match key {
                Some(k) => format!("restore backup {backup} to a new table {to} under {k}"),
                None => format!("restore backup {backup} to a new table {to}"),
            },
        }
    }
}

impl Command {
    /// The action this command performs.
    pub fn verb(&self) -> Verb {
        match self {
            Command::Read { .. } => Verb::Read,
            Command::Write { .. } => Verb::Write,
            Command::ChangeTableKey { .. } => Verb::ChangeTableKey,
            Command::DisableKey { .. } => Verb::DisableKey,
            Command::EnableKey { .. } => Verb::EnableKey,
            Command::ScheduleKeyDeletion { .. } => Verb::ScheduleKeyDeletion,
            Command::CancelKeyDeletion { .. } => Verb::CancelKeyDeletion,
            Command::RotateKey { .. } => Verb::RotateKey,
            Command::Revoke { .. } => Verb::Revoke,
            Command::Allow { .. } => Verb::Allow,
            Command::Wait => Verb::Wait,
            Command::DeleteImportedMaterial { .. } => Verb::DeleteImportedMaterial,
            Command::ImportKeyMaterial { .. } => Verb::ImportKeyMaterial,
            Command::RevokeGrant => Verb::RevokeGrant,
            Command::CreateGrant => Verb::CreateGrant,
            Command::Backup { .. } => Verb::Backup,
            Command::Restore { .. } => Verb::Restore,
        }
    }
}
