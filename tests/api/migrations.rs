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
