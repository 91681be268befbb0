//! The fixes of a security review, each over HTTP: webhook addresses that carry a non-public
//! IPv4 address, an OAuth error without `error_description`, a token answer's `expires_in`
//! shorter than the JWT's `exp`, what the OpenAPI document says `force`, `cif`, `events` and
//! `companyId` accept, and the authorization links of a creator whose account was disabled.

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    COVERED, SERIAL_02, TestApp, problem, serial_with_rights, spawn_app, user_id_of,
};

const CIF: &str = "18547290";
const TOKENS: &str = "/api/v1/anaf/tokens";

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// True when `at` is `expected` give or take two minutes (the test's clock against the portal's).
fn about(at: DateTime<Utc>, expected: DateTime<Utc>) -> bool {
    (at - expected).abs() < TimeDelta::minutes(2)
}

/// A logged-in accountant with one company connected through the simulator, and an API key.
async fn connected(app: &TestApp) -> (i64, String) {
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "connected");
    let key = app.key_from_page("ERP").await;
    (company, key)
}

async fn only_token(app: &TestApp, key: &str) -> Value {
    let response = app.api_get(TOKENS, key).await;
    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    list[0].clone()
}

#[tokio::test]
async fn webhook_urls_carrying_a_non_public_ipv4_address_are_refused() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let key = app.key_from_page("ERP").await;
    for literal in [
        // IPv4-translated (RFC 2765) 127.0.0.1.
        "http://[::ffff:0:7f00:1]/",
        // Local-use NAT64 (RFC 8215) 127.0.0.1, and the same prefix in another form.
        "http://[64:ff9b:1::7f00:1]/",
        "http://[64:ff9b:1:7f00:0:100::]/",
        // Teredo with the client 127.0.0.1 (stored inverted).
        "http://[2001:0:808:808::80ff:fffe]/",
    ] {
        let response = app
            .register_endpoint(company, literal, &["token.connected"])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{literal}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("adrese publice"), "{literal}: {html}");

        let response = app
            .api(Method::POST, "/api/v1/webhooks", &key)
            .json(&json!({"companyId": company, "url": literal, "events": ["token.connected"]}))
            .send()
            .await
            .unwrap();
        let body = problem(response, 422, None).await;
        assert!(
            body["detail"].as_str().unwrap().contains("private"),
            "{literal}: {body}"
        );
    }
    // A public IPv4 address in the same clothing is a public address.
    let response = app
        .register_endpoint(company, "http://[64:ff9b::808:808]/", &["token.connected"])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_oauth_error_without_a_description_reads_as_a_whole_sentence() {
    let app = spawn_app().await;
    let (company, key) = connected(&app).await;
    let id = only_token(&app, &key).await["id"].as_i64().unwrap();
    app.sim_fault(
        "token",
        json!({"kind": "oauth_error", "error": "invalid_grant"}),
    )
    .await;
    let response = app.api_refresh(&key, id).await;
    problem(response, 409, None).await;

    let said = "ANAF refused the grant without saying why";
    let token = only_token(&app, &key).await;
    assert_eq!(token["status"], "reconnect_needed", "{token}");
    assert_eq!(token["refresh"]["lastError"], said, "{token}");
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains(said), "{page}");
    assert!(!page.contains("refused the grant: "), "{page}");
}

#[tokio::test]
async fn an_access_token_ends_when_the_token_answer_says_when_that_is_before_its_exp() {
    let app = spawn_app().await;
    // The JWT says 90 days; the answer's `expires_in` one hour, and the simulator ends it then.
    app.sim_post("settings", json!({"access_token_expires_in_seconds": 3600}))
        .await;
    let (_, key) = connected(&app).await;
    let token = only_token(&app, &key).await;
    let expires_at = instant(&token["expiresAt"]);
    assert!(
        about(expires_at, Utc::now() + TimeDelta::hours(1)),
        "the earlier end: {token}"
    );
    assert!(
        instant(&token["refresh"]["dueAt"]) < expires_at,
        "refreshed before it ends: {token}"
    );
    let id = token["id"].as_i64().unwrap();
    let response = app
        .api_get(&format!("{TOKENS}/{id}/access-token"), &key)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let access: Value = response.json().await.unwrap();
    assert_eq!(access["expiresAt"], token["expiresAt"]);

    // A refresh's answer is read the same way.
    app.sim_post("settings", json!({"access_token_expires_in_seconds": 1800}))
        .await;
    let response = app.api_refresh(&key, id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed: Value = response.json().await.unwrap();
    assert!(
        about(
            instant(&refreshed["expiresAt"]),
            Utc::now() + TimeDelta::minutes(30)
        ),
        "{refreshed}"
    );
}

#[tokio::test]
async fn a_wrong_force_value_is_a_documented_400_and_company_id_may_be_written_7_0() {
    let app = spawn_app().await;
    let (company, key) = connected(&app).await;
    let id = only_token(&app, &key).await["id"].as_i64().unwrap();
    let calls_before = app.sim_calls("token").await.len();
    for wrong in ["yes", "1", "TRUE", ""] {
        let response = app
            .api(
                Method::POST,
                &format!("{TOKENS}/{id}/refresh?force={wrong}"),
                &key,
            )
            .send()
            .await
            .unwrap();
        let body = problem(response, 400, None).await;
        assert_eq!(
            body["detail"], "`force` must be `true` or `false`",
            "{wrong}: {body}"
        );
    }
    assert_eq!(
        app.sim_calls("token").await.len(),
        calls_before,
        "nothing was asked of ANAF"
    );
    let document: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let refresh = &document["paths"]["/api/v1/anaf/tokens/{id}/refresh"]["post"];
    assert!(refresh["responses"]["400"].is_object(), "{refresh}");
    let cif = &document["components"]["schemas"]["CreateTokenRequest"]["properties"]["cif"];
    assert_eq!(cif["minLength"], 2, "{cif}");
    assert!(cif["pattern"].is_string(), "{cif}");
    let events =
        &document["components"]["schemas"]["CreateEndpointRequest"]["properties"]["events"];
    assert_eq!(events["items"]["enum"][0], "token.connected", "{events}");

    // JSON Schema's `integer` includes 7.0: the API reads it as 7, and refuses 7.5.
    let register = |company_id: Value| {
        app.api(Method::POST, "/api/v1/webhooks", &key)
            .json(&json!({
                "companyId": company_id, "url": "https://hooks.example.com/anaf",
                "events": ["token.connected"]
            }))
    };
    let response = register(json!(company as f64)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["companyId"], company);
    let response = register(json!(company as f64 + 0.5)).send().await.unwrap();
    let body = problem(response, 400, None).await;
    assert_eq!(body["detail"], "`companyId`: expected an integer", "{body}");
}

async fn disable(app: &TestApp, email: &str) {
    let user = user_id_of(app, email).await;
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        anaf_portal::db::models::users::set_disabled(&mut conn, user, true).unwrap();
    })
    .await
    .unwrap();
}

async fn stored_tokens(app: &TestApp) -> i64 {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::anaf_tokens;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        anaf_tokens::table
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_disabled_creators_link_stops_working_even_half_way_through() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(COVERED[0], "Alfa SRL").await;
    let link = app.create_link(&[company]).await;
    let waiting = app.create_link(&[company]).await;
    let holder = app.second_browser();
    // The holder is at ANAF when the creator's account is disabled.
    let authorize = holder.press_link_connect(&link.path).await;
    let callback = holder.choose_certificate(&authorize, SERIAL_02).await;
    disable(&app, "contabil@firma.ro").await;

    let says_so = |page: &str| {
        page.contains("contul persoanei care l-a creat este dezactivat")
            && !page.contains("contabil@firma.ro")
    };
    let (status, page) = holder.link_callback(&callback).await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    assert!(says_so(&page), "{page}");
    assert!(
        app.sim_calls("token").await.is_empty(),
        "the code is never exchanged"
    );
    assert_eq!(stored_tokens(&app).await, 0, "nothing stored");

    // The holder's page of either link, and its Connect button.
    for path in [&link.path, &waiting.path] {
        let response = holder.get(path).await;
        assert_eq!(response.status(), StatusCode::GONE, "{path}");
        let page = response.text().await.unwrap();
        assert!(says_so(&page), "{page}");
        assert!(!page.contains("/connect"), "no Connect button: {page}");
    }
    let response = holder
        .client
        .get(holder.url(&waiting.path))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("the account of the person who created it is disabled")
    );
    let token = crate::helpers::csrf_token(&holder.get_html("/login").await);
    let response = holder
        .client
        .post(holder.url(&format!("{}/connect", waiting.path)))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
}
