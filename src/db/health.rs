//! Readiness: whether the database can take writes now, not only answer a query. A load
//! balancer then stops sending work to an instance whose SQLite disk is full or read-only, or
//! whose PostgreSQL is a standby.

use std::path::Path;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// Free space below which the disk of an SQLite database counts as full: room for the
/// write-ahead log to grow by a few of the largest imports.
const MIN_FREE_BYTES: u64 = 8 * 1024 * 1024;

/// Why the database cannot take writes now, in a sentence for the readiness answer; `Ok` when
/// it can. The checks take no lock, so a long write elsewhere never holds the probe up.
///
/// # Errors
/// The reason, when the database cannot be reached or cannot take writes.
pub async fn check(db: &DatabaseConnection) -> Result<(), String> {
    let backend = db.get_database_backend();
    let unreachable = |err: sea_orm::DbErr| {
        tracing::warn!(error = %err, "readiness: the database does not answer");
        "the database does not answer".to_owned()
    };
    match backend {
        DatabaseBackend::Sqlite => {
            let rows = db
                .query_all_raw(Statement::from_string(backend, "PRAGMA database_list"))
                .await
                .map_err(unreachable)?;
            let file = rows
                .iter()
                .find(|row| row.try_get::<String>("", "name").is_ok_and(|n| n == "main"))
                .and_then(|row| row.try_get::<String>("", "file").ok())
                .filter(|file| !file.is_empty());
            // An in-memory database has no file and no disk to fill.
            file.map_or(Ok(()), |file| sqlite_file_writable(Path::new(&file)))
        }
        _ => {
            let row = db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT pg_is_in_recovery() \
                     OR current_setting('default_transaction_read_only') = 'on' AS read_only",
                ))
                .await
                .map_err(unreachable)?;
            let read_only = row
                .and_then(|row| row.try_get::<bool>("", "read_only").ok())
                .unwrap_or(false);
            if read_only {
                Err(
                    "the database is read-only (a standby, or default_transaction_read_only)"
                        .into(),
                )
            } else {
                Ok(())
            }
        }
    }
}

/// Whether this process may write the SQLite file at `file` and create its journal beside it,
/// and its disk has room.
fn sqlite_file_writable(file: &Path) -> Result<(), String> {
    use rustix::fs::{Access, access, statvfs};
    let dir = file.parent().unwrap_or_else(|| Path::new("."));
    for path in [file, dir] {
        // `access` answers for this process, a read-only mount included, even as root.
        if let Err(err) = access(path, Access::WRITE_OK) {
            return Err(format!("the database file cannot be written ({err})"));
        }
    }
    let disk = statvfs(dir).map_err(|err| format!("the database's disk cannot be read ({err})"))?;
    let free = disk.f_bavail.saturating_mul(disk.f_frsize);
    if free < MIN_FREE_BYTES {
        return Err(format!(
            "the database's disk is full ({free} bytes free, {MIN_FREE_BYTES} needed)"
        ));
    }
    Ok(())
}
