//! The sandbox: live actions on the selected key and connection, the deletion prompt, and
//! saving the session as a scenario file (`w`, performed by the terminal loop as an effect).

use std::path::PathBuf;

use super::{App, Effect, Msg, Overlay, Prompt};
use crate::engine::Command;
use crate::engine::event::RequestResult;
use crate::engine::ids::KmsKeyId;

impl App {
    pub(super) fn live_key(&mut self, make: impl FnOnce(KmsKeyId) -> Command) {
        match self.selected_key() {
            Some(key) => self.live(&make(key)),
            None => self.toast("select a KMS key in the tree first (tab to focus it)", true),
        }
    }

    pub(super) fn live_request(&mut self, write: bool) {
        let Some((principal, connection)) = self.selected_connection() else {
            self.toast("this scenario declares no [[principal]] to read as", true);
            return;
        };
        self.live(&Command::request(principal, connection, write));
    }

    /// Apply a live action at the current moment, rounded up to a whole second so that the
    /// scenario `w` writes replays it exactly.
    pub(super) fn live(&mut self, cmd: &Command) {
        let at = if cmd.acts_on_table() {
            self.live_at()
        } else {
            crate::runner::LiveAt::default()
        };
        self.live_with(cmd, &at);
    }

    /// A live action on the table and copy `at` names.
    pub(super) fn live_with(&mut self, cmd: &Command, at: &crate::runner::LiveAt) {
        // The AWS owned key lives in a DynamoDB service account: no user can manage it, and a
        // scenario cannot say so either (`rewrap check` refuses such a step), so the sandbox
        // explains instead of recording an action a saved file could not replay.
        if let Some(key) = managed_key(cmd)
            && key.is_aws_owned()
        {
            self.toast(
                format!(
                    "{}: refused — the AWS owned key lives in a DynamoDB service account; no user can manage it (aws-behaviour.md #53)",
                    cmd.describe()
                ),
                true,
            );
            return;
        }
        // A saved file names a replica by `region`, which only reads, writes and backups take:
        // an action on the whole table is refused on a replica rather than recorded as one a
        // saved file could not replay.
        if at.region.is_some() && !cmd.verb().takes_region() {
            let primary = self.runner().engine().primary_of(self.table_focus());
            let name = self.runner().engine().tables()[primary.0].label();
            self.toast(
                format!(
                    "{}: not on a replica — it acts on the global table; press T until {name} (the primary) is focused",
                    cmd.describe()
                ),
                true,
            );
            return;
        }
        let result = self.session.live(cmd, at);
        self.refresh_derived();
        self.view.log_scroll = 0;
        match result {
            RequestResult::Ok => self.toast(format!("{}: ok", cmd.describe()), false),
            RequestResult::Error { error, message, .. } => {
                self.toast(format!("{}: {error}: {message}", cmd.describe()), true);
            }
        }
    }

    pub(super) fn confirm_prompt(&mut self) {
        let Overlay::Prompt(Prompt::DeletionDays { key, input }) =
            std::mem::take(&mut self.overlay)
        else {
            return;
        };
        let days = if input.is_empty() {
            30
        } else {
            input.parse().unwrap_or(0)
        };
        if !(7..=30).contains(&days) {
            self.toast(
                format!("{days} days is out of range: KMS waits 7 to 30 days"),
                true,
            );
            self.overlay = Overlay::Prompt(Prompt::DeletionDays {
                key,
                input: String::new(),
            });
            return;
        }
        self.live(&Command::ScheduleKeyDeletion { key, days });
    }

    /// The scenario text `w` writes: everything that ran so far, with what it observed.
    pub fn exploration_toml(&self) -> String {
        self.session.exploration_toml()
    }

    /// `w`: the file to write, as an effect the terminal loop performs.
    pub(super) fn save(&mut self) -> Option<Effect> {
        let stem: String = std::path::Path::new(&self.scenario().file)
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
            .replace("builtin:", "");
        let stem = stem.rsplit(':').next().unwrap_or("scenario").to_string();
        if let Some(lab) = self.scenario().lab.as_ref().filter(|_| self.lab.is_some()) {
            if lab.attempt_actions > 0 && !self.scenario().source.contains(crate::lab::ATTEMPT_MARK)
            {
                self.toast(
                    "this file already holds a [[lab.attempt]] not saved by rewrap lab: open the lab itself to save a new attempt",
                    true,
                );
                return None;
            }
            let stem = stem.strip_suffix("-attempt").unwrap_or(&stem);
            return Some(Effect::Save {
                dir: self.save_dir.clone(),
                stem: format!("{stem}-attempt"),
                text: crate::lab::attempt_toml(self.runner(), self.runner().engine().now()),
                exact: true,
            });
        }
        Some(Effect::Save {
            dir: self.save_dir.clone(),
            stem,
            text: self.exploration_toml(),
            exact: false,
        })
    }

    /// Report how a save went (called by whoever performed `Effect::Save`).
    pub fn saved(&mut self, result: std::io::Result<PathBuf>, stem: &str) {
        match result {
            Ok(path) => {
                let how = if self.lab.is_some() {
                    "grade it"
                } else {
                    "replay"
                };
                self.toast(
                    format!(
                        "wrote {} ({how}: rewrap check {})",
                        path.display(),
                        path.display()
                    ),
                    false,
                );
                self.saved = Some(path);
            }
            Err(e) => self.toast(
                format!(
                    "could not write {stem}{}.toml in {}: {e}",
                    if self.lab.is_some() { "" } else { "-explored" },
                    self.save_dir.display()
                ),
                true,
            ),
        }
    }
}

/// The KMS key a key-management command acts on (not a table-key change, which may target
/// the AWS owned key).
fn managed_key(cmd: &Command) -> Option<&KmsKeyId> {
    match cmd {
        Command::DisableKey { key }
        | Command::EnableKey { key }
        | Command::ScheduleKeyDeletion { key, .. }
        | Command::CancelKeyDeletion { key }
        | Command::RotateKey { key }
        | Command::Revoke { key, .. }
        | Command::Allow { key, .. }
        | Command::DeleteImportedMaterial { key }
        | Command::ImportKeyMaterial { key, .. } => Some(key),
        Command::Read { .. }
        | Command::Write { .. }
        | Command::ChangeTableKey { .. }
        | Command::RevokeGrant
        | Command::CreateGrant
        | Command::Backup { .. }
        | Command::Wait => None,
        Command::Restore { key, .. } => key.as_ref(),
    }
}

impl App {
    /// The sandbox keys: live actions at the moment on screen.
    pub(super) fn sandbox(&mut self, msg: Msg) {
        match msg {
            Msg::Read | Msg::Write => self.live_request(msg == Msg::Write),
            Msg::DisableKey => self.live_key(|key| Command::DisableKey { key }),
            Msg::EnableKey => self.live_key(|key| Command::EnableKey { key }),
            Msg::CancelDeletion => self.live_key(|key| Command::CancelKeyDeletion { key }),
            Msg::RotateKey => self.live_key(|key| Command::RotateKey { key }),
            Msg::SwitchTableKey => self.live_key(|key| Command::ChangeTableKey { key }),
            Msg::DeleteMaterial => self.live_key(|key| Command::DeleteImportedMaterial { key }),
            Msg::ImportMaterial => {
                self.live_key(|key| Command::ImportKeyMaterial {
                    key,
                    expires: None,
                    new_material: false,
                });
            }
            Msg::Backup => self.live_backup(),
            Msg::Restore => self.live_restore(),
            Msg::ToggleGrant => {
                self.live(&if self.focused_table().grant_revoked() {
                    Command::CreateGrant
                } else {
                    Command::RevokeGrant
                });
            }
            Msg::ScheduleDeletion => {
                if let Some(key) = self.selected_key() {
                    self.overlay = Overlay::Prompt(Prompt::DeletionDays {
                        key,
                        input: String::new(),
                    });
                    self.playback.paused = true;
                }
            }
            Msg::Revoke | Msg::Allow => {
                let (Some(key), Some((principal, _))) =
                    (self.selected_key(), self.selected_connection())
                else {
                    self.toast(
                        "select a key in the tree and a principal in the cache panel (tab)",
                        true,
                    );
                    return;
                };
                let cmd = if msg == Msg::Revoke {
                    Command::Revoke { key, principal }
                } else {
                    Command::Allow { key, principal }
                };
                self.live(&cmd);
            }
            _ => {}
        }
    }
}
