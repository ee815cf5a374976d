//! From what an export holds to a starting world (scenario format version 3): keys with their
//! states and dates, tables with their status and since, replicas, DynamoDB's grants, backups.
//! Every time is measured against the export's own time (t0). What the model does not have is
//! left out with a warning that says so; what the export lacks is assumed with a warning that
//! names the file to export.

use std::collections::{BTreeMap, BTreeSet};

use super::copies;
use super::export::{Export, KeyInfo, TableInfo, arn_region};
use crate::engine::ids::{AWS_OWNED, KmsKeyId, PrincipalId};
use crate::engine::kms::KeyKind;
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::{
    Assumptions, BackupSpec, KeySpec, KeyStartsAs, PrincipalSpec, TableSpec, WorldSpec,
};

/// How the import was asked for.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only what needs this key (an id the import gives, a key id, an ARN or an alias).
    pub key: Option<String>,
    /// Account ids, table and backup names, aliases to stable placeholders.
    pub redact: bool,
}

/// The world built, with what had to be said about it.
pub struct Built {
    pub world: WorldSpec,
    pub warnings: Vec<String>,
    /// (scenario key id, what it was in the export: alias or key id) for the file's header.
    pub key_names: Vec<(String, String)>,
    pub now_ms: i64,
}

/// Why no world could be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no DynamoDB table in the export (describe-table output): nothing to simulate")]
    NoTables,
    #[error("{0}")]
    KeyNotFound(String),
    #[error("nothing in the export needs {0}: no table, replica or backup uses it")]
    NothingNeeds(String),
}

pub(super) const DEKS: u32 = 8;
pub(super) const ITEMS: u64 = 64;

/// A name fit for a scenario key id: lowercase letters, digits and `-`.
fn key_slug(alias: &str) -> String {
    let mut out = String::new();
    for c in alias.trim_start_matches("alias/").chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    out.chars().take(60).collect()
}

/// A name fit for a table or backup: letters, digits, `_ - .`, `min` to 100 characters.
pub(super) fn name_slug(name: &str, min: usize, fallback: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if out.len() < min {
        out = fallback.to_string();
    }
    out
}

pub(super) fn ago(now: i64, then: i64) -> SimDuration {
    SimDuration(u64::try_from(now.saturating_sub(then)).unwrap_or(0))
}

pub(super) struct Ctx<'a> {
    pub(super) export: &'a Export,
    pub(super) now: i64,
    warnings: Vec<String>,
    /// Export key id → scenario key id.
    pub(super) ids: BTreeMap<String, String>,
    /// DynamoDB grants seen anywhere (without any, grants are taken as not exported).
    pub(super) any_dynamodb_grant: bool,
    pub(super) assumptions: Assumptions,
}

impl Ctx<'_> {
    pub(super) fn warn(&mut self, w: impl Into<String>) {
        let w = w.into();
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    /// The export's key a reference names: a key id, a key ARN, an alias name or an alias ARN.
    fn key_info(&self, reference: &str, region: &str) -> Option<&KeyInfo> {
        let (region, rest) = if reference.starts_with("arn:") {
            (
                arn_region(reference).unwrap_or_else(|| region.to_string()),
                reference
                    .splitn(6, ':')
                    .nth(5)
                    .unwrap_or_default()
                    .to_string(),
            )
        } else {
            (region.to_string(), reference.to_string())
        };
        let id = if rest.starts_with("alias/") {
            self.export
                .aliases
                .iter()
                .find(|(name, _, r)| *name == rest && (r.is_empty() || *r == region))
                .map(|(_, target, _)| target.clone())?
        } else {
            rest.trim_start_matches("key/").to_string()
        };
        self.export.keys.get(&id).filter(|k| !k.arn.is_empty())
    }

    /// The scenario id of a key reference, or why it cannot be used.
    pub(super) fn key_id(&self, reference: &str, region: &str) -> Result<KmsKeyId, String> {
        match self.key_info(reference, region) {
            Some(k) => self
                .ids
                .get(&k.key_id)
                .map(|id| KmsKeyId::new(id.as_str()))
                .ok_or_else(|| Self::unusable(k)),
            None => Err(format!(
                "its key {} is not in the export: export `aws kms describe-key --key-id {}`",
                crate::scenario::printable(reference, false),
                crate::scenario::printable(reference, false)
            )),
        }
    }

    fn unusable(k: &KeyInfo) -> String {
        if k.custom_store || matches!(k.origin.as_str(), "AWS_CLOUDHSM" | "EXTERNAL_KEY_STORE") {
            format!(
                "its key {} is in a custom key store, which rewrap does not model",
                k.key_id
            )
        } else if k.state == "Unavailable" {
            format!("its key {} is Unavailable (a custom key store)", k.key_id)
        } else {
            format!(
                "its key {} ({} {}) cannot protect a DynamoDB table",
                k.key_id, k.spec, k.usage
            )
        }
    }
}

/// Keys DynamoDB can use: symmetric encryption keys outside custom key stores.
fn modelled(k: &KeyInfo) -> bool {
    k.spec == "SYMMETRIC_DEFAULT"
        && k.usage == "ENCRYPT_DECRYPT"
        && !k.custom_store
        && matches!(k.origin.as_str(), "AWS_KMS" | "EXTERNAL" | "")
        && k.state != "Unavailable"
        && !k.arn.is_empty()
}

/// Build the world an export describes, at the export's time.
#[allow(clippy::too_many_lines)] // one pass over keys, tables, replicas, backups, in that order
pub fn build(export: &Export, options: &Options) -> Result<Built, BuildError> {
    let now = export.exported_at.or(export.newest).unwrap_or(0);
    let mut cx = Ctx {
        export,
        now,
        warnings: Vec::new(),
        ids: BTreeMap::new(),
        any_dynamodb_grant: export.grants.iter().any(|g| g.dynamodb),
        assumptions: Assumptions::default(),
    };
    if export.exported_at.is_none() {
        cx.warn("the export's time is not recorded (rewrap-export.json, written by export.sh): the newest date in the files is taken as now");
    }
    if export.tables.is_empty() {
        return Err(BuildError::NoTables);
    }

    // Key ids: from the first customer alias, else kms-N; AWS managed keys by their alias.
    let mut used = BTreeSet::new();
    let mut key_names = Vec::new();
    let mut n = 0;
    for k in export.keys.values().filter(|k| modelled(k)) {
        let mut aliases: Vec<&str> = export
            .aliases
            .iter()
            .filter(|(_, t, r)| *t == k.key_id && (r.is_empty() || *r == k.region))
            .map(|(a, _, _)| a.as_str())
            .collect();
        aliases.sort_unstable();
        let alias = aliases
            .iter()
            .find(|a| !a.starts_with("alias/aws/"))
            .or(aliases.first())
            .copied();
        let mut id = match alias {
            Some(a) if !options.redact => key_slug(a),
            _ => String::new(),
        };
        if id.is_empty() || id == AWS_OWNED || used.contains(&id) {
            loop {
                n += 1;
                id = format!("kms-{n}");
                if !used.contains(&id) {
                    break;
                }
            }
        }
        used.insert(id.clone());
        let was = if options.redact {
            "redacted".to_string()
        } else {
            alias.map_or_else(|| k.key_id.clone(), str::to_string)
        };
        key_names.push((id.clone(), was));
        cx.ids.insert(k.key_id.clone(), id);
    }
    for (id, region) in &export.listed_keys {
        if export.keys.get(id).is_none_or(|k| k.arn.is_empty()) {
            let r = if region.is_empty() { "" } else { " --region " };
            cx.warn(format!(
                "key {id} is listed but not described: export `aws kms describe-key --key-id {id}{r}{region}`"
            ));
        }
    }

    // Tables: one per name and region; a global table's copies become its replicas.
    let mut tables: Vec<TableSpec> = Vec::new();
    let mut table_of: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut seen_copy: BTreeSet<(String, String)> = BTreeSet::new();
    let mut sorted: Vec<&TableInfo> = export.tables.iter().collect();
    sorted.sort_by(|a, b| (&a.name, &a.region).cmp(&(&b.name, &b.region)));
    sorted.dedup_by(|a, b| a.name == b.name && a.region == b.region);
    for t in &sorted {
        if seen_copy.contains(&(t.name.clone(), t.region.clone())) {
            continue;
        }
        match copies::table_spec(&mut cx, t, &sorted) {
            Ok(spec) => {
                for r in &spec.replicas {
                    seen_copy.insert((t.name.clone(), r.region.clone()));
                }
                table_of.insert((t.name.clone(), t.region.clone()), tables.len());
                for r in &spec.replicas {
                    table_of.insert((t.name.clone(), r.region.clone()), tables.len());
                }
                tables.push(spec);
            }
            Err(why) => cx.warn(format!(
                "table {} ({}): not imported: {why}",
                t.name, t.region
            )),
        }
    }
    for (name, _) in &export.listed_tables {
        if !export.tables.iter().any(|t| &t.name == name) {
            cx.warn(format!(
                "table {name} is listed but not described: export `aws dynamodb describe-table --table-name {name}`"
            ));
        }
    }

    // Backups taken before the export, of imported tables.
    let mut backups: Vec<BackupSpec> = Vec::new();
    let archival_arns: BTreeSet<&str> = export
        .tables
        .iter()
        .filter_map(|t| t.archival.as_ref().and_then(|a| a.1.as_deref()))
        .collect();
    for b in export.backups.values() {
        if archival_arns.contains(b.arn.as_str()) {
            continue;
        }
        match copies::backup_spec(&mut cx, b, &tables, &table_of, &backups) {
            Ok(Some(spec)) => backups.push(spec),
            Ok(None) => {}
            Err(why) => cx.warn(format!(
                "backup {} of {}: not imported: {why}",
                b.name, b.table
            )),
        }
    }
    let first_backup_count = backups.len();
    if first_backup_count > crate::engine::backup::MAX_BACKUPS {
        backups.truncate(crate::engine::backup::MAX_BACKUPS);
        cx.warn(format!(
            "{first_backup_count} backups: the simulation holds at most {}; the newest are left out",
            crate::engine::backup::MAX_BACKUPS
        ));
    }

    // The keys: every modelled key something imported needs, and the customer managed ones
    // nothing needs (so "what if I delete it?" has an answer: nothing).
    let mut needed: BTreeSet<String> = BTreeSet::new();
    for t in &tables {
        needed.insert(t.key.as_str().to_string());
        needed.extend(t.start.switching_to.iter().map(|k| k.as_str().to_string()));
        needed.extend(t.replicas.iter().map(|r| r.key.as_str().to_string()));
    }
    needed.extend(backups.iter().map(|b| b.key.as_str().to_string()));

    // --key: only what needs that key.
    if let Some(wanted) = &options.key {
        let id = resolve_wanted(&cx, wanted)
            .ok_or_else(|| BuildError::KeyNotFound(format!("no key {wanted} in the export (give an id from the imported file, a key id, an ARN or an alias)")))?;
        let needs = |t: &TableSpec| {
            t.key == id
                || t.start.switching_to.as_ref() == Some(&id)
                || t.replicas.iter().any(|r| r.key == id)
        };
        let keep: Vec<bool> = tables
            .iter()
            .enumerate()
            .map(|(i, t)| needs(t) || backups.iter().any(|b| b.table == i && b.key == id))
            .collect();
        if !keep.iter().any(|k| *k) {
            return Err(BuildError::NothingNeeds(wanted.clone()));
        }
        let mut new_index = BTreeMap::new();
        let mut kept = Vec::new();
        for (i, t) in tables.into_iter().enumerate() {
            if keep[i] {
                new_index.insert(i, kept.len());
                kept.push(t);
            }
        }
        tables = kept;
        backups.retain(|b| b.key == id || new_index.contains_key(&b.table));
        for b in &mut backups {
            b.table = new_index[&b.table];
        }
        needed.clear();
        for t in &tables {
            needed.insert(t.key.as_str().to_string());
            needed.extend(t.start.switching_to.iter().map(|k| k.as_str().to_string()));
            needed.extend(t.replicas.iter().map(|r| r.key.as_str().to_string()));
        }
        needed.extend(backups.iter().map(|b| b.key.as_str().to_string()));
    }

    let mut keys: Vec<KeySpec> = Vec::new();
    for k in export.keys.values().filter(|k| modelled(k)) {
        let id = cx.ids[&k.key_id].clone();
        let customer = k.manager != "AWS";
        if !needed.contains(&id) && (!customer || options.key.is_some()) {
            continue;
        }
        if keys.len() >= crate::scenario::limits::MAX_KEYS {
            cx.warn(format!(
                "more than {} keys: key {id} and the ones after it are left out",
                crate::scenario::limits::MAX_KEYS
            ));
            break;
        }
        keys.push(key_spec(&mut cx, k, &id));
    }
    key_names.retain(|(id, _)| keys.iter().any(|k| k.id.as_str() == id));

    if tables.is_empty() {
        return Err(BuildError::NoTables);
    }
    if options.redact {
        copies::redact(&mut tables, &mut backups);
    }
    Ok(Built {
        world: WorldSpec {
            seed: 0,
            assumptions: cx.assumptions.clone(),
            keys,
            tables,
            principals: vec![PrincipalSpec {
                id: PrincipalId::new("app"),
                connections: 1,
            }],
            backups,
        },
        warnings: cx.warnings,
        key_names,
        now_ms: now,
    })
}

/// `--key X`: the scenario id X names (itself, a key id, an ARN or an alias).
fn resolve_wanted(cx: &Ctx<'_>, wanted: &str) -> Option<KmsKeyId> {
    if wanted == AWS_OWNED {
        return Some(KmsKeyId::new(AWS_OWNED));
    }
    if cx.ids.values().any(|v| v == wanted) {
        return Some(KmsKeyId::new(wanted));
    }
    let alias = if wanted.starts_with("arn:")
        || wanted.starts_with("alias/")
        || cx.export.keys.contains_key(wanted)
    {
        wanted.to_string()
    } else {
        format!("alias/{wanted}")
    };
    let region = cx
        .export
        .keys
        .values()
        .next()
        .map(|k| k.region.clone())
        .unwrap_or_default();
    cx.key_id(&alias, &region).ok()
}

fn key_spec(cx: &mut Ctx<'_>, k: &KeyInfo, id: &str) -> KeySpec {
    let kind = if k.manager == "AWS" {
        KeyKind::AwsManaged
    } else {
        KeyKind::CustomerManaged
    };
    let external = k.origin == "EXTERNAL";
    let mut enabled = true;
    let mut starts_as = None;
    let mut expires = None;
    match k.state.as_str() {
        "Enabled" | "" => {}
        "Disabled" => enabled = false,
        "PendingDeletion" | "PendingReplicaDeletion" => {
            enabled = false;
            let left = k.deletion_date.map_or(SimDuration::ZERO, |d| {
                SimDuration(u64::try_from(d.saturating_sub(cx.now)).unwrap_or(0))
            });
            let max = SimDuration::from_days(30);
            let left = if left.0 < 1_000 {
                cx.warn(format!(
                    "key {id}: its DeletionDate is past or missing: taken as deleted one second after the export"
                ));
                SimDuration::from_secs(1)
            } else {
                SimDuration(left.0.min(max.0) / 1_000 * 1_000)
            };
            if k.state == "PendingReplicaDeletion" {
                cx.warn(format!(
                    "key {id} is PendingReplicaDeletion (a multi-Region key): modelled as pending deletion on its own date"
                ));
            }
            starts_as = Some(KeyStartsAs::PendingDeletion {
                deletion_at: SimTime::ZERO + left,
            });
        }
        "PendingImport" if external => {
            enabled = false;
            starts_as = Some(KeyStartsAs::PendingImport);
        }
        other => cx.warn(format!("key {id} is {other}: modelled as enabled")),
    }
    if external
        && starts_as.is_none()
        && let Some(v) = k.valid_to
    {
        let left =
            SimDuration(u64::try_from(v.saturating_sub(cx.now)).unwrap_or(0) / 1_000 * 1_000);
        if left.0 >= 1_000 {
            expires = Some(SimTime::ZERO + SimDuration(left.0.min(SimDuration::from_days(365).0)));
        } else {
            cx.warn(format!(
                "key {id}: its imported material's ValidTo has passed but the key is {}: taken as expiring one second after the export",
                k.state
            ));
            expires = Some(SimTime::ZERO + SimDuration::from_secs(1));
        }
    }
    if k.multi_region {
        cx.warn(format!(
            "key {id} is a multi-Region key: its replicas in other regions are not modelled"
        ));
    }
    let rotation_days = match (kind, external, k.rotation) {
        (KeyKind::CustomerManaged, false, Some((true, period))) => {
            Some(period.unwrap_or(365).clamp(90, 2560) as u32)
        }
        (KeyKind::CustomerManaged, false, None) => {
            cx.warn(format!(
                "key {id}: rotation status not exported (aws kms get-key-rotation-status): taken as not rotating"
            ));
            None
        }
        _ => None,
    };
    KeySpec {
        id: KmsKeyId::new(id),
        kind,
        enabled: enabled || kind == KeyKind::AwsManaged,
        rotation_days,
        allow: None,
        external,
        expires,
        region: if k.region.is_empty() {
            crate::engine::DEFAULT_REGION.to_string()
        } else {
            k.region.clone()
        },
        starts_as: if kind == KeyKind::AwsManaged {
            None
        } else {
            starts_as
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_become_key_ids_and_names_fit_the_format() {
        assert_eq!(key_slug("alias/Orders_Key.prod"), "orders-key-prod");
        assert_eq!(key_slug("alias/aws/dynamodb"), "aws-dynamodb");
        assert_eq!(key_slug("alias/---"), "");
        assert_eq!(name_slug("Orders", 3, "T"), "Orders");
        assert_eq!(name_slug("a b", 3, "Table"), "a_b");
        assert_eq!(name_slug("x", 3, "Table"), "Table");
    }
}
