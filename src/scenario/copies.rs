//! Version 2: the other copies of a table's data as steps name them: the region of a read or
//! write (a global-table replica), `backup` (a new backup's name, used once) and `restore`
//! (`backup`, `to` a new table, `key`?), and the load-time bound on what they may build.

use toml::Spanned;

use super::cx::{Ctx, Declared};
use super::diag::Diagnostic;
use super::raw::RawStep;
use super::{Action, Step};
use crate::engine::backup::{ARCHIVAL, MAX_BACKUPS, MAX_DEKS, MAX_ITEMS, MAX_TABLES};
use crate::engine::{Command, TableSpec};

/// A table name (3 to 100) or a backup name (1 to 100) of letters, digits, `_ - .`.
pub(super) fn valid_name(s: &str, min: usize) -> bool {
    (min..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

fn name_field(cx: &Ctx<'_>, s: &Spanned<String>, what: &str) -> Result<String, Diagnostic> {
    let v = s.get_ref();
    let min = if what == "table" { 3 } else { 1 };
    if valid_name(v, min) {
        Ok(v.clone())
    } else {
        Err(cx
            .err(s.span(), format!("bad {what} name `{v}`"))
            .label(format!("{min} to 100 characters: letters, digits, _ - .")))
    }
}

/// `do = "backup"`: `backup` names it; a name is used once (`archival` is DynamoDB's).
pub(super) fn parse_backup(
    cx: &Ctx<'_>,
    rs: &RawStep,
    declared: &Declared<'_>,
) -> Result<Command, Diagnostic> {
    let Some(b) = &rs.backup else {
        return Err(cx
            .err(rs.action.span(), "`backup` needs `backup`")
            .help("name the new backup: backup = \"before-switch\""));
    };
    let name = name_field(cx, b, "backup")?;
    if name == ARCHIVAL {
        return Err(cx
            .err(
                b.span(),
                "`archival` is the name of DynamoDB's archival backup",
            )
            .help("choose another name for an on-demand backup"));
    }
    if declared.backups.borrow().contains(&name) {
        return Err(cx
            .err(b.span(), format!("backup name `{name}` is used twice"))
            .help("each backup step makes a new backup: give it a new name"));
    }
    if declared.backups.borrow().len() >= MAX_BACKUPS {
        return Err(cx
            .err(b.span(), "too many backups")
            .help(format!("a scenario makes at most {MAX_BACKUPS} backups")));
    }
    declared.backups.borrow_mut().push(name.clone());
    Ok(Command::Backup { backup: name })
}

/// `do = "restore"`: `backup` (a name, or `archival`), `to` a new table, `key`? (default: the
/// backup's KMS key). `to` may be named by this step's expectations and later steps.
pub(super) fn parse_restore(
    cx: &Ctx<'_>,
    rs: &RawStep,
    declared: &Declared<'_>,
) -> Result<Command, Diagnostic> {
    let (Some(b), Some(to)) = (&rs.backup, &rs.to) else {
        return Err(cx
            .err(rs.action.span(), "`restore` needs `backup` and `to`")
            .help("backup = \"b1\" (or \"archival\"), to = \"OrdersRestored\""));
    };
    let backup = name_field(cx, b, "backup")?;
    let to_name = name_field(cx, to, "table")?;
    let key = match &rs.key {
        Some(k) => Some(declared.key(k, true)?),
        None => None,
    };
    let known = declared.tables.iter().any(|t| t.name == to_name)
        || declared.restored.borrow().contains(&to_name);
    if !known {
        // Restoring onto a name in use is a runtime TableAlreadyExistsException instead.
        declared.restored.borrow_mut().push(to_name.clone());
    }
    Ok(Command::Restore {
        backup,
        to: to_name,
        key,
    })
}

/// `region` on a read or write: the table's own region or one of its replicas' (a restored
/// table's region is checked when the step runs).
pub(super) fn parse_region(
    cx: &Ctx<'_>,
    rs: &RawStep,
    table: usize,
    declared: &Declared<'_>,
) -> Result<Option<String>, Diagnostic> {
    match &rs.region {
        Some(r) => copy_region(cx, r, table, declared),
        None => Ok(None),
    }
}

/// A region of table `table`'s copies: `None` for the table's own region (the table itself),
/// else the replica's region; refused when a declared table has no copy there.
pub(super) fn copy_region(
    cx: &Ctx<'_>,
    r: &Spanned<String>,
    table: usize,
    declared: &Declared<'_>,
) -> Result<Option<String>, Diagnostic> {
    let region = super::regions::parse_region(cx, r)?;
    if let Some(t) = declared.tables.get(table) {
        let home = super::regions::table_region(declared, &t.key);
        let mut known = vec![home.clone()];
        known.extend(t.replicas.iter().map(|x| x.region.clone()));
        if !known.contains(&region) {
            return Err(cx
                .err(
                    r.span(),
                    format!("table `{}` has no copy in {region}", t.name),
                )
                .help(format!("its regions: {}", known.join(", "))));
        }
        if region == home {
            return Ok(None);
        }
    }
    Ok(Some(region))
}

/// The regions a `replicas` expectation may name for table `table`.
pub(super) fn regions_of(declared: &Declared<'_>, table: usize) -> Option<Vec<String>> {
    let t = declared.tables.get(table)?;
    let mut v = vec![super::regions::table_region(declared, &t.key)];
    v.extend(t.replicas.iter().map(|x| x.region.clone()));
    Some(v)
}

/// Bound what backups and restores may build, counting each as large as the largest table:
/// the engine refuses more at run time, so a file that could reach that is refused here.
pub(super) fn check_totals(
    cx: &Ctx<'_>,
    tables: &[TableSpec],
    earlier: &[crate::engine::BackupSpec],
    steps: &[Step],
    span: Option<std::ops::Range<usize>>,
) -> Result<(), Diagnostic> {
    let copies = |t: &TableSpec| 1 + t.replicas.len() as u64;
    let items: u64 = tables.iter().map(|t| t.items * copies(t)).sum();
    let deks: u64 = tables.iter().map(|t| u64::from(t.deks) * copies(t)).sum();
    let biggest_items = tables.iter().map(|t| t.items).max().unwrap_or(0);
    let biggest_deks = tables.iter().map(|t| u64::from(t.deks)).max().unwrap_or(0);
    let (mut restores, mut backups) = (0u64, 0u64);
    for s in steps {
        if let Action::Command(c) = &s.action {
            let runs = s.occurrences().count() as u64;
            match c {
                Command::Restore { .. } => restores += runs,
                Command::Backup { .. } => backups += runs,
                _ => {}
            }
        }
    }
    let n_tables = tables.iter().map(copies).sum::<u64>() + restores;
    let all_items = items + restores * biggest_items;
    // A table's archival backup copies its DEKs too.
    // Version 3: each backup taken before the start copies its own table's DEKs.
    let earlier_deks: u64 = earlier
        .iter()
        .map(|b| tables.get(b.table).map_or(0, |t| u64::from(t.deks)))
        .sum();
    let all_deks = deks * 2 + (restores * 2 + backups) * biggest_deks + earlier_deks;
    if n_tables > MAX_TABLES as u64 || all_items > MAX_ITEMS as u64 || all_deks > MAX_DEKS as u64 {
        return Err(cx
            .err(span.unwrap_or(0..0), "the scenario's tables, replicas, backups and restores hold too much in all")
            .help(format!(
                "at most {MAX_TABLES} tables, {MAX_ITEMS} items and {MAX_DEKS} DEKs (each backup and restore counted as large as the largest table, each table once more for its archival backup)"
            )));
    }
    Ok(())
}
