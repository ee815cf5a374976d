//! Several tables in the live view (version 2): which table the panels follow (`T` cycles
//! through tables, replicas and restored tables; Enter on another table's row in the tree
//! picks it), and the sandbox's backup (`B`) and restore (`R`) on that table.

use super::{App, NodeId};
use crate::engine::Command;
use crate::engine::backup::ARCHIVAL;
use crate::engine::table::{Table, TableIx, TableStatus};
use crate::runner::LiveAt;

impl App {
    /// The table the panels follow and table actions act on (the first one by default; back
    /// to it if a step back removed a restored table).
    pub fn table_focus(&self) -> TableIx {
        let n = self.runner().engine().tables().len();
        if self.table_focus.0 < n {
            self.table_focus
        } else {
            TableIx::FIRST
        }
    }

    /// The table the panels follow.
    pub fn focused_table(&self) -> &Table {
        &self.runner().engine().tables()[self.table_focus().0]
    }

    /// How a live action names the focused table: by name, and by region for a replica
    /// (nothing for the first table itself, as version-1 sessions do).
    pub(super) fn live_at(&self) -> LiveAt {
        self.live_at_for(self.table_focus())
    }

    fn live_at_for(&self, tx: TableIx) -> LiveAt {
        let e = self.runner().engine();
        if tx == TableIx::FIRST {
            return LiveAt::default();
        }
        let primary = e.primary_of(tx);
        LiveAt {
            table: (primary != TableIx::FIRST).then(|| e.tables()[primary.0].name().to_string()),
            region: (primary != tx).then(|| e.tables()[tx.0].region().to_string()),
        }
    }

    /// When a new step is reached (or stepped back to), the panels follow the table (or the
    /// replica) it acts on or speaks about, so a step on Audit shows Audit's cache and status.
    /// A step on a KMS key alone keeps the focus of the step before it; `T` overrides until
    /// the next step.
    pub(super) fn follow_step_table(&mut self) {
        // In a lab the attendee chooses the table; the lab's own steps (the app's traffic)
        // do not move the focus.
        if self.lab.is_some() {
            return;
        }
        let started = self.runner().steps_started();
        if started == self.focus_followed {
            return;
        }
        self.focus_followed = started;
        // The latest step up to here that names a table: the same focus whether this step was
        // reached forward or by stepping back.
        let steps = &self.scenario().steps;
        let latest = steps[..started.min(steps.len())]
            .iter()
            .rev()
            .find(|step| step.names_table || step.region.is_some() || step.action.acts_on_table());
        let before = self.table_focus();
        self.table_focus = latest
            .and_then(|step| self.runner().target(step).copy)
            .unwrap_or(TableIx::FIRST);
        // Say so when the focus moves (a `T` choice is replaced by the step's table).
        if self.table_focus() != before && self.present.is_none() {
            let label = self.focused_table().label();
            self.toast(
                format!("panels follow {label}, this step's table; T for another"),
                false,
            );
        }
    }

    /// `T`: the panels follow the next table (declared, replicas, restored), then the first.
    pub(super) fn next_table(&mut self) {
        let n = self.runner().engine().tables().len();
        if n < 2 {
            self.toast("this scenario has one table", false);
            return;
        }
        self.focus_table(TableIx((self.table_focus().0 + 1) % n));
    }

    pub(super) fn focus_table(&mut self, tx: TableIx) {
        self.table_focus = tx;
        let t = self.focused_table();
        let (label, key) = (t.label(), t.current_kms_key().clone());
        // The key selection follows too, so `d` / `e` act on the key this table uses.
        self.view.tree_node = Some((NodeId::Kms(key.clone()), Some(key)));
        self.toast(
            format!("panels follow {label}; table actions act on it"),
            false,
        );
    }

    /// Enter on another table's row in the tree: the panels follow it.
    pub(super) fn focus_selected_table(&mut self) -> bool {
        let rows = super::tree::rows(self);
        match rows.get(self.tree_index(&rows)).map(|r| &r.id) {
            Some(NodeId::OtherTable(ix)) => {
                let ix = *ix;
                self.focus_table(TableIx(ix));
                true
            }
            _ => false,
        }
    }

    /// `B`: an on-demand backup of the focused table, named `live-N` (the first N no backup,
    /// no scripted step and no earlier live backup uses, even one that failed: a saved file
    /// names each backup step once).
    pub(super) fn live_backup(&mut self) {
        use crate::session::Input;
        let e = self.runner().engine();
        let named = |c: &Command, n: &str| matches!(c, Command::Backup { backup } if backup == n);
        let used = |n: &str| {
            e.backup_named(n).is_some()
                || self.session.inputs().iter().any(|i| match i {
                    Input::Live(c) | Input::LiveOn(c, _) => named(c, n),
                    _ => false,
                })
                || self.scenario().steps.iter().any(
                    |s| matches!(&s.action, crate::scenario::Action::Command(c) if named(c, n)),
                )
        };
        let name = (1..=crate::engine::backup::MAX_BACKUPS + 1)
            .map(|n| format!("live-{n}"))
            .find(|n| !used(n))
            .unwrap_or_default();
        self.live_with(&Command::Backup { backup: name }, &self.live_at());
    }

    /// `R`: restore the backup selected in the tree (or, on an ARCHIVED focused table, its
    /// archival backup) to a new table `<table>-restored[-N]` under the backup's key.
    pub(super) fn live_restore(&mut self) {
        let e = self.runner().engine();
        let rows = super::tree::rows(self);
        let selected = match rows.get(self.tree_index(&rows)).map(|r| &r.id) {
            Some(NodeId::Backup(ix)) => e.backups().get(*ix),
            _ => None,
        };
        let (backup, source, at) = match selected {
            // An archival backup is named by its table: the action acts on that table.
            Some(b) if b.archival() => (
                ARCHIVAL.to_string(),
                b.source(),
                self.live_at_for(b.source()),
            ),
            Some(b) => (b.name().to_string(), b.source(), LiveAt::default()),
            None if self.focused_table().status() == TableStatus::Archived => {
                (ARCHIVAL.to_string(), self.table_focus(), self.live_at())
            }
            None => {
                self.toast(
                    "select a backup in the tree to restore it (or focus an ARCHIVED table with T)",
                    true,
                );
                return;
            }
        };
        let base = format!("{}-restored", e.tables()[source.0].name());
        let to = (1..=crate::engine::backup::MAX_TABLES + 1)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                }
            })
            .find(|n| e.find_table(n).is_none())
            .unwrap_or_default();
        self.live_with(
            &Command::Restore {
                backup,
                to,
                key: None,
            },
            &at,
        );
    }
}
