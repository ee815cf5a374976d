//! Version 2: regions and global-table replicas (`region` on a `[[key]]`, `[[table.replica]]`),
//! checked at load: a replica's key must be a key of the replica's region (or `aws-owned`).

use toml::Spanned;

use super::cx::{Ctx, Declared};
use super::diag::Diagnostic;
use super::raw::RawReplica;
use crate::engine::ids::KmsKeyId;
use crate::engine::{DEFAULT_REGION, ReplicaSpec};

/// Most replicas one table may have.
pub const MAX_REPLICAS: usize = 8;

/// A region name such as `eu-west-1`: lowercase letters, digits and `-`, ending in a digit.
pub(super) fn parse_region(cx: &Ctx<'_>, s: &Spanned<String>) -> Result<String, Diagnostic> {
    let r = s.get_ref();
    let ok = (6..=30).contains(&r.len())
        && r.contains('-')
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && r.as_bytes()[0].is_ascii_lowercase()
        && r.as_bytes()[r.len() - 1].is_ascii_digit();
    if ok {
        Ok(r.clone())
    } else {
        Err(cx
            .err(s.span(), format!("bad region `{r}`"))
            .help("a region name such as \"us-east-1\" or \"eu-west-1\""))
    }
}

/// The region of a declared key (`aws-owned` exists in every region: `None`).
pub(super) fn key_region(declared: &Declared<'_>, key: &KmsKeyId) -> Option<String> {
    declared
        .keys
        .iter()
        .find(|k| &k.id == key)
        .map(|k| k.region.clone())
}

/// The table's region: its KMS key's (the AWS owned key: `us-east-1`).
pub(super) fn table_region(declared: &Declared<'_>, key: &KmsKeyId) -> String {
    key_region(declared, key).unwrap_or_else(|| DEFAULT_REGION.to_string())
}

/// `[[table.replica]]`s of a table in `home`: each in another region, once, under a key of
/// its own region.
pub(super) fn parse_replicas(
    cx: &Ctx<'_>,
    raw: &[Spanned<RawReplica>],
    home: &str,
    declared: &Declared<'_>,
    assumptions: &crate::engine::Assumptions,
) -> Result<Vec<ReplicaSpec>, Diagnostic> {
    if let Some(extra) = raw.get(MAX_REPLICAS) {
        return Err(cx
            .err(extra.span(), "too many replicas")
            .help(format!("a table has at most {MAX_REPLICAS} replicas")));
    }
    let mut out: Vec<ReplicaSpec> = Vec::with_capacity(raw.len());
    for r in raw {
        let rr = r.get_ref();
        let region = parse_region(cx, &rr.region)?;
        if region == home {
            return Err(cx
                .err(rr.region.span(), format!("the table itself is in {home}"))
                .label("a replica is in another region")
                .help("the table's region is its key's region; choose another region here"));
        }
        if out.iter().any(|o| o.region == region) {
            return Err(cx.err(
                rr.region.span(),
                format!("the table has two replicas in {region}"),
            ));
        }
        let key = declared.key(&rr.key, true)?;
        if let Some(kr) = key_region(declared, &key)
            && kr != region
        {
            return Err(cx
                .err(
                    rr.key.span(),
                    format!("key `{key}` is in {kr}, not in the replica's region {region}"),
                )
                .label("a replica's key must be in the replica's region")
                .help(format!(
                    "declare a [[key]] with region = \"{region}\" for this replica, or use \"aws-owned\""
                )));
        }
        super::start::check_key_usable(
            cx,
            declared,
            rr.key.span(),
            &key,
            rr.status.is_some(),
            "replica",
        )?;
        let start =
            super::start::replica_start(cx, rr.status.as_ref(), rr.since.as_ref(), assumptions)?;
        out.push(ReplicaSpec { region, key, start });
    }
    Ok(out)
}
