//! The simulator: KMS keys, DynamoDB tables (and their replicas, backups and restores),
//! per-connection table-key caches, the re-wrap job, all driven by a logical, discrete-event
//! clock.
//!
//! The engine never reads the wall clock, never does I/O and draws all randomness from one
//! seeded RNG, so the same world, seed and commands give a byte-identical event log. Advancing
//! 30 days jumps from scheduled event to scheduled event, so it is instant.

mod agenda;
mod audit;
pub mod backup;
pub mod binding;
mod build;
pub mod cache;
pub mod command;
pub mod crypto;
pub mod crypto_batch;
pub mod event;
pub mod ids;
mod initial;
pub mod items;
pub mod job;
mod key_lifecycle;
pub mod key_rules;
pub mod kms;
mod kms_call;
mod kms_state;
pub mod log;
mod quota;
pub mod replica;
mod requests;
mod restore;
mod rewrap;
pub mod rng;
mod schedule;
mod secrets;
mod state;
pub mod status;
pub mod table;
mod table_lifecycle;
pub mod tamper;
pub mod time;
pub mod view;
pub mod vocab;
pub mod world;

pub use command::Command;
use schedule::Scheduled;
pub use status::Milestones;
use table::TableIx;
pub use tamper::{AuditError, Tamper};
use vocab::KmsOp;
pub use world::{
    Assumptions, BackupKind, BackupSpec, DEFAULT_REGION, KeySpec, KeyStartsAs, PrincipalSpec,
    ReplicaSpec, StartStatus, TableSpec, TableStart, WorldSpec,
};

use std::collections::BTreeSet;

use rand::Rng;
use rng::SimRng;

use event::{Caller, Event, EventKind};
use ids::{KmsKeyId, TableKeyId};
use kms::{KeyKind, KeyState, KmsKey};
use kms_call::KmsCallSpec;
use table::{CacheEntry, Table, TableKey};
use time::SimTime;
use vocab::Purpose;

/// Re-wraps of more DEKs than this log ranges of DEKs instead of one line per DEK.
pub const RANGE_LOG_ABOVE: u32 = 4_096;
/// DEKs per range line in a large re-wrap.
pub const RANGE_LOG_SIZE: u32 = 1_024;

/// A problem with the world description itself.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("table key `{0}` is not a declared KMS key")]
    UnknownTableKey(KmsKeyId),
    #[error("the table needs at least one DEK")]
    NoDeks,
    #[error("table key `{0}` is {1}: a table cannot be created under it")]
    TableKeyUnusable(KmsKeyId, &'static str),
}

/// The simulated world.
#[derive(Clone, Debug)]
pub struct Engine {
    now: SimTime,
    rng: SimRng,
    assumptions: Assumptions,
    kms: state::KmsWorld,
    dynamo: state::DynamoWorld,
    agenda: state::Agenda,
    trail: state::Trail,
}

impl Engine {
    /// Build the starting world at time zero: keys, the table with T1, its DEKs and items.
    pub fn new(spec: &WorldSpec) -> Result<Self, EngineError> {
        if spec.tables.is_empty() || spec.tables.iter().any(|t| t.deks == 0) {
            return Err(EngineError::NoDeks);
        }
        let mut rng = SimRng::seed_from_u64(spec.seed);
        let keys = Self::build_keys(spec, &mut rng);
        // Each table in file order: its own table key T1 under its KMS key, DEKs, items and
        // caches, and its name in the encryption context (aws-behaviour.md #73, 75).
        let mut tables = Vec::with_capacity(spec.tables.len());
        for t in &spec.tables {
            tables.push(Self::build_table(t, &keys, &spec.principals, &mut rng)?);
        }
        // Then every global-table replica (aws-behaviour.md #51): a table of its own in its region, with
        // its own table key under its own KMS key, its own DEKs, the same items.
        for (i, t) in spec.tables.iter().enumerate() {
            for r in &t.replicas {
                let copy = TableSpec {
                    name: t.name.clone(),
                    key: r.key.clone(),
                    deks: t.deks,
                    items: t.items,
                    replicas: Vec::new(),
                    start: r.start.clone(),
                };
                let mut table = Self::build_table(&copy, &keys, &spec.principals, &mut rng)?;
                table.region.clone_from(&r.region);
                table.replica_of = Some(TableIx(i));
                tables.push(table);
            }
        }
        let mut engine = Self {
            now: SimTime::ZERO,
            rng,
            assumptions: spec.assumptions.clone(),
            kms: state::KmsWorld {
                keys,
                principals: spec.principals.clone(),
                keys_deleted: Vec::new(),
                key_changes: 0,
            },
            dynamo: state::DynamoWorld {
                tables,
                backups: Vec::new(),
            },
            agenda: state::Agenda::default(),
            trail: state::Trail::default(),
        };
        // Version 3: backups taken before the start (while every key can still wrap), then
        // the keys' declared starting states, then the tables' (aws-behaviour.md #106).
        engine.build_earlier_backups(spec)?;
        engine.set_starting_key_states(spec);
        engine.announce_world(spec, TableKeyId(1));
        engine.start_mid_story(spec);
        Ok(engine)
    }

    /// One table as it starts: T1 generated under its KMS key, its DEKs and items, one cache
    /// entry per (principal, connection).
    fn build_table(
        spec: &super::engine::world::TableSpec,
        keys: &[KmsKey],
        principals: &[PrincipalSpec],
        rng: &mut SimRng,
    ) -> Result<Table, EngineError> {
        let table_kms = keys
            .iter()
            .position(|k| k.id == spec.key)
            .ok_or_else(|| EngineError::UnknownTableKey(spec.key.clone()))?;
        if keys[table_kms].state != KeyState::Enabled || keys[table_kms].is_deleted() {
            return Err(EngineError::TableKeyUnusable(
                spec.key.clone(),
                keys[table_kms].state.name(),
            ));
        }
        let account = "111122223333".to_string();
        let table_id = format!("{}-{:08x}", spec.name, rng.next_u32());
        let context = format!(
            "aws:dynamodb:subscriberId={account},aws:dynamodb:tableName={}",
            spec.name
        )
        .into_bytes();
        let (t1_plain, t1_blob) = keys[table_kms]
            .generate_data_key(rng, &table::table_key_aad(&context, TableKeyId(1)))
            .map_err(|_| EngineError::TableKeyUnusable(spec.key.clone(), "unusable"))?;
        let t1 = TableKeyId(1);
        let (deks, items) = Self::build_deks_and_items(
            rng, &t1_plain, &table_id, &spec.name, spec.deks, spec.items,
        );
        drop(t1_plain);
        Ok(Table::new(
            table::TableIdent {
                name: spec.name.clone(),
                account,
                table_id,
                context,
                region: keys[table_kms].region.clone(),
                created_at: SimTime::ZERO,
            },
            TableKey {
                id: t1,
                kms_key: spec.key.clone(),
                wrapped: t1_blob,
                created_at: SimTime::ZERO,
                retired_at: None,
            },
            deks,
            items,
            Self::build_cache(principals),
        ))
    }

    /// The creation events: keys (the AWS owned key only if the table uses it), their rotation
    /// schedules, and the KMS calls of CreateTable.
    fn announce_world(&mut self, spec: &WorldSpec, t1: TableKeyId) {
        for ix in 0..self.kms.keys.len() {
            let k = &self.kms.keys[ix];
            let created = EventKind::KeyCreated {
                key: k.id.clone(),
                key_kind: k.kind.label(),
                state: k.state,
                rotation_days: k.rotation.map(|r| r.period_days),
            };
            let visible = k.kind != KeyKind::AwsOwned
                || spec
                    .tables
                    .iter()
                    .any(|t| t.key == k.id || t.replicas.iter().any(|r| r.key == k.id));
            let rotation = k.rotation;
            if visible {
                self.emit(None, created);
            }
            if let Some(r) = rotation {
                self.schedule(
                    r.next_at,
                    Scheduled::Rotation {
                        key: ix,
                        due: r.next_at,
                    },
                );
            }
            if let Some(kms::Imported {
                expires_at: Some(at),
                generation,
                ..
            }) = self.kms.keys[ix].imported
            {
                self.schedule(
                    at,
                    Scheduled::MaterialExpiry {
                        key: ix,
                        generation,
                    },
                );
            }
        }
        for i in 0..self.dynamo.tables.len() {
            let tx = Some(TableIx(i));
            let t = &self.dynamo.tables[i];
            let kms_id = t.current_kms_key().clone();
            let (name, deks, items) = (t.name.clone(), t.deks.len() as u32, t.items.len() as u64);
            self.log_kms(
                KmsCallSpec::new(
                    KmsOp::DescribeKey,
                    &kms_id,
                    Caller::Admin,
                    Purpose::TableCreation,
                )
                .table(tx),
            );
            self.log_kms(
                KmsCallSpec::new(
                    KmsOp::CreateGrant,
                    &kms_id,
                    Caller::Admin,
                    Purpose::TableCreation,
                )
                .table(tx),
            );
            self.log_kms(
                KmsCallSpec::new(
                    KmsOp::GenerateDataKey,
                    &kms_id,
                    Caller::Service,
                    Purpose::FirstTableKey,
                )
                .table(tx)
                .version(1),
            );
            self.emit(
                tx,
                EventKind::TableCreated {
                    table: name,
                    key: kms_id,
                    table_key: t1,
                    deks,
                    items,
                },
            );
        }
    }

    // ----- queries -------------------------------------------------------------------------

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn log(&self) -> &log::Chunked<Event> {
        &self.trail.log
    }
    pub fn assumptions(&self) -> &Assumptions {
        &self.assumptions
    }
    /// The first table (the one a step without `table =` speaks about), named so: anything
    /// about a particular table takes its `TableIx`.
    pub fn first_table(&self) -> &Table {
        &self.dynamo.tables[0]
    }

    /// Every table of the world.
    pub fn tables(&self) -> &[Table] {
        &self.dynamo.tables
    }
    /// The KMS keys, in declaration order, then the AWS owned key.
    pub fn keys(&self) -> &[KmsKey] {
        &self.kms.keys
    }
    pub fn key(&self, id: &KmsKeyId) -> Option<&KmsKey> {
        self.kms.keys.iter().find(|k| &k.id == id)
    }
    pub fn principals(&self) -> &[PrincipalSpec] {
        &self.kms.principals
    }
    /// Table `tx`'s cache entries.
    pub fn cache_entries(&self, tx: TableIx) -> &[CacheEntry] {
        &self.dynamo.tables[tx.0].cache
    }
    /// Let go of every table's items and DEKs: for a world about to be replaced by one rebuilt
    /// from the start (a step back in a world too large for snapshots), so the two are never in
    /// memory together. The engine is unusable afterwards; only drop or replace it.
    pub fn release_bulk(&mut self) {
        for t in &mut self.dynamo.tables {
            t.release_bulk();
        }
    }

    /// Table `tx`'s "when exactly" answers: its first failed read, when it became
    /// inaccessible, archiving, archived, unrecoverable, and every key deleted so far.
    pub fn milestones(&self, tx: TableIx) -> Milestones {
        let mut m = self.dynamo.tables[tx.0].milestones.clone();
        m.keys_deleted.clone_from(&self.kms.keys_deleted);
        m
    }

    /// When key `id` was deleted, if it was.
    pub fn key_deleted_at(&self, id: &KmsKeyId) -> Option<SimTime> {
        self.kms
            .keys_deleted
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, at)| *at)
    }

    /// Is table `tx`'s data still recoverable (the material wrapping its current table key
    /// exists)?
    pub fn recoverable(&self, tx: TableIx) -> bool {
        self.material_alive(self.dynamo.tables[tx.0].current_kms_key())
    }

    fn material_alive(&self, id: &KmsKeyId) -> bool {
        self.key(id).is_some_and(|k| !k.is_deleted())
    }

    fn key_ix(&self, id: &KmsKeyId) -> Option<usize> {
        self.kms.keys.iter().position(|k| &k.id == id)
    }
}

#[cfg(test)]
mod fidelity_tests;
#[cfg(test)]
mod tests;
