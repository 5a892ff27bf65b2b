//! What the command line does besides serving: exports, imports and backups, straight
//! on the database (the operator of the machine is trusted), with progress bars on a
//! terminal. Each writes or reads exactly what the API would.

use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};

use crate::db::exports::ExportFilter;
use crate::db::{self, Conn};
use crate::domain::ids::{ClinicId, LotId};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::services::exports::{self, CsvOptions, ExportKind};
use crate::services::{imports, Actor};

fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {pos} rows ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar
}

fn connect(url: &str) -> anyhow::Result<db::PooledConn> {
    Ok(db::connect(url, 2)?.get()?)
}

fn app_err(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(errs) => {
            let lines: Vec<String> = errs
                .iter()
                .map(|e| match e.line {
                    Some(l) => format!("  line {l}, {}: {}", e.field, e.message),
                    None => format!("  {}: {}", e.field, e.message),
                })
                .collect();
            anyhow::anyhow!(
                "nothing was written; fix these and run again:\n{}",
                lines.join("\n")
            )
        }
        other => anyhow::anyhow!("{other}"),
    }
}

pub enum ExportWhat {
    Traceability,
    Movements,
    Variance,
    Recall { lot_id: LotId },
}

/// Writes an export to `output`; answers the number of rows.
pub fn export(
    url: &str,
    clinic: &ClinicId,
    what: ExportWhat,
    filter: &ExportFilter,
    bom: bool,
    output: &str,
) -> anyhow::Result<u64> {
    let mut conn = connect(url)?;
    if crate::db::staff::find_clinic(&mut conn, clinic)?.is_none() {
        anyhow::bail!("no clinic {clinic}");
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(output)?);
    let bar = spinner("exporting");
    let opts = CsvOptions { bom };
    let mut sink = |bytes: &[u8]| file.write_all(bytes);
    let rows = match what {
        ExportWhat::Traceability | ExportWhat::Movements | ExportWhat::Variance => {
            let kind = match what {
                ExportWhat::Traceability => ExportKind::Traceability,
                ExportWhat::Movements => ExportKind::Movements,
                _ => ExportKind::Variance,
            };
            exports::write(
                &mut conn,
                clinic,
                kind,
                filter,
                &opts,
                &mut sink,
                &mut |n| bar.set_position(n),
            )
        }
        ExportWhat::Recall { lot_id } => {
            exports::write_recall(&mut conn, clinic, &lot_id, &opts, &mut sink)
        }
    }
    .map_err(app_err)?;
    file.flush()?;
    bar.finish_and_clear();
    Ok(rows)
}

/// The clinic's first manager acts for command-line imports, so the ledger and audit
/// log name a real person.
fn operator(conn: &mut Conn, clinic: &ClinicId) -> anyhow::Result<Actor> {
    let manager = crate::db::staff::list_staff(conn, clinic)?
        .into_iter()
        .find(|s| s.role == Role::Manager)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "clinic {clinic} has no manager to act for the import; create one first"
            )
        })?;
    Ok(Actor {
        staff_id: manager.id,
        name: manager.name,
        role: Role::Manager,
        clinic_id: Some(clinic.clone()),
    })
}

pub enum ImportWhat {
    Products,
    Lots,
    Readings,
}

pub fn import(
    url: &str,
    clinic: &ClinicId,
    what: ImportWhat,
    input: &str,
) -> anyhow::Result<usize> {
    let mut conn = connect(url)?;
    let actor = operator(&mut conn, clinic)?;
    let bytes = std::fs::read(input)?;
    let bar = spinner("checking");
    let mut progress = |line: u64| bar.set_position(line.saturating_sub(1));
    let n = match what {
        ImportWhat::Products => imports::import_products(&mut conn, &actor, &bytes, &mut progress),
        ImportWhat::Lots => imports::import_lots(&mut conn, &actor, &bytes, &mut progress),
        // Rows of the file; what was new and the excursions found are told apart.
        ImportWhat::Readings => imports::import_readings(&mut conn, &actor, &bytes, &mut progress)
            .map(|done| {
                eprintln!(
                    "{} readings new; excursions among the file's: {}",
                    done.stored.stored,
                    done.stored.excursions.len()
                );
                done.rows
            }),
    }
    .map_err(app_err)?;
    bar.finish_and_clear();
    Ok(n)
}

/// A consistent copy of a SQLite database (`VACUUM INTO`, safe while serving). For
/// PostgreSQL use `pg_dump`, which does this better than we could.
pub fn backup(url: &str, output: &str) -> anyhow::Result<()> {
    match db::DbUrl::parse(url) {
        db::DbUrl::Postgres(_) => anyhow::bail!(
            "for PostgreSQL use pg_dump, e.g. pg_dump -Fc \"$DATABASE_URL\" > backup.dump"
        ),
        db::DbUrl::Sqlite(_) => {
            if std::path::Path::new(output).exists() {
                anyhow::bail!("{output} exists; choose a new file");
            }
            let mut conn = connect(url)?;
            use diesel::RunQueryDsl;
            diesel::sql_query("VACUUM INTO $1")
                .bind::<diesel::sql_types::Text, _>(output)
                .execute(&mut *conn)?;
            Ok(())
        }
    }
}

/// `mesoledger invite --email E`: the admin account gets this email and an invitation
/// code (shown once) to set its password.
pub fn invite_admin(url: &str, email: &str) -> anyhow::Result<(String, chrono::NaiveDateTime)> {
    let mut conn = connect(url)?;
    crate::services::accounts::invite_admin(&mut conn, email).map_err(app_err)
}
