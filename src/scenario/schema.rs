//! A JSON Schema of the scenario file (`rewrap schema`), so TOML editors that read one (Taplo /
//! Even Better TOML, through a `#:schema` line) complete field names and flag unknown ones. It
//! describes the file's shape (fields, types, the names of actions and of fixed values); what
//! only loading can tell (a key that is not declared, a time that goes back) stays with
//! `rewrap check`. Its field lists follow `raw.rs`; a test holds the two together.

// `json!` serializes what it is given by reference: taking the parts by value keeps the
// builders readable at their call sites.
#![allow(clippy::needless_pass_by_value)]

use serde_json::{Value, json};

use crate::engine::vocab::Verb;

fn text(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn one_of(values: &[&str], description: &str) -> Value {
    json!({ "type": "string", "enum": values, "description": description })
}

fn count(description: &str) -> Value {
    json!({ "type": "integer", "minimum": 0, "description": description })
}

/// `{ name = value, ... }` with string values.
fn names_to(values: Value, description: &str) -> Value {
    json!({ "type": "object", "additionalProperties": values, "description": description })
}

fn object(properties: Value, required: &[&str], description: &str) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
        "description": description,
    })
}

fn expect() -> Value {
    object(
        json!({
            "outcome": one_of(&["ok", "error"], "the step's read, write or action succeeded or failed"),
            "error": text("the error name the step got (DynamoDB's or KMS's)"),
            "kms_error": text("the KMS error behind a failed step"),
            "table": text("TableStatus of the step's table: active, inaccessible, archiving, archived"),
            "sse": text("SSE status: enabled or updating"),
            "wrapped_by": text("the KMS key that wraps the table's current table key"),
            "keys": names_to(json!({"type": "string"}), "KMS key id = its state"),
            "key_state": names_to(json!({"type": "string"}), "another name for keys"),
            "cached": names_to(json!({"type": "string"}), "principal#connection = the table key it holds, or none"),
            "recoverable": { "type": "boolean", "description": "the table's data can still be decrypted by someone" },
            "tables": names_to(json!({"type": "string"}), "table name = its status"),
            "grant": text("DynamoDB's grant on the table's key: active or revoked"),
            "kms_calls": names_to(json!({"type": "integer", "minimum": 0}), "operation or operation:key = calls so far"),
            "replicas": names_to(json!({"type": "string"}), "region = ReplicaStatus"),
            "backups": names_to(json!({"type": "string"}), "backup name = its state"),
        }),
        &[],
        "what must hold after the step (`rewrap check` verifies it)",
    )
}

fn table() -> Value {
    object(
        json!({
            "name": text("the table's name (default Orders)"),
            "key": text("the KMS key that wraps its table key: a declared key id, or aws-owned"),
            "deks": count("how many data encryption keys"),
            "items": count("how many items"),
            "replica": {
                "type": "array",
                "description": "version 2: global-table replicas in other regions",
                "items": object(
                    json!({
                        "region": text("the replica's region"),
                        "key": text("its KMS key, in that region"),
                        "status": one_of(&["active", "inaccessible", "removed"], "version 3: its status at the start"),
                        "since": text("version 3: since when, before the start: \"-20h\""),
                    }),
                    &["region", "key"],
                    "a replica",
                ),
            },
            "status": one_of(&["active", "inaccessible", "archived"], "version 3: its status at the start"),
            "since": text("version 3: since when, before the start: \"-2d\""),
            "switching_to": text("version 3: a key change under way at the start, to this key"),
            "grant": one_of(&["active", "revoked"], "version 3: DynamoDB's grant on its key at the start"),
        }),
        &["key"],
        "a DynamoDB table encrypted with a KMS key",
    )
}

fn step() -> Value {
    let verbs: Vec<&str> = Verb::ALL.iter().map(|v| v.name()).collect();
    object(
        json!({
            "at": text("when: \"90s\", \"7d 1h\", or \"+5m\" after the previous step"),
            "do": one_of(&verbs, "the action"),
            "principal": text("who reads or writes"),
            "connection": {
                "description": "which connection (0-based), or \"all\"",
                "anyOf": [{ "type": "integer", "minimum": 0 }, { "type": "string", "enum": ["all"] }],
            },
            "key": text("the KMS key the action is about"),
            "days": count("schedule-key-deletion's waiting period, 7 to 30"),
            "expires": text("import-key-material: how long the material stays valid"),
            "new_material": { "type": "boolean", "description": "import-key-material: new material to rotate in on demand" },
            "note": text("the narration shown at this step"),
            "say": text("presenting: what the presenter says (speaker notes only)"),
            "after": text("presenting: the explanation after the question's reveal"),
            "every": text("repeat the step this often"),
            "until": text("repeat the step until this time"),
            "expect": expect(),
            "id": text("a name for the step (play --at ID)"),
            "ask": object(
                json!({
                    "prompt": text("the question to the room"),
                    "choices": {
                        "type": "array",
                        "items": object(
                            json!({ "text": text("the choice"), "expect": expect() }),
                            &["text", "expect"],
                            "a choice, right when its expect holds",
                        ),
                    },
                }),
                &["prompt", "choices"],
                "presenting: a question the simulation answers",
            ),
            "table": text("version 2: the table the step acts on (default the first)"),
            "region": text("version 2: the replica's region a read, write or backup goes to; on change-table-key, the replica whose key changes (ReplicaUpdates)"),
            "backup": text("version 2: the backup a backup makes or a restore reads"),
            "to": text("version 2: the table a restore makes"),
        }),
        &["at", "do"],
        "one timed action",
    )
}

/// The schema, as one JSON value.
pub fn json_schema() -> Value {
    let duration = |d: &str| text(d);
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "rewrap scenario",
        "description": "A rewrap scenario file: the starting world and a timed list of steps (rewrap docs).",
        "type": "object",
        "additionalProperties": false,
        "required": ["title", "table"],
        "properties": {
            "title": text("shown in the header"),
            "summary": text("shown before the first step"),
            "talk": duration("presenting: the talk's target length, \"15m\""),
            "seed": { "type": "integer", "description": "every key, nonce and choice derives from it" },
            "end": duration("run on to this time after the last step"),
            "assumptions": object(
                json!({
                    "cache_refresh": duration("table-key cache lifetime (default 5m)"),
                    "detection": duration("how long DynamoDB takes to notice a key change"),
                    "archive_after": duration("inaccessible this long, the table is archived (default 7d)"),
                    "archive_duration": duration("how long archiving takes"),
                    "rewrap_per_dek": duration("the re-wrap's time per DEK"),
                    "deletion_delay": duration("how late a scheduled deletion runs"),
                    "propagation": duration("how long a key change takes to reach every KMS endpoint"),
                    "pending_deletion_error": text("the error a request on a PendingDeletion key gets"),
                    "grant_recreate": text("whether create-grant may restore DynamoDB's grant"),
                    "replica_removal_after": duration("an inaccessible replica leaves its group after this"),
                    "on_demand_rotation_limit": count("on-demand rotations per key (default 25)"),
                }),
                &[],
                "choices AWS does not document, with defaults",
            ),
            "key": {
                "type": "array",
                "items": object(
                    json!({
                        "id": text("the key's id, lowercase, digits and dashes"),
                        "kind": one_of(&["customer-managed", "aws-managed"], "who manages it"),
                        "state": one_of(&["enabled", "disabled", "pending-deletion", "pending-import"], "its state at the start"),
                        "deletion_in": text("version 3: pending-deletion: time left until its DeletionDate, \"5d 3h\""),
                        "rotation_days": count("automatic rotation period"),
                        "allow": { "type": "array", "items": { "type": "string" }, "description": "principals the key policy allows (default all)" },
                        "origin": one_of(&["aws-kms", "external"], "external: imported key material"),
                        "expires": text("imported material's validity"),
                        "region": text("version 2: the key's region"),
                    }),
                    &["id"],
                    "a KMS key",
                ),
            },
            "table": {
                "description": "[table], or [[table]] several times (version 2)",
                "anyOf": [table(), { "type": "array", "items": table() }],
            },
            "principal": {
                "type": "array",
                "items": object(
                    json!({ "name": text("the principal's name"), "connections": count("its connections, each with its own cache") }),
                    &["name"],
                    "an application reading and writing",
                ),
            },
            "backup": {
                "type": "array",
                "description": "version 3: backups taken before the start",
                "items": object(
                    json!({
                        "name": text("the backup's name"),
                        "table": text("the declared table it was taken from"),
                        "key": text("the KMS key a restore needs (default: the table's)"),
                        "taken": text("when, before the start: \"-40d\""),
                        "kind": one_of(&["user", "system", "aws-backup"], "BackupType: on-demand, DynamoDB's own, AWS Backup's"),
                    }),
                    &["name", "table"],
                    "a backup",
                ),
            },
            "step": { "type": "array", "items": step() },
            "lab": lab(),
        },
    })
}

/// `[lab]`: a goal the simulation checks while an attendee drives.
fn lab() -> Value {
    let steps = |d: &str| json!({ "type": "array", "items": step(), "description": d });
    object(
        json!({
            "briefing": text("what the attendee is told first"),
            "goal": expect(),
            "never": {
                "description": "invariants: the lab fails the moment one holds (a list, or a table of named ones)",
                "anyOf": [
                    { "type": "array", "items": expect() },
                    { "type": "object", "additionalProperties": expect() },
                ],
            },
            "deadline": text("the goal must hold by this simulated time, \"7d 1h\""),
            "hints": { "type": "array", "items": { "type": "string" }, "description": "revealed one at a time (H)" },
            "debrief": text("the lesson, shown once solved"),
            "table": text("the table the goal speaks about (default the first; may be one a restore makes)"),
            "region": text("the region of the table's copy the goal speaks about (default the table's own; a replica's region: that replica)"),
            "go_to": { "type": "boolean", "description": "the live view's go-to-time key is on (default true)" },
            "solution": steps("the reference solution's actions, like [[step]]"),
            "wrong": {
                "type": "array",
                "description": "known wrong attempts, each failing for the reason it states",
                "items": object(
                    json!({
                        "name": text("a name, a-z 0-9 -"),
                        "why": text("the misconception it encodes"),
                        "fails": text("an invariant's name, deadline, or unsolved"),
                        "step": steps("its actions, like [[step]]"),
                    }),
                    &["name", "why", "fails"],
                    "a known wrong attempt",
                ),
            },
            "attempt": steps("an attendee's actions, as `rewrap lab` saves them"),
        }),
        &["briefing", "goal", "debrief"],
        "a lab: a goal the simulation checks while an attendee drives",
    )
}
