//! Selection and scrolling: the tree's selected entity (it follows the key, table key or DEK
//! group across steps, folding and resizes), the cache panel's connection, the log's scroll.

use super::{App, Focus, NodeId, Scroll, tree};
use crate::engine::ids::{ConnectionId, KmsKeyId, PrincipalId};

impl App {
    pub(super) fn scroll(&mut self, by: Scroll) {
        let list = |v: usize, len: usize| by.in_list(v, len);
        match self.view.focus {
            Focus::Tree => {
                let rows = tree::rows(self);
                let from = self.tree_index(&rows);
                let mut at = list(from, rows.len());
                // One step (↑ ↓) goes from entity to entity: the DEKs under one table key are
                // one box in the diagram, so a step passes them all at once (PgUp/PgDn and
                // Home/End still move row by row through a long list).
                let group = |i: usize| match rows.get(i).map(|r| &r.id) {
                    Some(NodeId::Deks(tk, _)) => Some(*tk),
                    _ => None,
                };
                if matches!(by, Scroll::Up(1) | Scroll::Down(1)) && group(from).is_some() {
                    while at != from && group(at) == group(from) {
                        let next = list(at, rows.len());
                        if next == at {
                            break;
                        }
                        at = next;
                    }
                    if group(at) == group(from) {
                        at = from;
                    }
                }
                self.select_tree_row(&rows, at);
            }
            Focus::Cache => {
                let len = self
                    .runner()
                    .engine()
                    .cache_entries(self.table_focus())
                    .len();
                self.view.cache.selected = list(self.view.cache.selected, len);
            }
            Focus::Log => {
                // The log counts lines back from the newest: `Up` goes back in time.
                let len = self.runner().engine().log().len();
                self.view.scroll_log(by, len);
            }
        }
    }

    pub(super) fn toggle_collapse(&mut self) {
        if self.view.focus != Focus::Tree {
            return;
        }
        let rows = tree::rows(self);
        if let Some(row) = rows.get(self.tree_index(&rows))
            && row.foldable
        {
            self.view.toggle_fold(&row.id);
        }
    }

    /// The KMS key of the selected tree row.
    pub fn selected_key(&self) -> Option<KmsKeyId> {
        let rows = tree::rows(self);
        rows.get(self.tree_index(&rows)).and_then(|r| r.key.clone())
    }

    /// Select row `at` of `rows`: remember its entity, not its position.
    pub fn select_tree_row(&mut self, rows: &[tree::TreeRow], at: usize) {
        self.view.select_tree_row(rows, at);
    }

    /// Where the selected entity is in `rows` now. If it is gone from view (folded, or a DEK
    /// group whose range moved), the row of its KMS key; failing that, the remembered position.
    pub fn tree_index(&self, rows: &[tree::TreeRow]) -> usize {
        self.view.tree_index(rows)
    }

    /// The principal and connection of the selected cache row.
    pub fn selected_connection(&self) -> Option<(PrincipalId, ConnectionId)> {
        let entries = self.runner().engine().cache_entries(self.table_focus());
        entries
            .get(
                self.view
                    .cache
                    .selected
                    .min(entries.len().saturating_sub(1)),
            )
            .map(|e| (e.principal().clone(), e.connection()))
    }
}
