//! Clients: creation, validation, updates with versions, archiving, the portfolio list.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const CLIENT_FIELDS: &str = "id name legalName country status version archived registryIds { scheme value } manager { name }";

#[tokio::test]
async fn a_created_client_reads_back_with_its_registry_ids() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            &format!("mutation($input: CreateClientInput!) {{ createClient(input: $input) {{ {CLIENT_FIELDS} }} }}"),
            json!({ "input": {
                "name": "Газпром",
                "legalName": "ПАО «Газпром»",
                "country": "ru",
                "status": "ACTIVE",
                "registryIds": [{ "scheme": "RU_INN", "value": "7736050003" }],
            }}),
        )
        .await;
    let client = &data["createClient"];
    assert_eq!(client["country"], "RU");
    assert_eq!(client["version"], 1);
    assert_eq!(
        client["registryIds"],
        json!([{ "scheme": "RU_INN", "value": "7736050003" }])
    );

    let data = app
        .data(
            &format!("query($id: ID!) {{ client(id: $id) {{ {CLIENT_FIELDS} }} node(id: $id) {{ id ... on Client {{ name }} }} }}"),
            json!({ "id": client["id"] }),
        )
        .await;
    assert_eq!(data["client"]["legalName"], "ПАО «Газпром»");
    assert_eq!(data["node"]["name"], "Газпром");
}

#[tokio::test]
async fn invalid_input_names_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    for (input, field) in [
        (json!({ "name": "  " }), "input.name"),
        (json!({ "name": "Acme", "country": "XX" }), "input.country"),
        (
            json!({ "name": "Acme", "registryIds": [{ "scheme": "LEI", "value": "INR2EJN1ERAN0W5ZP975" }] }),
            "input.registryIds[0].value",
        ),
        (
            json!({ "name": "Acme", "registryIds": [
                { "scheme": "RU_INN", "value": "7707083893" },
                { "scheme": "RU_OGRN", "value": "1027700132196" }
            ] }),
            "input.registryIds[1].value",
        ),
        (
            json!({ "name": "Acme", "managerId": "bm9wZQ" }),
            "input.managerId",
        ),
    ] {
        let body = app
            .graphql(
                "mutation($input: CreateClientInput!) { createClient(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), field);
    }
    let data = app.data("{ clients { totalCount } }", json!({})).await;
    assert_eq!(data["clients"]["totalCount"], 0);
}

#[tokio::test]
async fn a_registry_id_already_recorded_is_a_conflict_and_the_client_is_not_created() {
    let app = TestApp::spawn().await;
    let ids = json!([{ "scheme": "LEI", "value": "INR2EJN1ERAN0W5ZP974" }]);
    app.create_client(json!({ "name": "Microsoft", "registryIds": ids }))
        .await;
    let body = app
        .graphql(
            "mutation($input: CreateClientInput!) { createClient(input: $input) { id } }",
            json!({ "input": { "name": "Microsoft again", "registryIds": ids } }),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT");
    let data = app.data("{ clients { totalCount } }", json!({})).await;
    assert_eq!(data["clients"]["totalCount"], 1);
}

#[tokio::test]
async fn updating_with_a_stale_version_is_a_conflict() {
    let app = TestApp::spawn().await;
    let id = app.create_client(json!({ "name": "Acme" })).await;
    let update = "mutation($id: ID!, $v: Int!, $input: UpdateClientInput!) { updateClient(id: $id, version: $v, input: $input) { name legalName version } }";
    let data = app
        .data(update, json!({ "id": id, "v": 1, "input": { "name": "Acme Ltd", "legalName": "Acme Limited" } }))
        .await;
    assert_eq!(data["updateClient"]["version"], 2);

    let body = app
        .graphql(
            update,
            json!({ "id": id, "v": 1, "input": { "name": "Lost update" } }),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT");

    let data = app
        .data(
            update,
            json!({ "id": id, "v": 2, "input": { "legalName": null } }),
        )
        .await;
    assert_eq!(
        data["updateClient"]["name"], "Acme Ltd",
        "absent fields stay"
    );
    assert_eq!(
        data["updateClient"]["legalName"],
        Value::Null,
        "null clears"
    );
}

#[tokio::test]
async fn archived_clients_leave_the_list_and_come_back_on_restore() {
    let app = TestApp::spawn().await;
    let id = app.create_client(json!({ "name": "Acme" })).await;
    app.create_client(json!({ "name": "Beta" })).await;
    app.data(
        "mutation($id: ID!) { archiveClient(id: $id, version: 1) { archived } }",
        json!({ "id": id }),
    )
    .await;
    let list = "query($a: Boolean!) { clients(filter: { archived: $a }) { nodes { name } } }";
    let data = app.data(list, json!({ "a": false })).await;
    assert_eq!(data["clients"]["nodes"], json!([{ "name": "Beta" }]));
    let data = app.data(list, json!({ "a": true })).await;
    assert_eq!(data["clients"]["nodes"], json!([{ "name": "Acme" }]));
    app.data(
        "mutation($id: ID!) { restoreClient(id: $id, version: 2) { archived } }",
        json!({ "id": id }),
    )
    .await;
    let data = app.data(list, json!({ "a": false })).await;
    assert_eq!(data["clients"]["nodes"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn search_is_case_insensitive_in_any_script() {
    let app = TestApp::spawn().await;
    app.create_client(json!({ "name": "Газпром", "legalName": "ПАО «Газпром»" }))
        .await;
    app.create_client(json!({ "name": "Ёлки-Палки" })).await;
    app.create_client(json!({ "name": "Tesco", "legalName": "TESCO PLC" }))
        .await;
    app.create_client(json!({ "name": "100% Pure" })).await;
    for (search, expected) in [
        ("газпром", vec!["Газпром"]),
        ("«ГАЗ", vec!["Газпром"]),
        ("елки", vec!["Ёлки-Палки"]),
        ("tesco plc", vec!["Tesco"]),
        ("%", vec!["100% Pure"]),
        ("_", vec![]),
    ] {
        let data = app
            .data(
                "query($s: String) { clients(filter: { search: $s }) { nodes { name } } }",
                json!({ "s": search }),
            )
            .await;
        let names: Vec<&str> = data["clients"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "search {search:?}");
    }
}

#[tokio::test]
async fn filters_combine_status_country_industry_manager_and_registry_scheme() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user_token(entity::enums::Role::Manager, "Maria").await;
    app.create_client(json!({ "name": "A", "status": "ACTIVE", "country": "GB", "industry": "Retail", "managerId": manager,
        "registryIds": [{ "scheme": "GB_COMPANY_NUMBER", "value": "445790" }] })).await;
    app.create_client(
        json!({ "name": "B", "status": "ACTIVE", "country": "DE", "industry": "Retail" }),
    )
    .await;
    app.create_client(
        json!({ "name": "C", "status": "LOST", "country": "GB", "industry": "Energy" }),
    )
    .await;
    let query = "query($f: ClientFilter) { clients(filter: $f) { totalCount nodes { name } } }";
    for (filter, expected) in [
        (
            json!({ "status": ["ACTIVE"] }),
            json!([{ "name": "A" }, { "name": "B" }]),
        ),
        (
            json!({ "country": ["gb"] }),
            json!([{ "name": "A" }, { "name": "C" }]),
        ),
        (
            json!({ "industry": ["Retail"], "country": ["DE"] }),
            json!([{ "name": "B" }]),
        ),
        (json!({ "managerId": manager }), json!([{ "name": "A" }])),
        (
            json!({ "hasRegistryId": "GB_COMPANY_NUMBER" }),
            json!([{ "name": "A" }]),
        ),
    ] {
        let data = app.data(query, json!({ "f": filter })).await;
        assert_eq!(data["clients"]["nodes"], expected, "filter {filter}");
    }
}

#[tokio::test]
async fn keyset_pages_walk_forwards_and_backwards_without_gaps() {
    let app = TestApp::spawn().await;
    for name in ["E", "B", "D", "A", "C", "F", "G"] {
        app.create_client(json!({ "name": name })).await;
    }
    let query = "query($first: Int, $after: String, $last: Int, $before: String) {
        clients(first: $first, after: $after, last: $last, before: $before) {
            totalCount nodes { name }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let names = |data: &Value| -> Vec<String> {
        data["clients"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let page1 = app.data(query, json!({ "first": 3 })).await;
    assert_eq!(names(&page1), ["A", "B", "C"]);
    assert_eq!(page1["clients"]["totalCount"], 7);
    assert_eq!(page1["clients"]["pageInfo"]["hasNextPage"], true);
    let page2 = app
        .data(
            query,
            json!({ "first": 3, "after": page1["clients"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(names(&page2), ["D", "E", "F"]);
    assert_eq!(page2["clients"]["pageInfo"]["hasPreviousPage"], true);
    let back = app
        .data(
            query,
            json!({ "last": 2, "before": page2["clients"]["pageInfo"]["startCursor"] }),
        )
        .await;
    assert_eq!(names(&back), ["B", "C"]);
    assert_eq!(back["clients"]["pageInfo"]["hasPreviousPage"], true);
    let last = app.data(query, json!({ "last": 2 })).await;
    assert_eq!(names(&last), ["F", "G"]);
}

#[tokio::test]
async fn ordering_by_several_fields_pages_consistently() {
    let app = TestApp::spawn().await;
    for (name, status) in [
        ("A", "ACTIVE"),
        ("B", "LOST"),
        ("C", "ACTIVE"),
        ("D", "LOST"),
    ] {
        app.create_client(json!({ "name": name, "status": status }))
            .await;
    }
    let query = "query($after: String) { clients(first: 2, after: $after, orderBy: [{ field: CREATED_AT, direction: DESC }]) {
        nodes { name } pageInfo { endCursor } } }";
    let page1 = app.data(query, json!({})).await;
    assert_eq!(
        page1["clients"]["nodes"],
        json!([{ "name": "D" }, { "name": "C" }])
    );
    let page2 = app
        .data(
            query,
            json!({ "after": page1["clients"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        page2["clients"]["nodes"],
        json!([{ "name": "B" }, { "name": "A" }])
    );

    let body = app
        .graphql(
            "query($after: String) { clients(after: $after) { nodes { name } } }",
            json!({ "after": page1["clients"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "BAD_USER_INPUT",
        "a cursor of another ordering"
    );
    assert_eq!(error_field(&body), "after");
}

#[tokio::test]
async fn asking_for_more_than_the_page_cap_is_an_error() {
    let app = TestApp::spawn().await;
    let body = app
        .graphql("{ clients(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(error_field(&body), "first");
}

#[tokio::test]
async fn a_manager_is_assigned_and_an_analyst_may_not_write() {
    let app = TestApp::spawn().await;
    let (analyst, _) = app.user_token(entity::enums::Role::Analyst, "Ann").await;
    let (_, manager) = app.user_token(entity::enums::Role::Manager, "Max").await;
    let id = app.create_client(json!({ "name": "Acme" })).await;
    let data = app
        .data(
            "mutation($id: ID!, $m: ID) { assignManager(clientId: $id, managerId: $m, version: 1) { manager { name } version } }",
            json!({ "id": id, "m": manager }),
        )
        .await;
    assert_eq!(data["assignManager"]["manager"]["name"], "Max");

    let body = app
        .graphql_as(
            &analyst,
            "mutation { createClient(input: { name: \"Nope\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let data = app
        .graphql_as(
            &analyst,
            "{ clients { totalCount } me { role } }",
            json!({}),
        )
        .await;
    assert_eq!(data["data"]["clients"]["totalCount"], 1);
    assert_eq!(data["data"]["me"]["role"], "ANALYST");
}
