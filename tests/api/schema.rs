//! The committed `schema.graphql` is the generated one, and every type and field is described.

use async_graphql::{EmptySubscription, Schema};
use kaim::graphql::schema::{Mutation, Query, sdl};

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .unwrap_or_default();
    let generated = sdl();
    if committed != generated {
        if std::env::var_os("KAIM_UPDATE_SCHEMA").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"),
                &generated,
            )
            .expect("write schema.graphql");
        } else {
            panic!(
                "schema.graphql is out of date: run `KAIM_UPDATE_SCHEMA=1 cargo test schema` (or `cargo run -- schema > schema.graphql`) and commit it"
            );
        }
    }
}

#[test]
fn every_type_and_field_has_a_description() {
    let schema = Schema::build(Query::default(), Mutation::default(), EmptySubscription).finish();
    let response = futures::executor::block_on(schema.execute(
        "{ __schema { types { name kind description fields { name description args { name description } } inputFields { name description } enumValues { name description } } } }",
    ));
    let json = response.data.into_json().expect("introspection JSON");
    let mut missing = Vec::new();
    for ty in json["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if ty["description"].as_str().is_none_or(str::is_empty) {
            missing.push(name.to_owned());
        }
        for list in ["fields", "inputFields", "enumValues"] {
            for field in ty[list].as_array().into_iter().flatten() {
                let field_name = field["name"].as_str().unwrap_or_default();
                if field["description"].as_str().is_none_or(str::is_empty) {
                    missing.push(format!("{name}.{field_name}"));
                }
                for arg in field["args"].as_array().into_iter().flatten() {
                    if arg["description"].as_str().is_none_or(str::is_empty) {
                        missing.push(format!(
                            "{name}.{field_name}({})",
                            arg["name"].as_str().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}
