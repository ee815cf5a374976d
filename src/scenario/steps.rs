//! `[[step]]`s: when each runs (`at`, repeats with `every`/`until`), what it does (`do` and its
//! fields, checked against the action's needs) and what it expects.

use toml::Spanned;

use super::cx::{Ctx, Declared, instant};
use super::diag::Diagnostic;
use super::expect::parse_expect;
use super::limits;
use super::names::printable;
use super::raw::{RawConnection, RawStep};
use super::{Action, Repeat, Step};
use crate::engine::Command;
use crate::engine::ids::{ConnectionId, KmsKeyId};
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::vocab::Verb;

/// Every step, in file order, with the limits on their number and on the actions they
/// expand to.
pub(super) fn parse_steps(
    cx: &Ctx<'_>,
    raw: &[Spanned<RawStep>],
    declared: &Declared<'_>,
) -> Result<Vec<Step>, Diagnostic> {
    if let Some(extra) = raw.get(limits::MAX_STEPS) {
        return Err(cx.err(extra.span(), "too many steps").help(format!(
            "a scenario has at most {} [[step]]s; use `every`/`until` to repeat one",
            limits::MAX_STEPS
        )));
    }
    let mut steps: Vec<Step> = Vec::with_capacity(raw.len());
    let mut actions: u64 = 0;
    let mut rewraps: u64 = 0;
    let biggest = declared
        .tables
        .iter()
        .map(|t| u64::from(t.deks))
        .max()
        .unwrap_or(0);
    for (i, raw_step) in raw.iter().enumerate() {
        let prev_at = steps.last().map_or(SimTime::ZERO, |s| s.at);
        let step = parse_step(cx, raw_step, i + 1, prev_at, declared)?;
        let runs = step.repeat.map_or(1, |r| {
            r.until.since(step.at).as_millis() / r.every.as_millis() + 1
        });
        actions = actions.saturating_add(runs.saturating_mul(step.action.command_count()));
        if actions > limits::MAX_ACTIONS {
            return Err(cx
                .err(raw_step.get_ref().action.span(), "the scenario expands to too many actions")
                .label("repetitions x connections, counted over all steps up to here")
                .help(format!(
                    "at most {} actions in all; use a longer `every`, an earlier `until` or fewer connections",
                    limits::MAX_ACTIONS
                )));
        }
        if let Action::Command(Command::ChangeTableKey { .. }) = &step.action {
            let deks = declared
                .tables
                .get(step.table)
                .map_or(biggest, |t| u64::from(t.deks));
            rewraps = rewraps.saturating_add(runs.saturating_mul(deks));
            if rewraps > limits::MAX_REWRAP_WORK {
                return Err(cx
                    .err(raw_step.get_ref().action.span(), "the scenario's key changes re-wrap too many DEKs")
                    .label(format!(
                        "{rewraps} DEK re-wraps up to here: each change-table-key re-wraps every DEK of its table"
                    ))
                    .help(format!(
                        "at most {} DEK re-wraps in all (key changes x DEKs of their tables); use fewer key changes or a table with fewer DEKs",
                        limits::MAX_REWRAP_WORK
                    )));
            }
        }
        if let (Some(id), Some(raw_id)) = (&step.id, &raw_step.get_ref().id)
            && let Some(first) = steps.iter().find(|s| s.id.as_ref() == Some(id))
        {
            return Err(cx
                .err(raw_id.span(), format!("step id {id:?} is used twice"))
                .label(format!("step {} already has it", first.number))
                .help("each step id names one step: choose another"));
        }
        steps.push(step);
    }
    Ok(steps)
}

fn parse_step(
    cx: &Ctx<'_>,
    raw_step: &Spanned<RawStep>,
    number: usize,
    prev_at: SimTime,
    declared: &Declared<'_>,
) -> Result<Step, Diagnostic> {
    let rs = raw_step.get_ref();
    let at = instant(cx, &rs.at, "at", prev_at)?;
    if at < prev_at {
        return Err(cx
            .err(
                rs.at.span(),
                format!("step {number} at {at} goes back in time"),
            )
            .label(format!("the previous step is at {prev_at}"))
            .help(
                "steps must be in time order; use \"+5m\" for a time relative to the previous step",
            ));
    }
    let table = match &rs.table {
        Some(t) => declared.table(t)?,
        None => 0,
    };
    let action = parse_action(cx, rs, declared)?;
    // A restore's own expectations may name the table it creates: resolve after the action.
    declared.current_table.set(table);
    let region = super::copies::parse_region(cx, rs, table, declared)?;
    let repeat = parse_repeat(cx, rs, at)?;
    let expect = match &rs.expect {
        Some(e) => parse_expect(cx, e, declared)?,
        None => Vec::new(),
    };
    let id = match &rs.id {
        Some(id) => Some(parse_id(cx, id)?),
        None => None,
    };
    let ask = match &rs.ask {
        Some(a) => Some(parse_ask(cx, a, declared)?),
        None => None,
    };
    let say = match &rs.say {
        Some(t) => Some(speaker_text(cx, t, "say")?),
        None => None,
    };
    let after = match &rs.after {
        Some(t) if rs.ask.is_none() => {
            return Err(cx
                .err(t.span(), "`after` needs a question on the same step")
                .label("no `ask` on this step")
                .help("`after` is what the presenter explains once the question's answer is revealed; add an `ask`, or use `say` for what to say at the step"));
        }
        Some(t) => Some(speaker_text(cx, t, "after")?),
        None => None,
    };
    Ok(Step {
        table,
        names_table: rs.table.is_some(),
        region,
        number,
        line: cx.line(&raw_step.span()),
        at,
        action,
        note: rs.note.as_deref().map(|n| printable(n, true)),
        say,
        after,
        expect,
        repeat,
        id,
        ask,
    })
}

/// A speaker-notes text (`say`, `after`): not empty, printable, at most
/// `limits::MAX_SPEAKER_TEXT` characters.
fn speaker_text(cx: &Ctx<'_>, t: &Spanned<String>, what: &str) -> Result<String, Diagnostic> {
    let text = t.get_ref().trim();
    if text.is_empty() {
        return Err(cx
            .err(t.span(), format!("`{what}` is empty"))
            .label("write what the presenter says, or leave the field out"));
    }
    if text.chars().count() > limits::MAX_SPEAKER_TEXT {
        return Err(cx
            .err(t.span(), format!("`{what}` is too long"))
            .label(format!(
                "at most {} characters: the speaker notes show it whole",
                limits::MAX_SPEAKER_TEXT
            )));
    }
    Ok(printable(text, true))
}

/// Version 2: a step's `id`, `[a-z0-9-]+` (uniqueness is checked over all steps).
fn parse_id(cx: &Ctx<'_>, id: &Spanned<String>) -> Result<String, Diagnostic> {
    let text = id.get_ref();
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(cx
            .err(
                id.span(),
                format!("step id {:?} is not a name", printable(text, false)),
            )
            .help("an id is 1 to 64 of a-z, 0-9 and -: id = \"the-switch\""));
    }
    Ok(text.clone())
}

/// Version 2: `ask = { prompt, choices = [{ text, expect }, ...] }`.
fn parse_ask(
    cx: &Ctx<'_>,
    a: &Spanned<super::raw::RawAsk>,
    declared: &Declared<'_>,
) -> Result<super::Ask, Diagnostic> {
    let raw = a.get_ref();
    let prompt = printable(raw.prompt.get_ref(), false);
    if prompt.trim().is_empty() {
        return Err(cx.err(raw.prompt.span(), "the question's prompt is empty"));
    }
    let list = raw.choices.get_ref();
    if list.len() < 2 || list.len() > limits::MAX_CHOICES {
        return Err(cx
            .err(
                raw.choices.span(),
                format!("a question needs 2 to {} choices; this one has {}", limits::MAX_CHOICES, list.len()),
            )
            .help("choices = [{ text = \"...\", expect = { outcome = \"ok\" } }, { text = \"...\", expect = { outcome = \"error\" } }]"));
    }
    let mut choices = Vec::with_capacity(list.len());
    for c in list {
        let rc = c.get_ref();
        let text = printable(rc.text.get_ref(), false);
        if text.trim().is_empty() {
            return Err(cx.err(rc.text.span(), "a choice's text is empty"));
        }
        let expect = parse_expect(cx, &rc.expect, declared)?;
        if expect.is_empty() {
            return Err(cx
                .err(rc.expect.span(), "a choice's `expect` checks nothing")
                .help(
                    "say what holds when this choice is the answer: expect = { outcome = \"ok\" }",
                ));
        }
        choices.push(super::Choice {
            line: cx.line(&c.span()),
            text,
            expect,
        });
    }
    Ok(super::Ask {
        line: cx.line(&a.span()),
        prompt,
        choices,
    })
}

/// Extension: `every` + `until` repeat a step's action.
fn parse_repeat(cx: &Ctx<'_>, rs: &RawStep, at: SimTime) -> Result<Option<Repeat>, Diagnostic> {
    match (&rs.every, &rs.until) {
        (None, None) => Ok(None),
        (Some(e), Some(u)) => {
            let every = cx.duration(e, "every")?;
            if every == SimDuration::ZERO {
                return Err(cx.err(e.span(), "`every` must be longer than 0s"));
            }
            let until = instant(cx, u, "until", at)?;
            if until < at {
                return Err(cx
                    .err(
                        u.span(),
                        format!("`until` ({until}) is before the step's time ({at})"),
                    )
                    .help("`until` is an absolute time, or \"+30d\" relative to `at`"));
            }
            Ok(Some(Repeat { every, until }))
        }
        (Some(e), None) => Err(cx
            .err(e.span(), "`every` needs `until`")
            .help("e.g. every = \"1m\", until = \"30d\"")),
        (None, Some(u)) => Err(cx
            .err(u.span(), "`until` needs `every`")
            .help("e.g. every = \"1m\", until = \"30d\"")),
    }
}

/// `do` and the fields it takes. Each verb says what it needs (`Verb::needs_key`, ...); a field
/// it does not take is an error, and so is an unknown verb (there is no fallback).
fn parse_action(cx: &Ctx<'_>, rs: &RawStep, declared: &Declared<'_>) -> Result<Action, Diagnostic> {
    let name = rs.action.get_ref().as_str();
    let Some(verb) = Verb::parse(name) else {
        let all: Vec<&str> = Verb::ALL.iter().map(|v| v.name()).collect();
        return Err(cx
            .err(rs.action.span(), format!("unknown action `{name}`"))
            .help(format!("`do` is one of {}", all.join(", "))));
    };
    refuse_fields_not_for(cx, rs, verb)?;
    let missing = |field: &str| {
        cx.err(rs.action.span(), format!("`{verb}` needs `{field}`"))
            .help(format!("add {field} = \"...\" to this step"))
    };
    let principal = match &rs.principal {
        Some(p) if verb.needs_principal() => Some(declared.principal(p)?),
        None if verb.needs_principal() => {
            let mut e = missing("principal");
            if let Some(first) = declared.principals.first() {
                e = e.help(format!(
                    "add principal = \"{}\" (declared: {})",
                    first.id,
                    declared
                        .principals
                        .iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            return Err(e);
        }
        _ => None,
    };
    match verb {
        Verb::Backup => {
            return Ok(Action::Command(super::copies::parse_backup(
                cx, rs, declared,
            )?));
        }
        Verb::Restore => {
            return Ok(Action::Command(super::copies::parse_restore(
                cx, rs, declared,
            )?));
        }
        _ => {}
    }
    let key = match &rs.key {
        Some(k) if verb.needs_key() => Some(declared.key(k, verb.may_name_aws_owned())?),
        None if verb.needs_key() => return Err(missing("key")),
        _ => None,
    };
    let key = || key.clone().ok_or_else(|| missing("key"));
    let principal_id = || {
        principal
            .map(|p| p.id.clone())
            .ok_or_else(|| missing("principal"))
    };
    let cmd = match verb {
        Verb::Read | Verb::Write => {
            let p = principal.ok_or_else(|| missing("principal"))?;
            return parse_request(cx, rs, p, verb == Verb::Write);
        }
        Verb::ChangeTableKey => Command::ChangeTableKey { key: key()? },
        Verb::DisableKey => Command::DisableKey { key: key()? },
        Verb::EnableKey => Command::EnableKey { key: key()? },
        Verb::ScheduleKeyDeletion => {
            let days = match &rs.days {
                Some(d) => {
                    let n = *d.get_ref();
                    if !(7..=30).contains(&n) {
                        return Err(cx
                            .err(d.span(), format!("`days` = {n} is out of range"))
                            .label("KMS waits 7 to 30 days before deleting a key"));
                    }
                    n as u32
                }
                None => 30,
            };
            Command::ScheduleKeyDeletion { key: key()?, days }
        }
        Verb::CancelKeyDeletion => Command::CancelKeyDeletion { key: key()? },
        Verb::RotateKey => Command::RotateKey { key: key()? },
        Verb::Revoke => Command::Revoke {
            key: key()?,
            principal: principal_id()?,
        },
        Verb::Allow => Command::Allow {
            key: key()?,
            principal: principal_id()?,
        },
        Verb::Wait => Command::Wait,
        Verb::DeleteImportedMaterial => Command::DeleteImportedMaterial { key: key()? },
        Verb::RevokeGrant => Command::RevokeGrant,
        Verb::CreateGrant => Command::CreateGrant,
        Verb::Backup | Verb::Restore => unreachable!("handled above"),
        Verb::ImportKeyMaterial => import(cx, rs, key()?)?,
    };
    Ok(Action::Command(cmd))
}

/// `import-key-material`: the same material, or with `new_material = true` new material to
/// rotate in (aws-behaviour.md #104), valid for `expires`.
fn import(cx: &Ctx<'_>, rs: &RawStep, key: KmsKeyId) -> Result<Command, Diagnostic> {
    Ok(Command::ImportKeyMaterial {
        key,
        expires: import_expires(cx, rs)?,
        new_material: rs.new_material.as_ref().is_some_and(|b| *b.get_ref()),
    })
}

/// `expires` on an import: how long the re-imported material stays valid (0s < d <= 365d).
fn import_expires(cx: &Ctx<'_>, rs: &RawStep) -> Result<Option<SimDuration>, Diagnostic> {
    let Some(e) = &rs.expires else {
        return Ok(None);
    };
    // Relative to the step, so "+30d" (the format's relative form) means the same as "30d".
    let d = match e.get_ref().strip_prefix('+') {
        Some(rest) => {
            let bare = Spanned::new(e.span(), rest.to_string());
            cx.duration(&bare, "expires")?
        }
        None => cx.duration(e, "expires")?,
    };
    if d == SimDuration::ZERO || d > SimDuration::from_days(365) {
        return Err(cx
            .err(
                e.span(),
                format!("`expires` = {} is out of range", d.to_exact_string()),
            )
            .label("imported material is valid for more than 0s and at most 365 days (aws-behaviour.md #98)"));
    }
    Ok(Some(d))
}

/// A field the verb does not take is an error that points at the field.
fn refuse_fields_not_for(cx: &Ctx<'_>, rs: &RawStep, verb: Verb) -> Result<(), Diagnostic> {
    let not_for = |span: std::ops::Range<usize>, field: &str| {
        Err(cx
            .err(span, format!("`{field}` does not apply to `{verb}`"))
            .label("remove this field"))
    };
    if !verb.needs_principal()
        && let Some(p) = &rs.principal
    {
        return not_for(p.span(), "principal");
    }
    if !verb.needs_key()
        && !verb.key_optional()
        && let Some(k) = &rs.key
    {
        return not_for(k.span(), "key");
    }
    if !verb.takes_backup()
        && let Some(b) = &rs.backup
    {
        return not_for(b.span(), "backup");
    }
    if verb != Verb::Restore
        && let Some(t) = &rs.to
    {
        return not_for(t.span(), "to");
    }
    if !verb.takes_region()
        && let Some(r) = &rs.region
    {
        return not_for(r.span(), "region");
    }
    if !verb.takes_connection()
        && let Some(c) = &rs.connection
    {
        return not_for(c.span(), "connection");
    }
    if !verb.takes_days()
        && let Some(d) = &rs.days
    {
        return not_for(d.span(), "days");
    }
    if !verb.takes_expires()
        && let Some(e) = &rs.expires
    {
        return not_for(e.span(), "expires");
    }
    if !verb.takes_expires()
        && let Some(n) = &rs.new_material
    {
        return not_for(n.span(), "new_material");
    }
    Ok(())
}

/// `read` / `write`: one connection (default 1) or, with `connection = "all"`, every one.
fn parse_request(
    cx: &Ctx<'_>,
    rs: &RawStep,
    p: &crate::engine::PrincipalSpec,
    write: bool,
) -> Result<Action, Diagnostic> {
    let cmd = match rs.connection.as_ref() {
        None => Command::request(p.id.clone(), ConnectionId(1), write),
        Some(c) => {
            match c.get_ref() {
                RawConnection::Number(n) => {
                    if *n < 1 || *n > i64::from(p.connections) {
                        return Err(cx
                        .err(c.span(), format!("`{}` has no connection {n}", p.id))
                        .label(format!("connections are numbered 1..={}", p.connections))
                        .help("raise `connections` in its [[principal]], or use connection = \"all\""));
                    }
                    Command::request(p.id.clone(), ConnectionId(*n as u32), write)
                }
                RawConnection::Word(w) if w == "all" => {
                    return Ok(Action::EachConnection {
                        principal: p.id.clone(),
                        connections: p.connections,
                        write,
                    });
                }
                RawConnection::Word(w) => {
                    return Err(cx
                        .err(c.span(), format!("bad connection `{w}`"))
                        .help("a connection number (1, 2, ...) or \"all\""));
                }
            }
        }
    };
    Ok(Action::Command(cmd))
}
