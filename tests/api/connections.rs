//! How kaim connects to PostgreSQL: without TLS on loopback unless the URL asks for it.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// Whether this session's connection uses TLS, as the server sees it.
async fn uses_tls(db: &DatabaseConnection) -> bool {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<bool>("", "ssl").unwrap()
}

#[tokio::test]
async fn a_loopback_postgresql_is_reached_without_tls_unless_the_url_asks_for_it() {
    let Ok(url) = std::env::var("KAIM_TEST_POSTGRES_URL") else {
        return;
    };
    if !url.contains("127.0.0.1") && !url.contains("localhost") {
        return;
    }
    let db = kaim::db::connect(&url, 1).await.unwrap();
    assert!(!uses_tls(&db).await, "no TLS to {url} by default");

    let server_has_tls = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SHOW ssl",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "ssl")
        .unwrap()
        == "on";
    if server_has_tls {
        let separator = if url.contains('?') { '&' } else { '?' };
        let asked = format!("{url}{separator}sslmode=require");
        let db = kaim::db::connect(&asked, 1).await.unwrap();
        assert!(uses_tls(&db).await, "TLS when the URL asks for it");
    }
}
