//! The raw shape of a scenario file, as serde reads it: every field optional where the format
//! allows, unknown fields refused, and spans kept for file:line:col diagnostics.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) title: Option<Spanned<String>>,
    pub(super) summary: Option<String>,
    /// Presenting: the talk's target length (`"15m"`); the speaker notes say how far ahead or
    /// behind the presenter is.
    pub(super) talk: Option<Spanned<String>>,
    pub(super) seed: Option<Spanned<i64>>,
    pub(super) end: Option<Spanned<String>>,
    pub(super) assumptions: Option<RawAssumptions>,
    #[serde(default)]
    pub(super) key: Vec<RawKey>,
    /// `[table]` (one) or `[[table]]` (several, version 2).
    pub(super) table: Option<Spanned<RawTables>>,
    #[serde(default)]
    pub(super) principal: Vec<RawPrincipal>,
    /// Version 3: backups taken before the start.
    #[serde(default)]
    pub(super) backup: Vec<Spanned<RawBackup>>,
    #[serde(default)]
    pub(super) step: Vec<Spanned<RawStep>>,
    /// Labs: a goal the simulation checks while an attendee drives (docs/scenario-format.md).
    pub(super) lab: Option<Spanned<RawLab>>,
}

/// `[lab]`: a goal, invariants, a deadline, hints, and the attempts that prove the lab.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLab {
    pub(super) briefing: Spanned<String>,
    pub(super) goal: Spanned<RawExpect>,
    pub(super) never: Option<Spanned<RawNever>>,
    pub(super) deadline: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) hints: Vec<Spanned<String>>,
    pub(super) debrief: Spanned<String>,
    /// The table the goal and invariants speak about (default: the first; may name a table a
    /// restore will make).
    pub(super) table: Option<Spanned<String>>,
    /// The region of the table's copy the goal and invariants speak about (default: the
    /// table's own region; a replica's region makes them speak about that replica).
    pub(super) region: Option<Spanned<String>>,
    /// Whether the live view's "go to time" key is on (default true).
    pub(super) go_to: Option<Spanned<bool>>,
    /// `[[lab.solution]]`: the reference solution's actions.
    #[serde(default)]
    pub(super) solution: Vec<Spanned<RawStep>>,
    /// `[[lab.wrong]]`: known wrong attempts, each failing for a stated reason.
    #[serde(default)]
    pub(super) wrong: Vec<Spanned<RawWrong>>,
    /// `[[lab.attempt]]`: an attendee's actions (what `w` in `rewrap lab` saves).
    #[serde(default)]
    pub(super) attempt: Vec<Spanned<RawStep>>,
}

/// `[[lab.wrong]]`: a wrong attempt, the misconception it encodes, and why it must fail.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWrong {
    pub(super) name: Spanned<String>,
    pub(super) why: Spanned<String>,
    pub(super) fails: Spanned<String>,
    #[serde(default)]
    pub(super) step: Vec<Spanned<RawStep>>,
}

/// `never = [ {...}, ... ]` (named never-1, never-2, …) or `[lab.never]` with a name per entry.
pub(super) enum RawNever {
    List(Vec<Spanned<RawExpect>>),
    Named(Vec<(Spanned<String>, Spanned<RawExpect>)>),
}

impl<'de> Deserialize<'de> for RawNever {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawNever;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of expectations, or a table of named ones")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawNever, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = map.next_entry::<Spanned<String>, Spanned<RawExpect>>()? {
                    v.push(e);
                }
                Ok(RawNever::Named(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawNever, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = seq.next_element::<Spanned<RawExpect>>()? {
                    v.push(e);
                }
                Ok(RawNever::List(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// One `[table]`, or `[[table]]` several times.
pub(super) enum RawTables {
    One(Box<RawTable>),
    Many(Vec<Spanned<RawTable>>),
}

impl<'de> Deserialize<'de> for RawTables {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawTables;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a [table] or [[table]] section")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawTables, A::Error> {
                RawTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|t| RawTables::One(Box::new(t)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawTables, A::Error> {
                let mut v = Vec::new();
                while let Some(t) = seq.next_element::<Spanned<RawTable>>()? {
                    v.push(t);
                }
                Ok(RawTables::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAssumptions {
    pub(super) cache_refresh: Option<Spanned<String>>,
    pub(super) detection: Option<Spanned<String>>,
    pub(super) archive_after: Option<Spanned<String>>,
    pub(super) archive_duration: Option<Spanned<String>>,
    pub(super) rewrap_per_dek: Option<Spanned<String>>,
    pub(super) deletion_delay: Option<Spanned<String>>,
    pub(super) propagation: Option<Spanned<String>>,
    pub(super) pending_deletion_error: Option<Spanned<String>>,
    pub(super) grant_recreate: Option<Spanned<String>>,
    pub(super) replica_removal_after: Option<Spanned<String>>,
    pub(super) on_demand_rotation_limit: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKey {
    pub(super) id: Spanned<String>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) state: Option<Spanned<String>>,
    pub(super) rotation_days: Option<Spanned<i64>>,
    pub(super) allow: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) origin: Option<Spanned<String>>,
    pub(super) expires: Option<Spanned<String>>,
    pub(super) region: Option<Spanned<String>>,
    /// Version 3: `state = "pending-deletion"`: how long until its DeletionDate.
    pub(super) deletion_in: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    pub(super) name: Option<Spanned<String>>,
    pub(super) key: Spanned<String>,
    pub(super) deks: Option<Spanned<i64>>,
    pub(super) items: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) replica: Vec<Spanned<RawReplica>>,
    /// Version 3: the table's status at the start, since when, a key change under way, and
    /// DynamoDB's grant.
    pub(super) status: Option<Spanned<String>>,
    pub(super) since: Option<Spanned<String>>,
    pub(super) switching_to: Option<Spanned<String>>,
    pub(super) grant: Option<Spanned<String>>,
}

/// Version 2: `[[table.replica]]`, a global-table replica in another region.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReplica {
    pub(super) region: Spanned<String>,
    pub(super) key: Spanned<String>,
    /// Version 3: the replica's status at the start and since when.
    pub(super) status: Option<Spanned<String>>,
    pub(super) since: Option<Spanned<String>>,
}

/// Version 3: `[[backup]]`, a backup taken before the start.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBackup {
    pub(super) name: Spanned<String>,
    pub(super) table: Spanned<String>,
    pub(super) key: Option<Spanned<String>>,
    pub(super) taken: Option<Spanned<String>>,
    pub(super) kind: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrincipal {
    pub(super) name: Spanned<String>,
    pub(super) connections: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawConnection {
    Number(i64),
    Word(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub(super) at: Spanned<String>,
    #[serde(rename = "do")]
    pub(super) action: Spanned<String>,
    pub(super) principal: Option<Spanned<String>>,
    pub(super) connection: Option<Spanned<RawConnection>>,
    pub(super) key: Option<Spanned<String>>,
    pub(super) days: Option<Spanned<i64>>,
    pub(super) expires: Option<Spanned<String>>,
    /// `import-key-material` only: new material to rotate in on demand (aws-behaviour.md #104).
    pub(super) new_material: Option<Spanned<bool>>,
    pub(super) note: Option<String>,
    /// Presenting: what the presenter says at this step (speaker notes only).
    pub(super) say: Option<Spanned<String>>,
    /// Presenting: the explanation to give once this step's question is revealed (speaker
    /// notes only; needs `ask`).
    pub(super) after: Option<Spanned<String>>,
    pub(super) every: Option<Spanned<String>>,
    pub(super) until: Option<Spanned<String>>,
    pub(super) expect: Option<Spanned<RawExpect>>,
    pub(super) id: Option<Spanned<String>>,
    pub(super) ask: Option<Spanned<RawAsk>>,
    pub(super) table: Option<Spanned<String>>,
    pub(super) region: Option<Spanned<String>>,
    pub(super) backup: Option<Spanned<String>>,
    pub(super) to: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAsk {
    pub(super) prompt: Spanned<String>,
    pub(super) choices: Spanned<Vec<Spanned<RawChoice>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChoice {
    pub(super) text: Spanned<String>,
    pub(super) expect: Spanned<RawExpect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    pub(super) outcome: Option<Spanned<String>>,
    pub(super) error: Option<Spanned<String>>,
    pub(super) kms_error: Option<Spanned<String>>,
    pub(super) table: Option<Spanned<String>>,
    pub(super) sse: Option<Spanned<String>>,
    pub(super) wrapped_by: Option<Spanned<String>>,
    /// `key_state` is accepted as another name (labs write goals with it).
    #[serde(alias = "key_state")]
    pub(super) keys: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    pub(super) cached: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    pub(super) recoverable: Option<Spanned<bool>>,
    pub(super) tables: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    pub(super) grant: Option<Spanned<String>>,
    pub(super) kms_calls: Option<Spanned<BTreeMap<Spanned<String>, Spanned<i64>>>>,
    pub(super) replicas: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    pub(super) backups: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
}
