//! Read replicas: read-only operations and exports run on a replica, writes and a writer's
//! next reads on the primary. A second database stands in for the replica; it holds a client
//! the primary does not, so every answer tells which database it came from.

use std::time::Duration;

use entity::enums::Role;
use kaim::db;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fresh_postgres, insert_client_into};

/// A migrated database, other than the primary, holding one client: "On The Replica".
async fn replica() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = match fresh_postgres().await {
        Some(url) => url,
        None => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("replica.db").display()
        ),
    };
    let replica = db::connect(&url, 2).await.unwrap();
    db::migrate(&replica).await.unwrap();
    insert_client_into(&replica, "On The Replica", None).await;
    (url, dir)
}

const NAMES: &str = "{ clients(first: 10) { nodes { name } } }";

fn names(body: &Value) -> Vec<String> {
    body["data"]["clients"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|node| node["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn reads_go_to_the_replica_and_a_writer_reads_its_own_writes_from_the_primary() {
    let (replica_url, _dir) = replica().await;
    let app = TestApp::spawn_with(|s| {
        s.database_read_urls = vec![replica_url];
        s.read_your_writes = Duration::from_secs(3);
    })
    .await;
    let (analyst, _) = app.user_token(Role::Analyst, "Reader").await;

    assert_eq!(
        names(&app.graphql(NAMES, json!({})).await),
        ["On The Replica"]
    );

    let created = app
        .data(
            r#"mutation { createClient(input: { name: "On The Primary" }) { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        created["createClient"]["name"], "On The Primary",
        "a mutation's payload reads from the primary"
    );
    assert_eq!(
        names(&app.graphql(NAMES, json!({})).await),
        ["On The Primary"],
        "the writer reads its write at once"
    );
    assert_eq!(
        names(&app.graphql_as(&analyst, NAMES, json!({})).await),
        ["On The Replica"],
        "other users keep reading from the replica"
    );

    let response = app
        .client
        .get(format!("{}/export/clients.csv", app.address))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    let csv = response.text().await.unwrap();
    assert!(
        csv.contains("On The Replica") && !csv.contains("On The Primary"),
        "{csv}"
    );

    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        names(&app.graphql(NAMES, json!({})).await),
        ["On The Replica"],
        "after the window, the writer reads from the replica again"
    );
}
