//! `rewrap export-script`: the read-only AWS CLI commands that write what `rewrap import` reads,
//! one JSON file per call (aws-behaviour.md #106). rewrap never calls AWS and never holds
//! credentials: the user runs these commands with their own.

use std::fmt::Write as _;

/// The region a script covers when none is named.
pub const DEFAULT_REGIONS: &[&str] = &["us-east-1"];

/// Whether `r` looks like an AWS region name (`eu-west-1`): what a script may put in a path
/// and a command line without quoting surprises.
pub fn valid_region(r: &str) -> bool {
    (6..=30).contains(&r.len())
        && r.starts_with(|c: char| c.is_ascii_lowercase())
        && r.ends_with(|c: char| c.is_ascii_digit())
        && r.contains('-')
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The script for `regions` (each valid: see `valid_region`).
pub fn script(regions: &[String]) -> String {
    let mut s = String::new();
    let list = regions.join(" ");
    let _ = write!(
        s,
        r#"#!/bin/sh
# Written by `rewrap export-script`. Read-only AWS CLI calls (list-*, describe-*, get-*): they
# change nothing in your account. Each writes one JSON file into the folder; give the folder
# to `rewrap import DIR`. Uses your usual AWS CLI credentials (AWS_PROFILE, ...); rewrap never
# sees them. Needs the AWS CLI (v1 or v2); extra arguments (e.g. --endpoint-url URL) are
# passed to every call.
#
#   sh export.sh [DIR] [AWS CLI ARGUMENTS...]      (DIR defaults to ./rewrap-export)
set -eu
umask 077
out="${{1:-rewrap-export}}"
[ "$#" -gt 0 ] && shift
mkdir -p "$out"
# When the export was made: `rewrap import` measures every date against it.
printf '{{"RewrapExport": {{"ExportedAt": "%s", "Regions": "%s"}}}}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "{list}" > "$out/rewrap-export.json"
# A name safe in a file name: what is not a letter, digit, dot or dash becomes _.
safe() {{ printf '%s' "$1" | tr -c 'A-Za-z0-9.-' '_'; }}
call() {{ file="$1"; shift; aws "$@" --output json > "$out/$file.json"; }}
for region in {list}; do
  r="--region $region"
  call "$region.kms.list-keys" kms list-keys $r "$@"
  call "$region.kms.list-aliases" kms list-aliases $r "$@"
  for key in $(aws kms list-keys $r "$@" --query 'Keys[].KeyId' --output text); do
    k=$(safe "$key")
    call "$region.kms.describe-key.$k" kms describe-key --key-id "$key" $r "$@"
    # Keys you may not read (another account's, a policy that denies you) are skipped.
    call "$region.kms.list-grants.$k" kms list-grants --key-id "$key" $r "$@" || rm -f "$out/$region.kms.list-grants.$k.json"
    call "$region.kms.get-key-rotation-status.$k" kms get-key-rotation-status --key-id "$key" $r "$@" || rm -f "$out/$region.kms.get-key-rotation-status.$k.json"
  done
  call "$region.dynamodb.list-tables" dynamodb list-tables $r "$@"
  for table in $(aws dynamodb list-tables $r "$@" --query 'TableNames[]' --output text); do
    t=$(safe "$table")
    call "$region.dynamodb.describe-table.$t" dynamodb describe-table --table-name "$table" $r "$@"
    call "$region.dynamodb.describe-continuous-backups.$t" dynamodb describe-continuous-backups --table-name "$table" $r "$@"
  done
  # --backup-type ALL: SYSTEM backups (a deleted or archived table's) are listed only so.
  call "$region.dynamodb.list-backups" dynamodb list-backups --backup-type ALL $r "$@"
  for arn in $(aws dynamodb list-backups --backup-type ALL $r "$@" --query 'BackupSummaries[].BackupArn' --output text); do
    call "$region.dynamodb.describe-backup.$(safe "$arn")" dynamodb describe-backup --backup-arn "$arn" $r "$@"
  done
done
echo "wrote $(ls "$out" | wc -l) files to $out: now run  rewrap import $out -o world.toml" >&2
"#
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_only_reads() {
        let s = script(&["us-east-1".into(), "eu-west-1".into()]);
        for line in s
            .lines()
            .filter(|l| l.contains("call \"") || l.contains("$(aws "))
        {
            let verb = line
                .split_whitespace()
                .skip_while(|w| !["kms", "dynamodb"].contains(w))
                .nth(1)
                .unwrap_or_default();
            assert!(
                verb.starts_with("list-")
                    || verb.starts_with("describe-")
                    || verb.starts_with("get-"),
                "{verb}: {line}"
            );
        }
        assert!(s.contains("for region in us-east-1 eu-west-1; do"));
        for call in [
            "kms list-keys",
            "kms describe-key",
            "kms list-aliases",
            "kms list-grants",
            "kms get-key-rotation-status",
            "dynamodb list-tables",
            "dynamodb describe-table",
            "dynamodb list-backups --backup-type ALL",
            "dynamodb describe-backup",
            "dynamodb describe-continuous-backups",
        ] {
            assert!(s.contains(call), "{call}");
        }
    }

    #[test]
    fn regions_are_checked_before_they_reach_a_shell() {
        for good in ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"] {
            assert!(valid_region(good), "{good}");
        }
        for bad in [
            "",
            "us",
            "eu-west",
            "US-EAST-1",
            "us-east-1;rm",
            "$(id)-1",
            "a b-1",
        ] {
            assert!(!valid_region(bad), "{bad}");
        }
    }
}
