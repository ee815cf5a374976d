//! What an export holds, recognised by each document's content (`KeyMetadata`, `Table`,
//! `BackupDescription`, `Grants`, `Aliases`, `BackupSummaries`, ...), never by its file name.
//! Fields rewrap does not model are ignored (docs/account.md lists which are read).

use std::collections::BTreeMap;

use serde_json::Value;

use super::read::{Document, shown};
use super::stamp;

/// A KMS key as `describe-key` shows it.
#[derive(Clone, Debug, Default)]
pub struct KeyInfo {
    pub key_id: String,
    pub arn: String,
    pub region: String,
    pub state: String,
    pub deletion_date: Option<i64>,
    pub origin: String,
    pub valid_to: Option<i64>,
    pub manager: String,
    pub spec: String,
    pub usage: String,
    pub custom_store: bool,
    pub multi_region: bool,
    /// From `get-key-rotation-status`: (enabled, period in days).
    pub rotation: Option<(bool, Option<i64>)>,
}

/// A table (or a global table's copy) as `describe-table` shows it.
#[derive(Clone, Debug, Default)]
pub struct TableInfo {
    pub name: String,
    pub region: String,
    pub status: String,
    /// `SSEDescription`: (status, KMSMasterKeyArn, InaccessibleEncryptionDateTime); `None`:
    /// no SSEDescription, the AWS owned key.
    pub sse: Option<(String, Option<String>, Option<i64>)>,
    /// `ArchivalSummary`: (ArchivalDateTime, ArchivalBackupArn).
    pub archival: Option<(Option<i64>, Option<String>)>,
    pub replicas: Vec<ReplicaInfo>,
    pub strong_consistency: bool,
    pub file: String,
}

/// One entry of a table's `Replicas`.
#[derive(Clone, Debug, Default)]
pub struct ReplicaInfo {
    pub region: String,
    pub status: String,
    pub key: Option<String>,
    pub inaccessible_since: Option<i64>,
}

/// A backup, from `list-backups` and `describe-backup` (matched by ARN).
#[derive(Clone, Debug, Default)]
pub struct BackupInfo {
    pub arn: String,
    pub name: String,
    pub table: String,
    pub region: String,
    pub backup_type: String,
    pub status: String,
    pub created: Option<i64>,
    /// From `describe-backup`'s `SourceTableFeatureDetails`: `Some(Some(key))` under a KMS key,
    /// `Some(None)` the AWS owned key, `None` not in the export.
    pub key: Option<Option<String>>,
}

/// A grant DynamoDB holds on a key for one table (`list-grants`).
#[derive(Clone, Debug)]
pub struct GrantInfo {
    pub key_id: String,
    pub table: Option<String>,
    pub dynamodb: bool,
}

/// Everything recognised in an export folder.
#[derive(Default)]
pub struct Export {
    pub exported_at: Option<i64>,
    pub keys: BTreeMap<String, KeyInfo>,
    /// Key ids `list-keys` names (to say which `describe-key` is missing).
    pub listed_keys: Vec<(String, String)>,
    /// Alias name (`alias/x`) → (target key id, region).
    pub aliases: Vec<(String, String, String)>,
    /// Key ids whose grants were exported, and the grants.
    pub grants_of: Vec<String>,
    pub grants: Vec<GrantInfo>,
    pub tables: Vec<TableInfo>,
    pub backups: BTreeMap<String, BackupInfo>,
    /// Table names `list-tables` names, with their region (to say which are missing).
    pub listed_tables: Vec<(String, String)>,
    pub notes: Vec<String>,
    /// The newest time any document mentions (a fallback for the export's time).
    pub newest: Option<i64>,
}

fn s(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn opt_s(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

/// The region an ARN names (`arn:aws:kms:eu-west-1:1111:key/x` → `eu-west-1`).
pub fn arn_region(arn: &str) -> Option<String> {
    let r = arn.split(':').nth(3)?;
    (!r.is_empty()).then(|| r.to_string())
}

impl Export {
    /// A moment that has happened by the time of the export (a creation, an inaccessible
    /// or archival date): the newest one stands in for the export's time when it is not
    /// recorded.
    fn time(&mut self, v: Option<&Value>) -> Option<i64> {
        let t = v.and_then(stamp::millis);
        if let Some(t) = t {
            self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
        }
        t
    }

    /// A date that may lie ahead of the export (DeletionDate, ValidTo).
    fn future(v: Option<&Value>) -> Option<i64> {
        v.and_then(stamp::millis)
    }

    /// Recognise one document by its top-level fields.
    pub fn add(&mut self, doc: &Document) {
        let v = &doc.value;
        let file = shown(&doc.file);
        let Some(obj) = v.as_object() else {
            self.notes.push(format!(
                "{file}: JSON, but not an AWS CLI response (skipped)"
            ));
            return;
        };
        if let Some(m) = obj.get("RewrapExport") {
            self.exported_at = m.get("ExportedAt").and_then(stamp::millis);
        } else if let Some(m) = obj.get("KeyMetadata") {
            self.add_key(m, doc);
        } else if let Some(list) = obj.get("Keys").and_then(Value::as_array) {
            for k in list {
                let arn = s(k, "KeyArn");
                self.listed_keys
                    .push((s(k, "KeyId"), arn_region(&arn).unwrap_or_default()));
            }
        } else if let Some(list) = obj.get("Aliases").and_then(Value::as_array) {
            for a in list {
                if let Some(target) = opt_s(a, "TargetKeyId") {
                    let region = arn_region(&s(a, "AliasArn")).unwrap_or_default();
                    self.aliases.push((s(a, "AliasName"), target, region));
                }
            }
        } else if let Some(list) = obj.get("Grants").and_then(Value::as_array) {
            self.add_grants(list, doc);
        } else if obj.contains_key("KeyRotationEnabled") {
            self.add_rotation(v, doc);
        } else if let Some(t) = obj.get("Table") {
            self.add_table(t, &file);
        } else if let Some(list) = obj.get("TableNames").and_then(Value::as_array) {
            // list-tables names no region: the document's neighbours do, through the ARNs of
            // the tables described; recorded without one.
            for n in list.iter().filter_map(Value::as_str) {
                self.listed_tables.push((n.to_string(), String::new()));
            }
        } else if let Some(list) = obj.get("BackupSummaries").and_then(Value::as_array) {
            for b in list {
                self.add_backup_summary(b);
            }
        } else if let Some(d) = obj.get("BackupDescription") {
            self.add_backup_description(d);
        } else if obj.contains_key("ContinuousBackupsDescription") {
            // Point-in-time recovery: which key protects its history is undocumented
            // (aws-behaviour.md #94); rewrap does not model it.
        } else {
            let mut fields: Vec<&str> = obj.keys().map(String::as_str).take(4).collect();
            fields.sort_unstable();
            self.notes.push(format!(
                "{file}: not a response rewrap reads (fields {}): skipped",
                fields.join(", ")
            ));
        }
    }

    fn add_key(&mut self, m: &Value, doc: &Document) {
        let arn = s(m, "Arn");
        let key_id = s(m, "KeyId");
        if key_id.is_empty() {
            self.notes.push(format!(
                "{}: KeyMetadata without a KeyId (skipped)",
                shown(&doc.file)
            ));
            return;
        }
        let deletion_date = Self::future(m.get("DeletionDate"));
        let valid_to = Self::future(m.get("ValidTo"));
        self.time(m.get("CreationDate"));
        let rotation = self.keys.get(&key_id).and_then(|k| k.rotation);
        let info = KeyInfo {
            region: arn_region(&arn).unwrap_or_default(),
            key_id: key_id.clone(),
            arn,
            state: s(m, "KeyState"),
            deletion_date,
            origin: s(m, "Origin"),
            valid_to,
            manager: s(m, "KeyManager"),
            spec: opt_s(m, "KeySpec")
                .or_else(|| opt_s(m, "CustomerMasterKeySpec"))
                .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into()),
            usage: opt_s(m, "KeyUsage").unwrap_or_else(|| "ENCRYPT_DECRYPT".into()),
            custom_store: opt_s(m, "CustomKeyStoreId").is_some(),
            multi_region: m
                .get("MultiRegion")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            rotation,
        };
        self.keys.insert(key_id, info);
    }

    fn add_grants(&mut self, list: &[Value], doc: &Document) {
        let mut keys: Vec<String> = Vec::new();
        for g in list {
            let key_id = s(g, "KeyId");
            let key_id = key_id.rsplit('/').next().unwrap_or_default().to_string();
            let table = g
                .get("Constraints")
                .and_then(|c| c.get("EncryptionContextSubset"))
                .and_then(|c| c.get("aws:dynamodb:tableName"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let dynamodb = s(g, "GranteePrincipal").starts_with("dynamodb.")
                || g.get("Constraints")
                    .and_then(|c| c.get("EncryptionContextSubset"))
                    .is_some_and(|c| c.get("aws:dynamodb:subscriberId").is_some());
            if !key_id.is_empty() && !keys.contains(&key_id) {
                keys.push(key_id.clone());
            }
            self.grants.push(GrantInfo {
                key_id,
                table,
                dynamodb,
            });
        }
        // An empty list names no key: the file it came from does (export.sh names it so).
        if keys.is_empty()
            && let Some(id) = self.key_named_in_file(doc)
        {
            keys.push(id);
        }
        self.grants_of.extend(keys);
    }

    fn add_rotation(&mut self, v: &Value, doc: &Document) {
        let enabled = v
            .get("KeyRotationEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let period = v.get("RotationPeriodInDays").and_then(Value::as_i64);
        let id = opt_s(v, "KeyId")
            .map(|k| k.rsplit('/').next().unwrap_or_default().to_string())
            .or_else(|| self.key_named_in_file(doc));
        match id {
            Some(id) => {
                self.keys
                    .entry(id.clone())
                    .or_insert_with(|| KeyInfo {
                        key_id: id,
                        ..KeyInfo::default()
                    })
                    .rotation = Some((enabled, period));
            }
            None => self.notes.push(format!(
                "{}: a rotation status that names no key (skipped)",
                shown(&doc.file)
            )),
        }
    }

    /// A key id (a UUID `list-keys` or `describe-key` named) that the file's name contains.
    fn key_named_in_file(&self, doc: &Document) -> Option<String> {
        let name = doc.file.file_name()?.to_string_lossy().to_string();
        self.keys
            .keys()
            .cloned()
            .chain(self.listed_keys.iter().map(|(k, _)| k.clone()))
            .find(|k| !k.is_empty() && name.contains(k.as_str()))
    }

    fn add_table(&mut self, t: &Value, file: &str) {
        let name = s(t, "TableName");
        if name.is_empty() {
            self.notes
                .push(format!("{file}: a Table without a TableName (skipped)"));
            return;
        }
        let region = arn_region(&s(t, "TableArn")).unwrap_or_default();
        let sse = match t.get("SSEDescription") {
            Some(d) if s(d, "SSEType") == "KMS" || d.get("KMSMasterKeyArn").is_some() => Some((
                s(d, "Status"),
                opt_s(d, "KMSMasterKeyArn"),
                self.time(d.get("InaccessibleEncryptionDateTime")),
            )),
            _ => None,
        };
        let archival = t.get("ArchivalSummary").map(|a| {
            (
                self.time(a.get("ArchivalDateTime")),
                opt_s(a, "ArchivalBackupArn"),
            )
        });
        let mut replicas = Vec::new();
        for r in t
            .get("Replicas")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let since = self.time(r.get("ReplicaInaccessibleDateTime"));
            replicas.push(ReplicaInfo {
                region: s(r, "RegionName"),
                status: s(r, "ReplicaStatus"),
                key: opt_s(r, "KMSMasterKeyId"),
                inaccessible_since: since,
            });
        }
        self.time(t.get("CreationDateTime"));
        self.tables.push(TableInfo {
            name,
            region,
            status: s(t, "TableStatus"),
            sse,
            archival,
            replicas,
            strong_consistency: s(t, "MultiRegionConsistency") == "STRONG",
            file: file.to_string(),
        });
    }

    fn backup_entry(&mut self, arn: &str) -> &mut BackupInfo {
        self.backups
            .entry(arn.to_string())
            .or_insert_with(|| BackupInfo {
                arn: arn.to_string(),
                region: arn_region(arn).unwrap_or_default(),
                ..BackupInfo::default()
            })
    }

    fn add_backup_summary(&mut self, b: &Value) {
        let arn = s(b, "BackupArn");
        if arn.is_empty() {
            return;
        }
        let created = self.time(b.get("BackupCreationDateTime"));
        let e = self.backup_entry(&arn);
        e.name = s(b, "BackupName");
        e.table = s(b, "TableName");
        e.backup_type = s(b, "BackupType");
        e.status = s(b, "BackupStatus");
        e.created = e.created.or(created);
    }

    fn add_backup_description(&mut self, d: &Value) {
        let details = d.get("BackupDetails").cloned().unwrap_or(Value::Null);
        let arn = s(&details, "BackupArn");
        if arn.is_empty() {
            return;
        }
        let created = self.time(details.get("BackupCreationDateTime"));
        let source = d.get("SourceTableDetails").cloned().unwrap_or(Value::Null);
        let key = d.get("SourceTableFeatureDetails").map(|f| {
            f.get("SSEDescription")
                .filter(|sse| s(sse, "SSEType") == "KMS" || sse.get("KMSMasterKeyArn").is_some())
                .and_then(|sse| opt_s(sse, "KMSMasterKeyArn"))
        });
        let e = self.backup_entry(&arn);
        e.name = opt_s(&details, "BackupName").unwrap_or_else(|| e.name.clone());
        e.backup_type = opt_s(&details, "BackupType").unwrap_or_else(|| e.backup_type.clone());
        e.status = opt_s(&details, "BackupStatus").unwrap_or_else(|| e.status.clone());
        e.table = opt_s(&source, "TableName").unwrap_or_else(|| e.table.clone());
        e.created = created.or(e.created);
        if key.is_some() {
            e.key = key;
        }
    }
}
