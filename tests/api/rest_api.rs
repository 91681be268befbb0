//! The REST API against the seed contract (`shared/seeds/000_*.txt`): every status of its tables
//! with its trigger, the example shapes, API keys, cross-user access, the concurrency case, the
//! extra endpoints, the rate limit and the OpenAPI document.

use std::time::Duration;

use anaf_portal::db::models::api_keys;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    problem, serial_with_rights, serial_without_rights, spawn_app, spawn_app_with,
};

const CIF: &str = "18547290";
/// Certificate 01 also has rights on this one.
const CIF_SAME_CERT: &str = "14399840";
/// Certificate 01 has no rights on this one (certificate 02 has).
const CIF_OTHER: &str = "22732040";
const TOKENS: &str = "/api/v1/anaf/tokens";

fn is_utc_timestamp(value: &Value) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    let bytes = text.as_bytes();
    text.len() == 20
        && bytes[19] == b'Z'
        && bytes[10] == b'T'
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

fn detail(body: &Value) -> String {
    body["detail"].as_str().unwrap_or_default().to_owned()
}

/// The seed's object: exactly its five fields with their types (plus documented extras).
fn assert_token_shape(token: &Value, cif: &str) {
    assert!(token["id"].is_i64(), "integer id: {token}");
    assert_eq!(token["cif"], cif);
    assert!(is_utc_timestamp(&token["expiresAt"]), "{token}");
    assert!(is_utc_timestamp(&token["createdAt"]), "{token}");
    assert!(token["isValid"].is_boolean());
    let documented = [
        "id",
        "cif",
        "expiresAt",
        "isValid",
        "createdAt",
        "status",
        "companyName",
        "refreshExpiresAt",
        "hasRefreshToken",
        "refreshable",
        "rights",
        "cifs",
        "refresh",
    ];
    assert!(is_utc_timestamp(&token["refresh"]["dueAt"]), "{token}");
    assert!(token["cifs"].is_array(), "{token}");
    for field in token.as_object().unwrap().keys() {
        assert!(documented.contains(&field.as_str()), "undocumented {field}");
    }
}

#[tokio::test]
async fn the_seed_round_trip_list_save_list_delete() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;

    let response = app.api_get(TOKENS, &key).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), json!([]));

    // POST with only `token`, as in the seed: the company is found by its SPV rights.
    let (access, _) = app.mint(&serial_with_rights()).await;
    let response = app.api_post(&key, json!({"token": access})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_token_shape(&created, CIF);
    assert_eq!(created["isValid"], true);
    assert_eq!(
        created["hasRefreshToken"], false,
        "no refreshToken was sent"
    );
    assert_eq!(created["rights"], "granted");
    assert_eq!(location, format!("{TOKENS}/{}", created["id"]));
    assert!(
        !app.sim_calls("hello").await.is_empty(),
        "validated with ANAF's hello service"
    );

    let listed: Value = app.api_get(TOKENS, &key).await.json().await.unwrap();
    assert_eq!(listed, json!([created.clone()]));
    let shown: Value = app.api_get(&location, &key).await.json().await.unwrap();
    assert_eq!(shown, created);

    let response = app
        .api(Method::DELETE, &location, &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.api_get(TOKENS, &key)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );
    problem(
        app.api(Method::DELETE, &location, &key)
            .send()
            .await
            .unwrap(),
        404,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_token_without_refresh_token_is_marked_on_the_company_page() {
    let app = spawn_app().await;
    app.register_logged_in("erp@firma.ro").await;
    let company = app.add_company(CIF, "Firma SRL").await;
    let key = app.key_from_page("ERP").await;
    let (access, _) = app.mint(&serial_with_rights()).await;
    let response = app
        .api_post(&key, json!({"token": access, "cif": CIF}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let page = app
        .client
        .get(app.url(&format!("/companies/{company}")))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("saved without a refresh token, so it cannot be refreshed"),
        "the UI says the token cannot be refreshed"
    );
    assert!(page.contains("Token saved through the API"), "history");
}

#[tokio::test]
async fn every_unauthenticated_request_gets_401_with_www_authenticate() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let unknown = format!("anaf_{}", "A".repeat(43));
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("basic scheme", Some("Basic dXNlcjpwYXNz".to_owned())),
        ("bearer without key", Some("Bearer".to_owned())),
        ("malformed key", Some("Bearer not-a-key".to_owned())),
        ("unknown key", Some(format!("Bearer {unknown}"))),
    ];
    for (what, header) in cases {
        for (method, path) in [
            (Method::GET, TOKENS.to_owned()),
            (Method::POST, TOKENS.to_owned()),
            (Method::DELETE, format!("{TOKENS}/1")),
        ] {
            let mut request = app.client.request(method, app.url(&path));
            if let Some(h) = &header {
                request = request.header("authorization", h);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer", "{what}");
            problem(response, 401, Some(&key)).await;
        }
    }

    // The key works, then its user is disabled: 401.
    assert_eq!(app.api_get(TOKENS, &key).await.status(), StatusCode::OK);
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        let email = anaf_portal::domain::Email::parse("erp@firma.ro").unwrap();
        let user = anaf_portal::db::models::users::find_by_email(&mut conn, &email)
            .unwrap()
            .unwrap();
        anaf_portal::db::models::users::set_disabled(&mut conn, user.id, true).unwrap();
    })
    .await
    .unwrap();
    problem(app.api_get(TOKENS, &key).await, 401, Some(&key)).await;
}

#[tokio::test]
async fn api_keys_are_shown_once_listed_by_prefix_hashed_and_revocable() {
    let app = spawn_app().await;
    app.register_logged_in("erp@firma.ro").await;
    let key = app.key_from_page("ERP productie").await;
    assert!(key.starts_with("anaf_") && key.len() == api_keys::KEY_LENGTH);

    let page = app.get_html("/settings/api-keys").await;
    assert!(page.contains("ERP productie"));
    assert!(page.contains(&key[..12]), "the prefix is listed");
    assert!(!page.contains(&key), "the key is never shown again");
    assert!(page.contains("name=\"csrf_token\""));

    // Only the hash is stored; a use records last_used_at.
    assert_eq!(app.api_get(TOKENS, &key).await.status(), StatusCode::OK);
    let db = app.db();
    let (hash, last_used) = tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::api_keys::dsl;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        dsl::api_keys
            .select((dsl::key_hash, dsl::last_used_at))
            .first::<(String, Option<chrono::NaiveDateTime>)>(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(hash, anaf_portal::secrets::sha256_hex(&key));
    assert!(last_used.is_some(), "last_used_at recorded");

    // An empty name is refused.
    let response = app
        .post_form("/settings/api-keys", "/settings/api-keys", &[("name", " ")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Revoke: the key stops working at once.
    let page = app.get_html("/settings/api-keys").await;
    let marker = "action=\"/settings/api-keys/";
    let start = page.find(marker).unwrap() + marker.len();
    let id = page[start..].split('/').next().unwrap().to_owned();
    let response = app
        .post_form(
            "/settings/api-keys",
            &format!("/settings/api-keys/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app.api_get(TOKENS, &key).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        !app.get_html("/settings/api-keys")
            .await
            .contains(&key[..12])
    );
}

#[tokio::test]
async fn the_api_key_create_command_prints_a_working_key() {
    let app = spawn_app().await;
    let (_, _) = app.user_with_key("erp@firma.ro", &[]).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .args([
            "api-key",
            "create",
            "--email",
            "erp@firma.ro",
            "--name",
            "cron",
        ])
        .args(["--database-url", &app.database_url])
        .arg("--data-dir")
        .arg(app.data_dir.path())
        .env_remove("ANAF_CLIENT_ID")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(api_keys::is_well_formed(&key), "prints only the key");
    assert_eq!(app.api_get(TOKENS, &key).await.status(), StatusCode::OK);

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .args([
            "api-key",
            "create",
            "--email",
            "nobody@firma.ro",
            "--name",
            "x",
        ])
        .args(["--database-url", &app.database_url])
        .arg("--data-dir")
        .arg(app.data_dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--email"));
}

#[tokio::test]
async fn post_body_errors_415_413_400() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let (access, _) = app.mint(&serial_with_rights()).await;

    let body = json!({"token": access}).to_string();
    let response = app
        .api(Method::POST, TOKENS, &key)
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    problem(response, 415, Some(&access)).await;
    let response = app
        .api(Method::POST, TOKENS, &key)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    problem(response, 415, Some(&access)).await;

    let huge = json!({"token": "x".repeat(70 * 1024)}).to_string();
    let response = app
        .api(Method::POST, TOKENS, &key)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    problem(response, 413, None).await;

    for (what, raw) in [
        ("malformed JSON", format!("{{\"token\": \"{access}\"")),
        ("missing token", "{\"cif\": \"18547290\"}".to_owned()),
        ("not an object", format!("\"{access}\"")),
        ("token not a string", "{\"token\": 5}".to_owned()),
    ] {
        let response = app
            .api(Method::POST, TOKENS, &key)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let body = problem(response, 400, Some(&access)).await;
        if what == "missing token" {
            assert!(detail(&body).contains("token"), "{body}");
        }
    }
    assert!(
        app.sim_calls("hello").await.is_empty(),
        "nothing reached ANAF"
    );
}

#[tokio::test]
async fn post_token_errors_say_which_and_never_echo_the_token() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;

    let body = problem(
        app.api_post(&key, json!({"token": "not a jwt"})).await,
        400,
        Some("not a jwt"),
    )
    .await;
    assert!(detail(&body).contains("not a JWT"), "{body}");

    let body = problem(
        app.api_post(&key, json!({"token": "abc.def.ghi"})).await,
        400,
        Some("abc.def.ghi"),
    )
    .await;
    assert!(detail(&body).contains("decoded"), "{body}");

    // A token whose signature is not the simulator's.
    let (access, _) = app.mint(&serial_with_rights()).await;
    let forged = format!("{}x", &access[..access.len() - 2]);
    let body = problem(
        app.api_post(&key, json!({"token": forged})).await,
        400,
        Some(&forged),
    )
    .await;
    assert!(
        detail(&body).contains("signature") || detail(&body).contains("decoded"),
        "{body}"
    );

    // Expired: minted 100 simulated days ago.
    app.sim_post("clock", json!({"offset_seconds": -100 * 86_400}))
        .await;
    let (expired, _) = app.mint(&serial_with_rights()).await;
    app.sim_post("clock", json!({"reset": true})).await;
    let body = problem(
        app.api_post(&key, json!({"token": expired})).await,
        400,
        Some(&expired),
    )
    .await;
    assert!(detail(&body).contains("expired"), "{body}");

    // ANAF's hello service rejects it.
    app.sim_fault("hello", json!({"kind": "status", "status": 401}))
        .await;
    let body = problem(
        app.api_post(&key, json!({"token": access})).await,
        400,
        Some(&access),
    )
    .await;
    assert!(detail(&body).contains("ANAF rejected"), "{body}");
}

#[tokio::test]
async fn anaf_unreachable_is_502_or_503_never_500() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let (access, _) = app.mint(&serial_with_rights()).await;

    app.sim_fault("hello", json!({"kind": "drop"})).await;
    problem(
        app.api_post(&key, json!({"token": access})).await,
        503,
        Some(&access),
    )
    .await;
    // ANAF failing (5xx) is an outage to wait out, like ANAF unreachable: 503.
    app.sim_fault("hello", json!({"kind": "status", "status": 500}))
        .await;
    problem(
        app.api_post(&key, json!({"token": access})).await,
        503,
        Some(&access),
    )
    .await;
    // The rights probe cannot reach ANAF: nothing is stored.
    app.sim_fault("lista", json!({"kind": "drop"})).await;
    problem(
        app.api_post(&key, json!({"token": access})).await,
        503,
        Some(&access),
    )
    .await;
    let listed: Value = app.api_get(TOKENS, &key).await.json().await.unwrap();
    assert_eq!(listed, json!([]));
    // And once ANAF is back, the same token is saved.
    assert_eq!(
        app.api_post(&key, json!({"token": access})).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn cif_rules_422() {
    let app = spawn_app().await;
    let (other_key, _) = app.user_with_key("other@firma.ro", &[CIF_OTHER]).await;
    let (key, _) = app
        .user_with_key("erp@firma.ro", &[CIF, CIF_SAME_CERT])
        .await;
    let (access, refresh) = app.mint(&serial_with_rights()).await;

    // Omitted and the certificate has rights on both companies: 422 listing them.
    let body = problem(
        app.api_post(&key, json!({"token": access})).await,
        422,
        Some(&access),
    )
    .await;
    assert!(
        detail(&body).contains(CIF) && detail(&body).contains(CIF_SAME_CERT),
        "{body}"
    );
    assert!(detail(&body).contains("cif"), "asks for cif: {body}");

    // Omitted and no rights on any: 422 saying so.
    let (no_rights, _) = app.mint(&serial_without_rights()).await;
    let body = problem(
        app.api_post(&key, json!({"token": no_rights})).await,
        422,
        Some(&no_rights),
    )
    .await;
    assert!(detail(&body).contains("none"), "{body}");
    problem(
        app.api_post(&other_key, json!({"token": no_rights})).await,
        422,
        None,
    )
    .await;

    // Invalid CIF, and a CIF that is another user's company: 422, nothing revealed.
    let body = problem(
        app.api_post(&key, json!({"token": access, "cif": "12345678"}))
            .await,
        422,
        Some(&access),
    )
    .await;
    assert!(detail(&body).contains("check digit"), "{body}");
    let body = problem(
        app.api_post(&key, json!({"token": access, "cif": CIF_OTHER}))
            .await,
        422,
        Some(&access),
    )
    .await;
    assert!(
        detail(&body).contains("not one of your companies"),
        "{body}"
    );

    // With `cif` it is saved for that company, RO prefix accepted.
    let response = app
        .api_post(
            &key,
            json!({"token": access, "cif": format!("RO{CIF_SAME_CERT}"), "refreshToken": refresh}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_token_shape(&created, CIF_SAME_CERT);
    assert_eq!(created["hasRefreshToken"], true);
    assert!(is_utc_timestamp(&created["refreshExpiresAt"]));

    // The same token again: 422.
    let body = problem(
        app.api_post(&key, json!({"token": access, "cif": CIF}))
            .await,
        422,
        Some(&access),
    )
    .await;
    assert!(detail(&body).contains("already stored"), "{body}");
    problem(
        app.api_post(&key, json!({"token": access})).await,
        422,
        Some(&access),
    )
    .await;
}

#[tokio::test]
async fn two_identical_posts_at_once_give_one_201_and_one_422() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    for round in 0..3 {
        let (access, refresh) = app.mint(&serial_with_rights()).await;
        let body = json!({"token": access, "refreshToken": refresh});
        let (a, b) = tokio::join!(
            app.api_post(&key, body.clone()),
            app.api_post(&key, body.clone())
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 422], "round {round}");
    }
    let listed: Value = app.api_get(TOKENS, &key).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "one token per company");
}

#[tokio::test]
async fn cross_user_access_gets_403_or_404_never_data() {
    let app = spawn_app().await;
    let (owner_key, _) = app.user_with_key("owner@firma.ro", &[CIF]).await;
    let (stranger_key, _) = app.user_with_key("stranger@firma.ro", &[CIF_OTHER]).await;
    let (token, access) = app.save_minted(&owner_key, Some(CIF)).await;
    let id = token["id"].as_i64().unwrap();

    let listed: Value = app
        .api_get(TOKENS, &stranger_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]), "another user's tokens are not listed");
    for (method, path) in [
        (Method::GET, format!("{TOKENS}/{id}")),
        (Method::DELETE, format!("{TOKENS}/{id}")),
        (Method::POST, format!("{TOKENS}/{id}/refresh")),
        (Method::GET, format!("{TOKENS}/{id}/access-token")),
    ] {
        let response = app
            .api(method.clone(), &path, &stranger_key)
            .send()
            .await
            .unwrap();
        let body = problem(response, 403, Some(&access)).await;
        assert!(!body.to_string().contains(CIF), "{method} {path}: {body}");
    }
    for path in [
        format!("{TOKENS}/{}", id + 1000),
        format!("{TOKENS}/abc"),
        format!("{TOKENS}/{}/access-token", id + 1000),
    ] {
        problem(app.api_get(&path, &stranger_key).await, 404, None).await;
    }
    problem(
        app.api(Method::DELETE, &format!("{TOKENS}/abc"), &owner_key)
            .send()
            .await
            .unwrap(),
        404,
        None,
    )
    .await;

    // A viewer of the company sees the token but may not delete, refresh or reveal it.
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        let stranger: i64 = anaf_portal::db::schema::users::table
            .filter(anaf_portal::db::schema::users::email.eq("stranger@firma.ro"))
            .select(anaf_portal::db::schema::users::id)
            .first(&mut *conn)
            .unwrap();
        let company: i64 = anaf_portal::db::schema::companies::table
            .filter(anaf_portal::db::schema::companies::cif.eq(CIF))
            .select(anaf_portal::db::schema::companies::id)
            .first(&mut *conn)
            .unwrap();
        anaf_portal::db::models::companies::add_member(
            &mut conn,
            anaf_portal::domain::CompanyId(company),
            anaf_portal::domain::UserId(stranger),
            anaf_portal::domain::MemberRole::Viewer,
        )
        .unwrap();
    })
    .await
    .unwrap();
    // A membership written behind the portal's back (no request saw it) shows at once: nothing
    // is cached.
    let listed: Value = app
        .api_get(TOKENS, &stranger_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "viewers see status");
    for (method, path) in [
        (Method::DELETE, format!("{TOKENS}/{id}")),
        (Method::POST, format!("{TOKENS}/{id}/refresh")),
        (Method::GET, format!("{TOKENS}/{id}/access-token")),
    ] {
        let response = app.api(method, &path, &stranger_key).send().await.unwrap();
        problem(response, 403, Some(&access)).await;
    }
    // A viewer cannot save a token for that company either.
    let (fresh, _) = app.mint(&serial_with_rights()).await;
    problem(
        app.api_post(&stranger_key, json!({"token": fresh, "cif": CIF}))
            .await,
        403,
        Some(&fresh),
    )
    .await;
    assert_eq!(
        app.api(Method::DELETE, &format!("{TOKENS}/{id}"), &owner_key)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn delete_revokes_at_anaf_best_effort_and_is_audited() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let (token, _) = app.save_minted(&key, None).await;
    let id = token["id"].as_i64().unwrap();
    let response = app
        .api(Method::DELETE, &format!("{TOKENS}/{id}"), &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // The revocation follows the answer, in the background.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.sim_calls("revoke").await.len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.sim_calls("revoke").await.len(),
        2,
        "revocation of the access and the refresh token tried"
    );
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"token.saved_via_api".to_owned()));
    assert!(actions.contains(&"token.deleted".to_owned()));
}

#[tokio::test]
async fn refresh_200_409_502_503() {
    let app = spawn_app().await;
    let (key, _) = app
        .user_with_key("erp@firma.ro", &[CIF, CIF_SAME_CERT])
        .await;
    let (token, access) = app.save_minted(&key, Some(CIF)).await;
    let id = token["id"].as_i64().unwrap();
    let refresh_path = format!("{TOKENS}/{id}/refresh");

    let response = app
        .api(Method::POST, &refresh_path, &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed: Value = response.json().await.unwrap();
    assert_token_shape(&refreshed, CIF);
    assert_eq!(refreshed["id"], id);

    // Within 60 s of a successful refresh another one returns it without calling ANAF; `force`
    // calls ANAF all the same.
    let calls_before = app.sim_calls("token").await.len();
    let response = app
        .api(Method::POST, &refresh_path, &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.sim_calls("token").await.len(),
        calls_before,
        "no ANAF call"
    );
    let forced = format!("{refresh_path}?force=true");

    // The connection closes before ANAF's answer: 503, and the detail says ANAF may have acted.
    app.sim_fault("token", json!({"kind": "drop"})).await;
    let body = problem(
        app.api(Method::POST, &forced, &key).send().await.unwrap(),
        503,
        Some(&access),
    )
    .await;
    assert!(detail(&body).contains("may have replaced"), "{body}");
    // ANAF fails (5xx): an outage, 503, the token unchanged.
    app.sim_fault("token", json!({"kind": "status", "status": 500}))
        .await;
    let body = problem(
        app.api(Method::POST, &forced, &key).send().await.unwrap(),
        503,
        Some(&access),
    )
    .await;
    assert!(detail(&body).contains("unchanged"), "{body}");
    // ANAF limits: 503 with its Retry-After, and every call of the portal waits that long.
    app.sim_fault(
        "token",
        json!({"kind": "status", "status": 429, "retry_after": 1}),
    )
    .await;
    let response = app.api(Method::POST, &forced, &key).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    problem(response, 503, Some(&access)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // An answer that cannot be used: 502.
    app.sim_fault("token", json!({"kind": "malformed_json"}))
        .await;
    problem(
        app.api(Method::POST, &forced, &key).send().await.unwrap(),
        502,
        Some(&access),
    )
    .await;

    // A year later the refresh token is dead: reconnect needed, 409, and isValid false.
    app.sim_post("clock", json!({"advance_days": 400})).await;
    let body = problem(
        app.api(Method::POST, &forced, &key).send().await.unwrap(),
        409,
        Some(&access),
    )
    .await;
    assert!(detail(&body).contains("reconnect"), "{body}");
    problem(
        app.api(Method::POST, &refresh_path, &key)
            .send()
            .await
            .unwrap(),
        409,
        None,
    )
    .await;
    let listed: Value = app.api_get(TOKENS, &key).await.json().await.unwrap();
    assert_eq!(listed[0]["isValid"], false);
    assert_eq!(listed[0]["status"], "reconnect_needed");
    app.sim_post("clock", json!({"reset": true})).await;

    // Saved without a refresh token: 409.
    let (bare, _) = app.mint(&serial_with_rights()).await;
    let response = app
        .api_post(&key, json!({"token": bare, "cif": CIF_SAME_CERT}))
        .await;
    let bare_id = response.json::<Value>().await.unwrap()["id"].clone();
    let body = problem(
        app.api(Method::POST, &format!("{TOKENS}/{bare_id}/refresh"), &key)
            .send()
            .await
            .unwrap(),
        409,
        Some(&bare),
    )
    .await;
    assert!(detail(&body).contains("refresh token"), "{body}");
}

#[tokio::test]
async fn access_token_is_returned_and_refreshed_first_within_24_hours() {
    let app = spawn_app().await;
    let (key, _) = app
        .user_with_key("erp@firma.ro", &[CIF, CIF_SAME_CERT])
        .await;
    let (token, access) = app.save_minted(&key, Some(CIF)).await;
    let id = token["id"].as_i64().unwrap();

    let response = app
        .api_get(&format!("{TOKENS}/{id}/access-token"), &key)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accessToken"], access.as_str());
    assert_eq!(body["expiresAt"], token["expiresAt"]);
    let refreshes = |calls: Vec<Value>| {
        calls
            .iter()
            .filter(|c| c["grant_type"] == "refresh_token")
            .count()
    };
    assert_eq!(refreshes(app.sim_calls("token").await), 0, "not due");

    // A token that expires in 12 hours is refreshed first, once, even when asked twice at once.
    app.sim_post(
        "clock",
        json!({"offset_seconds": -(90 * 86_400) + 12 * 3_600}),
    )
    .await;
    let (due, due_refresh) = app.mint(&serial_with_rights()).await;
    app.sim_post("clock", json!({"reset": true})).await;
    let response = app
        .api_post(
            &key,
            json!({"token": due, "cif": CIF_SAME_CERT, "refreshToken": due_refresh}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let due_id = response.json::<Value>().await.unwrap()["id"].clone();
    let path = format!("{TOKENS}/{due_id}/access-token");
    let (a, b) = tokio::join!(app.api_get(&path, &key), app.api_get(&path, &key));
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let a: Value = a.json().await.unwrap();
    let b: Value = b.json().await.unwrap();
    assert_ne!(a["accessToken"], due.as_str(), "a new token");
    assert_eq!(a, b, "both callers get the refreshed token");
    assert_eq!(refreshes(app.sim_calls("token").await), 1, "single flight");

    let actions = app.audit_actions().await;
    let revealed = actions.iter().filter(|a| *a == "token.revealed").count();
    assert_eq!(revealed, 3, "every reveal is audited");
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let app = spawn_app_with(&["--api-rate-limit", "3/minute"]).await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[]).await;
    let (other, _) = app.user_with_key("other@firma.ro", &[]).await;
    for _ in 0..3 {
        assert_eq!(app.api_get(TOKENS, &key).await.status(), StatusCode::OK);
    }
    let response = app.api_get(TOKENS, &key).await;
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    problem(response, 429, Some(&key)).await;
    assert_eq!(
        app.api_get(TOKENS, &other).await.status(),
        StatusCode::OK,
        "per key"
    );
}

#[tokio::test]
async fn unknown_api_paths_and_methods_are_problem_json() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[]).await;
    problem(app.api_get("/api/v1/nothing", &key).await, 404, None).await;
    let response = app.api(Method::PUT, TOKENS, &key).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST, HEAD");
    problem(response, 405, None).await;
}

#[tokio::test]
async fn openapi_document_matches_the_snapshot_and_swagger_ui_is_served_locally() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let served: Value = response.json().await.unwrap();
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1."));
    for (path, methods) in [
        (TOKENS, &["get", "post"][..]),
        ("/api/v1/anaf/tokens/{id}", &["get", "delete"][..]),
        ("/api/v1/anaf/tokens/{id}/refresh", &["post"][..]),
        ("/api/v1/anaf/tokens/{id}/access-token", &["get"][..]),
    ] {
        for method in methods {
            assert!(served["paths"][path][method].is_object(), "{method} {path}");
        }
    }
    let statuses = |path: &str, method: &str| -> Vec<String> {
        served["paths"][path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    for s in ["201", "400", "401", "413", "415", "422", "502", "503"] {
        assert!(statuses(TOKENS, "post").contains(&s.to_owned()), "POST {s}");
    }
    for s in ["204", "401", "403", "404"] {
        assert!(
            statuses("/api/v1/anaf/tokens/{id}", "delete").contains(&s.to_owned()),
            "DELETE {s}"
        );
    }

    let snapshot =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/snapshots/openapi.json");
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, &pretty).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot)
        .expect("tests/api/snapshots/openapi.json exists (UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(
        pretty, expected,
        "the OpenAPI document changed: review it, then run with UPDATE_SNAPSHOTS=1"
    );

    let response = app.get("/api/docs").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("http"),
        "{html}"
    );
    for asset in [
        "/api/docs/swagger-ui.css",
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui-standalone-preset.js",
        "/api/docs/docs.js",
    ] {
        let response = app.get(asset).await;
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert!(response.bytes().await.unwrap().len() > 100, "{asset}");
    }
    problem(app.get("/api/docs/secret.txt").await, 404, None).await;
    // Other pages keep the strict policy.
    let csp = app.get("/login").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("style-src 'self';"), "{csp}");
}

#[tokio::test]
async fn the_list_never_hides_this_instances_own_writes() {
    let app = spawn_app().await;
    app.register_logged_in("erp@firma.ro").await;
    let company = app.add_company(CIF, "Firma SRL").await;
    let key = app.key_from_page("ERP").await;
    // Poll, write, poll again at once: every answer reflects the write before it.
    let empty: Value = app.api_get(TOKENS, &key).await.json().await.unwrap();
    assert_eq!(empty, json!([]));
    let (token, _) = app.save_minted(&key, Some(CIF)).await;
    let listed: Value = app.api_get(TOKENS, &key).await.json().await.unwrap();
    assert_eq!(listed, json!([token.clone()]));
    let id = token["id"].as_i64().unwrap();
    // A refresh from the web UI (same process) shows at once too.
    let page = format!("/companies/{company}");
    let response = app
        .post_form(&page, &format!("/tokens/{id}/refresh"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let listed: Value = app.api_get(TOKENS, &key).await.json().await.unwrap();
    assert_ne!(listed[0]["expiresAt"], Value::Null);
    let shown: Value = app
        .api_get(&format!("{TOKENS}/{id}"), &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed[0], shown,
        "list and item agree right after the refresh"
    );
    let response = app
        .api(Method::DELETE, &format!("{TOKENS}/{id}"), &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let listed: Value = app.api_get(TOKENS, &key).await.json().await.unwrap();
    assert_eq!(listed, json!([]));
}
