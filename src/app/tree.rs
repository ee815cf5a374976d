//! The key hierarchy's rows (the view model the tree panel draws and the selection walks):
//! KMS keys -> the table keys each wraps -> DEKs -> items.
//!
//! Rows are data (`rows(&App)`), built from the engine each frame; many DEKs are grouped into
//! ranges, so the row count stays small at any table size. During a key change the DEKs already
//! re-wrapped sit under the new table key, the rest under the old one, and the one moving now
//! is highlighted; item ciphertext never changes, so the items row never moves.

use super::App;
use super::tone::{Tone, glyph};
use crate::engine::ids::{DekId, KmsKeyId, TableKeyId};
use crate::engine::kms::{KeyKind, KeyState, KmsKey};
use crate::engine::table::{Table, TableKey};
use crate::engine::time::SimTime;
use crate::engine::view::TableKeyRole;

/// DEKs under one table key are listed one per row up to this many, then grouped.
pub const LIST_LIMIT: u32 = 12;

/// One row of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeRow {
    pub id: NodeId,
    pub depth: u16,
    /// The KMS key sandbox actions use when this row is selected.
    pub key: Option<KmsKeyId>,
    pub foldable: bool,
    pub collapsed: bool,
    pub parts: Vec<(String, Tone)>,
}

impl TreeRow {
    pub fn text(&self) -> String {
        self.parts.iter().map(|(s, _)| s.as_str()).collect()
    }
}

/// A KMS key's glyph: each state its own, so the state reads without colour.
pub fn key_glyph(s: KeyState) -> &'static str {
    super::tone::look::key(s).0
}

/// Every visible row, top to bottom.
pub fn rows(app: &App) -> Vec<TreeRow> {
    let e = app.runner().engine();
    let t = app.focused_table();
    let focus_ix = app.table_focus();
    let focus = focus_ix.0;
    let now = e.now();
    let mut out = Vec::new();
    // Keys are regional: with keys in several regions each key row says its region, so a
    // global table's replicas read grouped by region.
    let regions = e
        .keys()
        .iter()
        .any(|k| k.kind() != KeyKind::AwsOwned && k.region() != e.keys()[0].region());
    for k in e.keys() {
        let used = t.table_keys().iter().any(|tk| tk.kms_key() == k.id());
        let kid = NodeId::Kms(k.id().clone());
        let collapsed = app.view.collapsed.contains(&kid);
        let mut parts = key_parts(k, now);
        if regions && k.kind() != KeyKind::AwsOwned {
            parts.push((format!(" · {}", k.region()), Tone::Dim));
        }
        out.push(TreeRow {
            id: kid,
            depth: 0,
            key: Some(k.id().clone()),
            foldable: used,
            collapsed,
            parts,
        });
        if collapsed {
            continue;
        }
        for tk in t.table_keys().iter().filter(|tk| tk.kms_key() == k.id()) {
            let tid = NodeId::TableKey(tk.id());
            let tk_collapsed = app.view.collapsed.contains(&tid);
            let mut parts = table_key_parts(e.table_key_role(focus_ix, tk.id()), tk);
            // Several tables each have a T1: say whose this one is.
            if e.tables().len() > 1 {
                parts.insert(1, (format!(" of {}", t.label()), Tone::Strong));
            }
            let deks = dek_range(app, tk.id());
            out.push(TreeRow {
                id: tid,
                depth: 1,
                key: Some(k.id().clone()),
                foldable: deks.is_some(),
                collapsed: tk_collapsed,
                parts,
            });
            if tk_collapsed || tk.retired_at().is_some() {
                continue;
            }
            if let Some((lo, hi)) = deks {
                dek_rows(app, &mut out, k.id(), tk.id(), lo, hi, k.is_deleted());
            }
        }
        // Other tables whose current table key this KMS key wraps: one row each (the key's
        // blast radius at a glance; the status panel has their status too).
        for (ix, other) in e.tables().iter().enumerate() {
            if ix == focus || other.current_kms_key() != k.id() {
                continue;
            }
            let tone = if other.status() == crate::engine::table::TableStatus::Active {
                Tone::Normal
            } else {
                Tone::Bad
            };
            out.push(TreeRow {
                id: NodeId::OtherTable(ix),
                depth: 1,
                key: Some(k.id().clone()),
                foldable: false,
                collapsed: false,
                // The status first: a narrow panel cuts the name, never the answer.
                parts: vec![
                    (
                        format!(
                            "{} · ",
                            if other.removed_at().is_some() {
                                "removed"
                            } else {
                                other.status().name()
                            }
                        ),
                        tone,
                    ),
                    (
                        format!("{} of {}", other.current(), other.label()),
                        Tone::Normal,
                    ),
                    (format!(" · {} DEKs", other.deks().len()), Tone::Dim),
                ],
            });
        }
        backup_rows(e, &mut out, k.id());
    }
    out.push(items_row(t));
    out
}

/// A KMS key's row: glyph, id, kind, state (with the deletion countdown), material versions.
fn key_parts(k: &KmsKey, now: SimTime) -> Vec<(String, Tone)> {
    let mut parts = vec![
        (
            format!("{} ", key_glyph(k.state())),
            super::tone::look::key(k.state()).1,
        ),
        (k.id().to_string(), Tone::Strong),
        (
            format!(
                " {} ",
                match k.kind() {
                    KeyKind::CustomerManaged => "CMK",
                    KeyKind::AwsManaged => "AWS managed",
                    KeyKind::AwsOwned => "AWS owned",
                }
            ),
            Tone::Dim,
        ),
    ];
    match k.state() {
        KeyState::Enabled => parts.push(("Enabled".into(), Tone::Ok)),
        KeyState::Disabled => parts.push(("Disabled".into(), Tone::Warn)),
        KeyState::PendingDeletion { deletion_at } => parts.push((
            format!(
                "PendingDeletion, deleted in {}",
                deletion_at.since(now).countdown()
            ),
            Tone::Bad,
        )),
        KeyState::Deleted { .. } => {
            parts.push(("DELETED: material destroyed".into(), Tone::Bad));
        }
        KeyState::PendingImport => parts.push((
            "PendingImport: no material (re-import the same)".into(),
            Tone::Bad,
        )),
    }
    // Pending import has no usable material: no version to name beside "no material".
    if !k.is_deleted() && k.state() != KeyState::PendingImport {
        let v = k.versions_created();
        let mat = if v == 1 {
            " · material v1".to_string()
        } else {
            format!(" · material v1..v{v}")
        };
        parts.push((mat, Tone::Dim));
    }
    if k.kind() == KeyKind::AwsOwned {
        parts.push((" · not in your account".into(), Tone::Dim));
    }
    parts
}

/// A table key's row: lost, retired, being filled by a re-wrap, or current.
fn table_key_parts(role: TableKeyRole, tk: &TableKey) -> Vec<(String, Tone)> {
    let mut parts = vec![(format!("{}", tk.id()), Tone::Strong)];
    match role {
        TableKeyRole::Lost => {
            parts.push((" LOST: its KMS key no longer exists".into(), Tone::Bad));
        }
        TableKeyRole::Retired { at } => parts.push((
            format!(" retired at {at} · not needed by the live table"),
            Tone::Dim,
        )),
        TableKeyRole::RewrapTarget {
            done,
            total,
            stalled,
        } => {
            parts.push((format!(" new · re-wrapping {done}/{total}"), Tone::Warn));
            if let Some((key, _)) = stalled {
                // The status panel says why; the row says that it stopped, and on which key.
                parts.push((format!(" STALLED on {key}"), Tone::Bad));
            }
        }
        TableKeyRole::Current | TableKeyRole::RewrapSource => {
            parts.push((" current".into(), Tone::Accent));
        }
        TableKeyRole::Other => {}
    }
    parts.push((format!(" · under v{}", tk.material_version()), Tone::Dim));
    parts
}

/// The items row: never re-encrypted by a key change.
fn items_row(t: &Table) -> TreeRow {
    let items = t.items().len();
    let fp = t
        .items()
        .first()
        .map_or_else(|| "-".to_string(), |i| i.sealed().fingerprint().to_string());
    TreeRow {
        id: NodeId::Items,
        depth: 0,
        key: None,
        foldable: false,
        collapsed: false,
        parts: vec![
            ("▣ ".into(), Tone::Accent),
            (format!("{items} items"), Tone::Strong),
            (
                format!(
                    " under {} DEKs · item-0000000 ciphertext {fp}",
                    t.deks().len()
                ),
                Tone::Dim,
            ),
            (" · never re-encrypted by a key change".into(), Tone::Dim),
        ],
    }
}

/// The DEK indices shown under a table key: `[lo, hi)`.
pub fn dek_range(app: &App, tk: TableKeyId) -> Option<(u32, u32)> {
    app.runner().engine().deks_under(app.table_focus(), tk)
}

fn dek_rows(
    app: &App,
    out: &mut Vec<TreeRow>,
    kms: &KmsKeyId,
    tk: TableKeyId,
    lo: u32,
    hi: u32,
    lost: bool,
) {
    let e = app.runner().engine();
    let t = app.focused_table();
    let job = t.job();
    // The DEK that just landed under the new table key, and the one about to leave the old one.
    let rewrap = e.rewrap_view(app.table_focus());
    let landed = rewrap
        .as_ref()
        .filter(|r| r.to == tk)
        .and_then(|r| r.landed);
    let leaving = rewrap
        .as_ref()
        .filter(|r| r.from == tk)
        .and_then(|r| r.in_flight);
    let progress = rewrap.as_ref().and_then(|r| r.progress);
    let row = |i: u32, parts: Vec<(String, Tone)>| TreeRow {
        id: NodeId::Deks(tk, i),
        depth: 2,
        key: Some(kms.clone()),
        foldable: false,
        collapsed: false,
        parts,
    };
    let single = |i: u32| {
        let d = &t.deks()[i as usize];
        let wrapped = if Some(tk) == job.map(crate::engine::table::RewrapJob::to) {
            d.staged().map_or_else(
                || d.wrapped().fingerprint(),
                crate::engine::crypto::SealedKey::fingerprint,
            )
        } else {
            d.wrapped().fingerprint()
        };
        let name = format!("{}", DekId(i));
        let detail = (format!(" {wrapped} · {} items", d.items()), Tone::Dim);
        if lost {
            return vec![
                (name, Tone::Bad),
                (format!(" {} unrecoverable", glyph::FAILED), Tone::Bad),
                detail,
            ];
        }
        if Some(i) == landed {
            return vec![
                (name, Tone::Moving),
                (format!(" ✓ landed under {tk}"), Tone::Ok),
                detail,
            ];
        }
        if Some(i) == leaving {
            let bar = progress.map_or(String::new(), |p| {
                let filled = ((p * 4.0).round() as usize).min(4);
                format!(" {}{}", "▰".repeat(filled), "▱".repeat(4 - filled))
            });
            return vec![
                (name, Tone::Moving),
                (format!(" ⇢ moving{bar}"), Tone::Warn),
                detail,
            ];
        }
        let parts = vec![(name, Tone::Normal), detail];
        parts
    };
    if hi - lo <= LIST_LIMIT {
        for i in lo..hi {
            out.push(row(i, single(i)));
        }
        return;
    }
    // Grouped: the highlighted DEK on its own, the rest as ranges.
    let special = [landed, leaving]
        .into_iter()
        .flatten()
        .filter(|i| (lo..hi).contains(i))
        .collect::<Vec<_>>();
    let mut start = lo;
    for s in special.iter().copied().chain(std::iter::once(hi)) {
        if s > start {
            let items: u64 = t.deks()[start as usize..s as usize]
                .iter()
                .map(|d| u64::from(d.items()))
                .sum();
            let mut parts = vec![(
                format!("{} … {}", DekId(start), DekId(s - 1)),
                if lost { Tone::Bad } else { Tone::Normal },
            )];
            // Lost says so in words too, not only in colour.
            if lost {
                parts.push((format!(" {} unrecoverable", glyph::FAILED), Tone::Bad));
            }
            parts.push((format!(" ({} DEKs, {items} items)", s - start), Tone::Dim));
            out.push(row(start, parts));
        }
        if s < hi {
            out.push(row(s, single(s)));
        }
        start = s + 1;
    }
}

/// Backups that need KMS key `key`: one row each, with whether it can be restored now
/// (version 2: a backup keeps the chain it was taken with, aws-behaviour.md #35).
fn backup_rows(e: &crate::engine::Engine, out: &mut Vec<TreeRow>, key: &KmsKeyId) {
    for (ix, b) in e.backups().iter().enumerate() {
        if !b.needs().contains(&key) {
            continue;
        }
        let state = e.backup_state(b);
        let tone = crate::app::tone::look::backup(state);
        let what = if b.archival() {
            format!("archival backup of {}", e.tables()[b.source().0].label())
        } else {
            format!(
                "backup {} of {}",
                b.name(),
                e.tables()[b.source().0].label()
            )
        };
        let tks: Vec<String> = b.table_keys().iter().map(|t| t.id().to_string()).collect();
        out.push(TreeRow {
            id: NodeId::Backup(ix),
            depth: 1,
            key: Some(key.clone()),
            foldable: false,
            collapsed: false,
            // The state first: a narrow panel cuts the name, never the answer.
            parts: vec![
                (format!("{} · ", state.name()), tone),
                (what, Tone::Normal),
                (
                    format!(" · keeps {} · {} items", tks.join("+"), b.items()),
                    Tone::Dim,
                ),
            ],
        });
    }
}

/// A row of the key tree that the user can select.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeId {
    Kms(KmsKeyId),
    TableKey(TableKeyId),
    Deks(TableKeyId, u32),
    Items,
    /// Another table (version 2, by index), shown under the KMS key wrapping its table key.
    OtherTable(usize),
    /// A backup (version 2, by index), under each KMS key it needs.
    Backup(usize),
}
