//! Write a scenario back out as TOML: how the TUI saves an exploration (scripted steps plus
//! live actions) so that `rewrap check` can replay it.

use std::fmt::Write as _;

use super::expect::cached_text;
use super::{Action, CheckKind, Field, Repeat, Scenario};
use crate::engine::kms::KeyKind;
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::vocab::Verb;
use crate::engine::{
    Assumptions, BackupKind, Command, KeySpec, KeyStartsAs, StartStatus, TableStart,
};

/// A step to write out.
#[derive(Clone, Debug)]
pub struct StepOut {
    pub at: SimTime,
    pub action: Action,
    pub note: Option<String>,
    /// Presenting: what the presenter says here, and explains after the reveal.
    pub say: Option<String>,
    pub after: Option<String>,
    pub expect: Vec<CheckKind>,
    pub repeat: Option<Repeat>,
    pub id: Option<String>,
    pub ask: Option<super::Ask>,
    /// The table the step acts on, by name, when it is not the first.
    pub table: Option<String>,
    /// The region of the global-table copy a read or write goes to, when not the table's own.
    pub region: Option<String>,
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn dur(d: SimDuration) -> String {
    q(&d.to_exact_string())
}

fn at(t: SimTime) -> String {
    dur(t.since(SimTime::ZERO))
}

/// `ask = { prompt = ..., choices = [ { text = ..., expect = { ... } }, ... ] }`.
fn write_ask(out: &mut String, ask: &super::Ask) {
    let choices: Vec<String> = ask
        .choices
        .iter()
        .map(|c| {
            let kinds: Vec<CheckKind> = c.expect.iter().map(|k| k.kind.clone()).collect();
            format!(
                "  {{ text = {}, expect = {{ {} }} }},",
                q(&c.text),
                expect_fields(&kinds)
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "ask = {{ prompt = {}, choices = [\n{}\n] }}",
        q(&ask.prompt),
        choices.join("\n")
    );
}

/// One table is written `[table]` (version 1); several, `[[table]]` each.
/// Version 3: a table's or replica's state at the start, as the fields that declare it.
/// `status` is written whenever the key is not enabled at the start (the loader asks for it).
fn write_start(out: &mut String, start: &TableStart, key_enabled: bool) {
    let status = match start.status {
        StartStatus::Active => "active",
        StartStatus::Inaccessible => "inaccessible",
        StartStatus::Archived => "archived",
        StartStatus::Removed => "removed",
    };
    if start.status != StartStatus::Active || !key_enabled {
        let _ = writeln!(out, "status = {}", q(status));
    }
    if start.since.0 > 0 {
        let _ = writeln!(
            out,
            "since = {}",
            q(&format!("-{}", start.since.to_exact_string()))
        );
    }
    if let Some(to) = &start.switching_to {
        let _ = writeln!(out, "switching_to = {}", q(to.as_str()));
    }
    if start.grant_revoked {
        let _ = writeln!(out, "grant = \"revoked\"");
    }
}

fn write_tables(out: &mut String, tables: &[crate::engine::TableSpec], keys: &[KeySpec]) {
    let header = if tables.len() == 1 {
        "[table]"
    } else {
        "[[table]]"
    };
    let enabled = |id: &crate::engine::ids::KmsKeyId| {
        keys.iter().find(|k| &k.id == id).is_none_or(|k| k.enabled)
    };
    for t in tables {
        let _ = writeln!(
            out,
            "\n{header}\nname = {}\nkey = {}\ndeks = {}\nitems = {}",
            q(&t.name),
            q(t.key.as_str()),
            t.deks,
            t.items
        );
        write_start(out, &t.start, enabled(&t.key));
        for r in &t.replicas {
            let _ = writeln!(
                out,
                "[[table.replica]]\nregion = {}\nkey = {}",
                q(&r.region),
                q(r.key.as_str())
            );
            write_start(out, &r.start, enabled(&r.key));
        }
    }
}

/// Version 3: `[[backup]]`s taken before the start.
fn write_backups(out: &mut String, w: &crate::engine::WorldSpec) {
    for b in &w.backups {
        let table = w.tables.get(b.table).map_or("", |t| t.name.as_str());
        let _ = writeln!(
            out,
            "\n[[backup]]\nname = {}\ntable = {}\nkey = {}",
            q(&b.name),
            q(table),
            q(b.key.as_str())
        );
        if b.age.0 > 0 {
            let _ = writeln!(
                out,
                "taken = {}",
                q(&format!("-{}", b.age.to_exact_string()))
            );
        }
        if b.kind != BackupKind::User {
            let _ = writeln!(out, "kind = {}", q(b.kind.name()));
        }
    }
}

/// Render a whole scenario file: the original world and `steps` (in time order).
pub fn to_toml(base: &Scenario, title: &str, summary: Option<&str>, steps: &[StepOut]) -> String {
    world_to_toml(
        &base.world,
        &Head {
            title,
            summary,
            end: base.end,
            talk: base.talk,
            assumptions_set: &base.assumptions_set,
        },
        steps,
    )
}

/// The top-level fields of a scenario file besides its world.
pub struct Head<'a> {
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub end: Option<SimTime>,
    pub talk: Option<SimDuration>,
    /// Assumptions written even at their default value.
    pub assumptions_set: &'a std::collections::BTreeSet<&'static str>,
}

/// Render a scenario file from a world (what `rewrap import` builds) and its steps.
pub fn world_to_toml(w: &crate::engine::WorldSpec, head: &Head<'_>, steps: &[StepOut]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "title = {}", q(head.title));
    if let Some(s) = head.summary {
        let _ = writeln!(out, "summary = {}", q(s));
    }
    let _ = writeln!(out, "seed = {}", w.seed);
    if let Some(e) = head.end {
        let _ = writeln!(out, "end = {}", at(e));
    }
    if let Some(t) = head.talk {
        let _ = writeln!(out, "talk = {}", dur(t));
    }
    let a = &w.assumptions;
    let d = Assumptions::default();
    let mut assumptions = String::new();
    for ((name, value, _), (_, default, _)) in a.durations().into_iter().zip(d.durations()) {
        if value != default || head.assumptions_set.contains(name) {
            let _ = writeln!(assumptions, "{name} = {}", dur(value));
        }
    }
    if a.pending_deletion_error != d.pending_deletion_error {
        let _ = writeln!(
            assumptions,
            "pending_deletion_error = {}",
            q(a.pending_deletion_error_name())
        );
    }
    if a.grant_recreate != d.grant_recreate {
        let _ = writeln!(assumptions, "grant_recreate = \"refused\"");
    }
    if a.on_demand_rotation_limit != d.on_demand_rotation_limit {
        let _ = writeln!(
            assumptions,
            "on_demand_rotation_limit = {}",
            a.on_demand_rotation_limit
        );
    }
    if !assumptions.is_empty() {
        let _ = writeln!(out, "\n[assumptions]\n{assumptions}");
    }
    for k in &w.keys {
        let _ = writeln!(out, "\n[[key]]\nid = {}", q(k.id.as_str()));
        if k.kind == KeyKind::AwsManaged {
            let _ = writeln!(out, "kind = \"aws-managed\"");
        }
        match k.starts_as {
            Some(KeyStartsAs::PendingDeletion { deletion_at }) => {
                let _ = writeln!(
                    out,
                    "state = \"pending-deletion\"\ndeletion_in = {}",
                    at(deletion_at)
                );
            }
            Some(KeyStartsAs::PendingImport) => {
                let _ = writeln!(out, "state = \"pending-import\"");
            }
            None if !k.enabled => {
                let _ = writeln!(out, "state = \"disabled\"");
            }
            None => {}
        }
        if let Some(r) = k.rotation_days {
            let _ = writeln!(out, "rotation_days = {r}");
        }
        if let Some(allow) = &k.allow {
            let list: Vec<String> = allow.iter().map(|p| q(p.as_str())).collect();
            let _ = writeln!(out, "allow = [{}]", list.join(", "));
        }
        if k.external {
            let _ = writeln!(out, "origin = \"external\"");
        }
        if k.region != crate::engine::DEFAULT_REGION {
            let _ = writeln!(out, "region = {}", q(&k.region));
        }
        if let Some(e) = k.expires {
            let _ = writeln!(out, "expires = {}", at(e));
        }
    }
    write_tables(&mut out, &w.tables, &w.keys);
    write_backups(&mut out, w);
    for p in &w.principals {
        let _ = writeln!(
            out,
            "\n[[principal]]\nname = {}\nconnections = {}",
            q(p.id.as_str()),
            p.connections
        );
    }
    for s in steps {
        write_step(&mut out, s);
    }
    out
}

/// One `[[step]]` table.
fn write_step(out: &mut String, s: &StepOut) {
    let _ = writeln!(out, "\n[[step]]\nat = {}", at(s.at));
    write_action(out, &s.action);
    if let Some(r) = s.repeat {
        let _ = writeln!(out, "every = {}\nuntil = {}", dur(r.every), at(r.until));
    }
    if let Some(t) = &s.table {
        let _ = writeln!(out, "table = {}", q(t));
    }
    if let Some(r) = &s.region {
        let _ = writeln!(out, "region = {}", q(r));
    }
    if let Some(id) = &s.id {
        let _ = writeln!(out, "id = {}", q(id));
    }
    if let Some(n) = &s.note {
        let _ = writeln!(out, "note = {}", q(n));
    }
    if let Some(t) = &s.say {
        let _ = writeln!(out, "say = {}", q(t));
    }
    if !s.expect.is_empty() {
        let _ = writeln!(out, "expect = {{ {} }}", expect_fields(&s.expect));
    }
    if let Some(ask) = &s.ask {
        write_ask(out, ask);
        if let Some(t) = &s.after {
            let _ = writeln!(out, "after = {}", q(t));
        }
    }
}

/// The fields of one action (`do = ...`, `key = ...`, ...), one per line, as a step writes them.
pub fn command_fields(cmd: &Command) -> String {
    let mut out = String::new();
    write_action(&mut out, &Action::Command(cmd.clone()));
    out
}

fn write_action(out: &mut String, action: &Action) {
    match action {
        Action::EachConnection {
            principal, write, ..
        } => {
            let verb = if *write { Verb::Write } else { Verb::Read };
            let _ = writeln!(
                out,
                "do = \"{verb}\"\nprincipal = {}\nconnection = \"all\"",
                q(principal.as_str())
            );
        }
        Action::Command(c) => {
            let verb = c.verb();
            let (key, principal, connection, days) = match c {
                Command::Read {
                    principal,
                    connection,
                }
                | Command::Write {
                    principal,
                    connection,
                } => (None, Some(principal), Some(connection.0), None),
                Command::ScheduleKeyDeletion { key, days } => (Some(key), None, None, Some(*days)),
                Command::Revoke { key, principal } | Command::Allow { key, principal } => {
                    (Some(key), Some(principal), None, None)
                }
                Command::ChangeTableKey { key }
                | Command::DisableKey { key }
                | Command::EnableKey { key }
                | Command::CancelKeyDeletion { key }
                | Command::RotateKey { key }
                | Command::DeleteImportedMaterial { key }
                | Command::ImportKeyMaterial { key, .. } => (Some(key), None, None, None),
                Command::Restore { key, .. } => (key.as_ref(), None, None, None),
                Command::Wait
                | Command::RevokeGrant
                | Command::CreateGrant
                | Command::Backup { .. } => (None, None, None, None),
            };
            let _ = writeln!(out, "do = \"{verb}\"");
            if let Some(k) = key {
                let _ = writeln!(out, "key = {}", q(k.as_str()));
            }
            if let Some(p) = principal {
                let _ = writeln!(out, "principal = {}", q(p.as_str()));
            }
            if let Some(c) = connection.filter(|c| *c != 1) {
                let _ = writeln!(out, "connection = {c}");
            }
            if let Some(d) = days {
                let _ = writeln!(out, "days = {d}");
            }
            if let Command::ImportKeyMaterial {
                expires: Some(e), ..
            } = c
            {
                let _ = writeln!(out, "expires = {}", dur(*e));
            }
            if let Command::ImportKeyMaterial {
                new_material: true, ..
            } = c
            {
                let _ = writeln!(out, "new_material = true");
            }
            if let Command::Backup { backup } | Command::Restore { backup, .. } = c {
                let _ = writeln!(out, "backup = {}", q(backup));
            }
            if let Command::Restore { to, .. } = c {
                let _ = writeln!(out, "to = {}", q(to));
            }
        }
    }
}

fn expect_fields(checks: &[CheckKind]) -> String {
    let mut fields: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut cached: Vec<String> = Vec::new();
    let mut calls: Vec<String> = Vec::new();
    let mut tables: Vec<String> = Vec::new();
    let mut replicas: Vec<String> = Vec::new();
    let mut backups: Vec<String> = Vec::new();
    for c in checks {
        let f = c.field();
        match c {
            CheckKind::Outcome(ok) => {
                fields.push(format!("{f} = {}", q(if *ok { "ok" } else { "error" })));
            }
            CheckKind::Error(e) => fields.push(format!("{f} = {}", q(e.name()))),
            CheckKind::KmsError(e) => fields.push(format!("{f} = {}", q(e.as_str()))),
            CheckKind::Table(t) => fields.push(format!("{f} = {}", q(t.name()))),
            CheckKind::Sse(s) => fields.push(format!("{f} = {}", q(s.name()))),
            CheckKind::WrappedBy(k) => fields.push(format!("{f} = {}", q(k.as_str()))),
            CheckKind::KeyState(k, s) => keys.push(format!("{} = {}", q(k.as_str()), q(s.name()))),
            CheckKind::Cached(p, left) => {
                cached.push(format!("{} = {}", q(p.as_str()), q(&cached_text(*left))));
            }
            CheckKind::Recoverable(r) => fields.push(format!("{f} = {r}")),
            CheckKind::KmsCalls(p, n) => calls.push(format!("{} = {n}", q(p.as_str()))),
            CheckKind::Grant(revoked) => {
                fields.push(format!("{f} = {}", q(super::expect::grant_name(*revoked))));
            }
            CheckKind::TableNamed(_, name, s) => {
                tables.push(format!("{} = {}", q(name), q(s.name())));
            }
            CheckKind::Replica(r, s) => replicas.push(format!("{} = {}", q(r), q(s.name()))),
            CheckKind::Backup(b, s) => backups.push(format!("{} = {}", q(b), q(s.name()))),
        }
    }
    for (field, list) in [
        (Field::Keys, keys),
        (Field::Cached, cached),
        (Field::KmsCalls, calls),
        (Field::Tables, tables),
        (Field::Replicas, replicas),
        (Field::Backups, backups),
    ] {
        if !list.is_empty() {
            fields.push(format!("{field} = {{ {} }}", list.join(", ")));
        }
    }
    fields.join(", ")
}
