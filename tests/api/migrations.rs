//! Every migration can be undone and applied again, on the database the suite runs against.

use migration::{Migrator, MigratorTrait};

use crate::helpers::TestApp;

#[tokio::test]
async fn every_migration_rolls_back_and_applies_again() {
    let app = TestApp::spawn().await;
    let applied = Migrator::get_applied_migrations(&app.db)
        .await
        .unwrap()
        .len();
    assert_eq!(applied, Migrator::migrations().len());

    Migrator::down(&app.db, None).await.unwrap();
    assert!(
        Migrator::get_applied_migrations(&app.db)
            .await
            .unwrap()
            .is_empty()
    );

    Migrator::up(&app.db, None).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    // The schema is whole again: a user can be stored and read back.
    let user = kaim::db::users::insert(
        &app.db,
        kaim::db::users::NewUser {
            name: "After the round trip".into(),
            email: None,
            role: entity::enums::Role::Admin,
        },
    )
    .await
    .map_err(|e| e.message())
    .unwrap();
    assert!(
        kaim::db::users::find(&app.db, user.id)
            .await
            .map_err(|e| e.message())
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn instances_starting_together_on_an_empty_database_all_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let url = match crate::helpers::fresh_postgres().await {
        Some(url) => url,
        None => format!("sqlite://{}?mode=rwc", dir.path().join("kaim.db").display()),
    };
    let mut pools = Vec::new();
    for _ in 0..4 {
        pools.push(kaim::db::connect(&url, 2).await.unwrap());
    }
    let started = futures::future::join_all(pools.iter().map(kaim::db::migrate)).await;
    for outcome in started {
        assert!(
            outcome.is_ok(),
            "an instance failed to migrate: {outcome:?}"
        );
    }
    assert!(
        Migrator::get_pending_migrations(&pools[0])
            .await
            .unwrap()
            .is_empty()
    );
}
