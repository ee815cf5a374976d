//! `[[key]]`s: ids, kinds, starting states, rotation, the principals allowed to decrypt, and
//! (version 2) imported material (`origin`, `expires`) and the key's region.

use super::cx::{Ctx, Declared};
use super::diag::Diagnostic;
use super::limits;
use super::names::{is_id, one_of};
use super::raw::RawKey;
use crate::engine::ids::{AWS_OWNED, KmsKeyId};
use crate::engine::kms::KeyKind;
use crate::engine::{KeySpec, PrincipalSpec};

/// `[[key]]`: ids, kinds, starting states, rotation and the principals allowed to decrypt.
pub(super) fn parse_keys(
    cx: &Ctx<'_>,
    raw: &[RawKey],
    principals: &[PrincipalSpec],
) -> Result<Vec<KeySpec>, Diagnostic> {
    let mut keys: Vec<KeySpec> = Vec::new();
    if let Some(k) = raw.get(limits::MAX_KEYS) {
        return Err(cx
            .err(k.id.span(), "too many KMS keys")
            .label(format!("key number {}", limits::MAX_KEYS + 1))
            .help(format!(
                "a scenario declares at most {} [[key]]s",
                limits::MAX_KEYS
            )));
    }
    let declared = Declared::new(cx, principals, &[], &[]);
    for k in raw {
        keys.push(parse_key(cx, k, &keys, &declared)?);
    }
    Ok(keys)
}

fn parse_key(
    cx: &Ctx<'_>,
    k: &RawKey,
    earlier: &[KeySpec],
    declared: &Declared<'_>,
) -> Result<KeySpec, Diagnostic> {
    let id = k.id.get_ref();
    if id == AWS_OWNED {
        return Err(cx
            .err(k.id.span(), "`aws-owned` is reserved for the AWS owned key")
            .label("choose another id")
            .help("the AWS owned key always exists: use key = \"aws-owned\" in [table] or change-table-key"));
    }
    if !is_id(id) {
        return Err(cx
            .err(k.id.span(), format!("bad key id `{id}`"))
            .label("use lowercase letters, digits and -"));
    }
    if earlier.iter().any(|q| q.id.as_str() == id) {
        return Err(cx.err(k.id.span(), format!("key `{id}` is declared twice")));
    }
    let kind = match k.kind.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
        None | Some(("customer-managed", _)) => KeyKind::CustomerManaged,
        Some(("aws-managed", _)) => KeyKind::AwsManaged,
        Some((other, span)) => {
            return Err(cx
                .err(span, format!("unknown key kind `{other}`"))
                .help(format!(
                    "kind is one of {}",
                    one_of(&["customer-managed", "aws-managed"])
                )));
        }
    };
    let enabled = match k.state.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
        None | Some(("enabled", _)) => true,
        Some((state @ ("disabled" | "pending-deletion" | "pending-import"), span)) => {
            if kind == KeyKind::AwsManaged {
                return Err(cx
                    .err(span, format!("an AWS managed key cannot start {state}"))
                    .help("only customer managed keys are disabled, deleted or imported (aws-behaviour.md #53)"));
            }
            false
        }
        Some((other, span)) => {
            return Err(cx
                .err(span, format!("unknown starting state `{other}`"))
                .help(format!(
                    "state is one of {}",
                    one_of(&["enabled", "disabled", "pending-deletion", "pending-import"])
                )));
        }
    };
    let rotation_days = match &k.rotation_days {
        Some(r) => {
            if kind == KeyKind::AwsManaged {
                return Err(cx
                    .err(
                        r.span(),
                        "AWS managed keys rotate every year; `rotation_days` cannot be set",
                    )
                    .help("remove rotation_days, or make the key customer-managed"));
            }
            let d = *r.get_ref();
            if !(90..=2560).contains(&d) {
                return Err(cx
                    .err(r.span(), format!("`rotation_days` = {d} is out of range"))
                    .label("must be between 90 and 2560"));
            }
            Some(d as u32)
        }
        None => None,
    };
    let (external, expires) = parse_origin(cx, k, kind, rotation_days.is_some())?;
    let starts_as = super::start::key_starts_as(cx, k, external)?;
    let allow = match &k.allow {
        Some(list) => {
            let mut v = Vec::new();
            for p in list.get_ref() {
                v.push(declared.principal(p)?.id.clone());
            }
            Some(v)
        }
        None => None,
    };
    let region = match &k.region {
        Some(r) => super::regions::parse_region(cx, r)?,
        None => crate::engine::DEFAULT_REGION.to_string(),
    };
    Ok(KeySpec {
        region,
        id: KmsKeyId::new(id),
        kind,
        enabled,
        rotation_days,
        allow,
        external,
        expires,
        starts_as,
    })
}

/// Version 2: `origin = "external"` (imported key material, aws-behaviour.md #98-99) and its `expires`
/// (absolute from the start, at most 365 days).
fn parse_origin(
    cx: &Ctx<'_>,
    k: &RawKey,
    kind: KeyKind,
    rotates: bool,
) -> Result<(bool, Option<crate::engine::time::SimTime>), Diagnostic> {
    let external = match k.origin.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
        None | Some(("aws-kms", _)) => false,
        Some(("external", span)) => {
            if kind == KeyKind::AwsManaged {
                return Err(cx
                    .err(span, "an AWS managed key has AWS-generated material")
                    .help("only a customer managed key can have imported material"));
            }
            if rotates && let Some(r) = &k.rotation_days {
                return Err(cx
                    .err(
                        r.span(),
                        "a key with imported material does not rotate automatically",
                    )
                    .help("remove rotation_days (aws-behaviour.md #67)"));
            }
            true
        }
        Some((other, span)) => {
            return Err(cx
                .err(span, format!("unknown origin `{other}`"))
                .help(format!(
                    "origin is one of {}",
                    one_of(&["aws-kms", "external"])
                )));
        }
    };
    let expires = match &k.expires {
        None => None,
        Some(e) => {
            if !external {
                return Err(cx
                    .err(e.span(), "`expires` is for imported key material")
                    .help("add origin = \"external\", or remove expires"));
            }
            let d = cx.duration(e, "expires")?;
            if d > crate::engine::time::SimDuration::from_days(365) {
                return Err(cx
                    .err(
                        e.span(),
                        format!("`expires` = {} is over 365 days", d.to_exact_string()),
                    )
                    .help("imported material's ValidTo is at most 365 days ahead (aws-behaviour.md #98)"));
            }
            Some(crate::engine::time::SimTime::ZERO + d)
        }
    };
    Ok((external, expires))
}
