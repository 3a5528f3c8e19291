//! Faults: a full disk, a failed rollback, concurrent writers. Whatever kaim acknowledged is
//! saved, and what it refused is not half-written.

use std::{collections::HashSet, io::Write as _, path::Path, process::Command};

use chrono::{SecondsFormat, Utc};
use kaim::db;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::TestApp;

const IMPORT: &str = "mutation($inputs: [RecordInteractionInput!]!) {
    importInteractions(inputs: $inputs) { created unchanged }
}";

/// A size-limited tmpfs mounted for one test, unmounted when dropped. Mounting needs root (CI
/// runs as root); elsewhere [`Tmpfs::mount`] says why it cannot and the test is skipped.
struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|status| status.success());
        if mounted {
            Some(Self { dir })
        } else {
            eprintln!("skipped: mounting a tmpfs needs root");
            None
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes zeros to `path` until the file system is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("filler");
    let block = vec![0_u8; 64 * 1024];
    while file
        .write_all(&block)
        .and_then(|()| file.sync_all())
        .is_ok()
    {}
}

/// `count` ORDER rows of `client_id` with external ids `{batch}-{i}` and a bulky summary, so
/// that a few batches fill a small disk.
fn rows(client_id: &str, batch: usize, count: usize) -> Vec<Value> {
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    (0..count)
        .map(|i| {
            json!({
                "clientId": client_id,
                "kind": "MEETING",
                "occurredAt": at,
                "summary": "x".repeat(2000),
                "source": "faults",
                "externalId": format!("{batch}-{i}"),
            })
        })
        .collect()
}

/// External ids of source `faults` stored in the SQLite file at `url`, read on a connection
/// of its own, as any other process would see them.
async fn stored_ids(url: &str) -> HashSet<String> {
    let other = Database::connect(url).await.expect("second connection");
    let rows = other
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT external_id FROM interactions WHERE source = 'faults'",
        ))
        .await
        .expect("read back");
    rows.iter()
        .map(|row| row.try_get::<String>("", "external_id").expect("id"))
        .collect()
}

#[tokio::test]
async fn writes_acknowledged_around_a_full_disk_are_all_saved() {
    let Some(disk) = Tmpfs::mount("12m") else {
        return;
    };
    let data_dir = disk.path().join("data");
    let app = TestApp::spawn_with(|settings| {
        settings.data_dir.clone_from(&data_dir);
        settings.database_url = None;
    })
    .await;
    let url = app.settings.database_url();
    let client_id = app.create_client(json!({ "name": "Full Disk LLC" })).await;

    let mut acknowledged = HashSet::new();
    let mut refused = 0;
    let import = async |batch: usize, acknowledged: &mut HashSet<String>| {
        let inputs = rows(&client_id, batch, 50);
        let body = app.graphql(IMPORT, json!({ "inputs": inputs })).await;
        let saved = body["data"]["importInteractions"]["created"] == 50;
        if saved {
            acknowledged.extend((0..50).map(|i| format!("{batch}-{i}")));
        }
        (saved, body)
    };
    // The disk fills up: writes fail, and keep failing while it is full.
    let filler = disk.path().join("filler");
    fill(&filler);
    for batch in 0..20 {
        if !import(batch, &mut acknowledged).await.0 {
            refused += 1;
        }
    }
    assert!(refused > 0, "no write failed on a full disk");
    // Space is freed; writing goes on.
    std::fs::remove_file(&filler).expect("free the disk");
    for batch in 100..120 {
        let (saved, body) = import(batch, &mut acknowledged).await;
        assert!(
            saved,
            "a write failed after the disk had room again: {body}"
        );
    }

    let stored = stored_ids(&url).await;
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged rows are not in the database, e.g. {:?}",
        lost.len(),
        lost.iter().take(3).collect::<Vec<_>>()
    );
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "rows of refused imports were written"
    );
}

#[tokio::test]
async fn a_connection_whose_transaction_failed_to_end_is_not_reused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("pool.db").display());
    // One connection, so every transaction below gets the same one unless the pool closes it.
    let pool = db::connect(&url, 1).await.expect("pool");
    pool.execute_unprepared("CREATE TABLE t (x INTEGER)")
        .await
        .expect("table");

    // SQLite rolls a transaction back by itself after some failures (a full disk among them);
    // the driver's own ROLLBACK then fails and its transaction count stays at one.
    let tx = db::begin_write(&pool).await.expect("begin");
    tx.execute_unprepared("ROLLBACK")
        .await
        .expect("rolled back");
    drop(tx);
    // A write that fails and is rolled back...
    let tx = db::begin_write(&pool).await.expect("begin");
    tx.execute_unprepared("INSERT INTO t VALUES (1)")
        .await
        .expect("insert");
    drop(tx);
    // ...and one that succeeds: its commit must be a real one.
    let tx = db::begin_write(&pool).await.expect("begin");
    tx.execute_unprepared("INSERT INTO t VALUES (2)")
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    let other = Database::connect(&url).await.expect("second connection");
    let seen = other
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT x FROM t ORDER BY x",
        ))
        .await
        .expect("read back");
    let seen: Vec<i64> = seen
        .iter()
        .map(|row| row.try_get("", "x").expect("x"))
        .collect();
    assert_eq!(
        seen,
        [2],
        "the committed row is not visible to another connection"
    );
    // And the pool still works, on a fresh connection.
    let tx = pool.begin().await.expect("begin");
    tx.commit().await.expect("commit");
}
