//! The parts `App` is composed of besides the session: `Playback` (paused or playing, the
//! pace, the stretch being shown) and `ViewState` (the focused panel, the tree's selection and
//! folds, scrolls, the timeline and diagram toggles), with the behaviour that touches only them.

use std::collections::BTreeSet;

use super::pacing::Stretch;
use super::timeline;
use super::tree::{self, NodeId};
use super::{DEFAULT_SPEED, SPEEDS};
use crate::engine::ids::KmsKeyId;

/// Which panel has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Cache,
    Log,
}

/// A scrolling request for the focused panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scroll {
    Up(usize),
    Down(usize),
    Top,
    Bottom,
}

/// Selection and scrolling of one list panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListState {
    pub selected: usize,
    pub offset: usize,
}

/// Where the scenario's playback stands: paused or playing, at what pace, and the stretch of
/// time being shown.
#[derive(Clone, Debug)]
pub(in crate::app) struct Playback {
    pub(in crate::app) paused: bool,
    /// The manual speed (an index into `SPEEDS`), used when `auto_pace` is off.
    pub(in crate::app) speed: usize,
    /// Play paces itself (see `pacing`): on until a speed key is pressed, back with `0`.
    pub(in crate::app) auto_pace: bool,
    /// The stretch of time being shown, while stepping or playing at the automatic pace.
    pub(in crate::app) stretch: Option<Stretch>,
}

/// How the live view is laid out and where its panels are scrolled: the focused panel, the
/// tree's selection and folds, the cache and log panels, the timeline and the diagram.
#[derive(Clone, Debug)]
pub(in crate::app) struct ViewState {
    pub(in crate::app) focus: Focus,
    pub(in crate::app) tree: ListState,
    /// The entity selected in the tree (a KMS key, a table key, a DEK group, the items) and
    /// its KMS key: the selection follows them across steps, re-layout, folding and resizes.
    pub(in crate::app) tree_node: Option<(NodeId, Option<KmsKeyId>)>,
    /// Folded tree rows.
    pub(in crate::app) collapsed: BTreeSet<NodeId>,
    pub(in crate::app) cache: ListState,
    /// Lines scrolled up from the newest log line (0 = follow).
    pub(in crate::app) log_scroll: usize,
    /// The timeline's visibility flipped from the layout's default (hidden on small screens,
    /// beside the log on large ones).
    pub(in crate::app) show_timeline: bool,
    /// On large screens, the list instead of the diagram (`g`).
    pub(in crate::app) prefer_list: bool,
    pub(in crate::app) timeline_zoom: usize,
}

impl Playback {
    /// What the header says of the pace.
    pub(super) fn speed_label(&self) -> &'static str {
        if self.auto_pace {
            "auto pace"
        } else {
            SPEEDS[self.speed].1
        }
    }

    /// Does the clock move on its own (playing, or a stretch being shown)?
    pub(super) fn moving(&self) -> bool {
        !self.paused || self.stretch.is_some()
    }

    /// Space: pause or play; true when it now plays.
    pub(super) fn toggle_pause(&mut self) -> bool {
        self.paused = !self.paused;
        !self.paused
    }

    /// `+` / `-`: one manual speed up or down (leaving the automatic pace at the default
    /// speed first).
    pub(super) fn change_speed(&mut self, up: bool) {
        if self.auto_pace {
            self.auto_pace = false;
            self.speed = DEFAULT_SPEED;
        }
        self.speed = if up {
            (self.speed + 1).min(SPEEDS.len() - 1)
        } else {
            self.speed.saturating_sub(1)
        };
    }
}

impl ViewState {
    /// Tab / shift-Tab: the next (or previous) panel takes the arrow keys.
    pub(super) fn cycle_focus(&mut self, forward: bool) {
        self.focus = match (self.focus, forward) {
            (Focus::Tree, true) | (Focus::Log, false) => Focus::Cache,
            (Focus::Cache, true) | (Focus::Tree, false) => Focus::Log,
            (Focus::Log, true) | (Focus::Cache, false) => Focus::Tree,
        };
    }

    /// `z`: the timeline's next window.
    pub(super) fn next_zoom(&mut self) {
        self.timeline_zoom = (self.timeline_zoom + 1) % timeline::ZOOMS.len();
    }
}

impl Scroll {
    /// The row a list's selection `v` moves to (`Up` goes towards the first row).
    pub(super) fn in_list(self, v: usize, len: usize) -> usize {
        let last = len.saturating_sub(1);
        match self {
            Scroll::Up(n) => v.saturating_sub(n),
            Scroll::Down(n) => (v + n).min(last),
            Scroll::Top => 0,
            Scroll::Bottom => last,
        }
    }
}

impl ViewState {
    /// The log counts lines back from the newest (`len` in all): `Up` goes back in time.
    pub(super) fn scroll_log(&mut self, by: Scroll, len: usize) {
        self.log_scroll = match by {
            Scroll::Up(n) => (self.log_scroll + n).min(len),
            Scroll::Down(n) => self.log_scroll.saturating_sub(n),
            Scroll::Top => len,
            Scroll::Bottom => 0,
        };
    }

    /// Fold the tree row `id`, or unfold it if it was folded.
    pub(super) fn toggle_fold(&mut self, id: &NodeId) {
        if !self.collapsed.remove(id) {
            self.collapsed.insert(id.clone());
        }
    }

    /// Select row `at` of `rows`: remember its entity, not its position.
    pub(super) fn select_tree_row(&mut self, rows: &[tree::TreeRow], at: usize) {
        if let Some(row) = rows.get(at) {
            self.tree.selected = at;
            self.tree_node = Some((row.id.clone(), row.key.clone()));
        }
    }

    /// Where the selected entity is in `rows` now. If it is gone from view (folded, or a DEK
    /// group whose range moved), the row of its KMS key; failing that, the remembered position.
    pub(super) fn tree_index(&self, rows: &[tree::TreeRow]) -> usize {
        let last = rows.len().saturating_sub(1);
        let Some((node, key)) = &self.tree_node else {
            return self.tree.selected.min(last);
        };
        rows.iter()
            .position(|r| &r.id == node)
            .or_else(|| {
                key.as_ref()
                    .and_then(|k| rows.iter().position(|r| r.id == NodeId::Kms(k.clone())))
            })
            .unwrap_or(self.tree.selected.min(last))
    }
}
