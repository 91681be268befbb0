//! Scoped API keys: a key does what it was given, for the companies it was given, never more
//! than its owner may; the key page and `GET /api/v1/api-keys` say what each key may do; raw
//! tokens can be switched off for the whole portal.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{
    TestApp, add_member, company_choice, new_user, problem, spawn_app, spawn_app_with,
};

const CIF: &str = "18547290";
const OTHER: &str = "14399840";
const TOKENS: &str = "/api/v1/anaf/tokens";

/// A user with two companies of certificate 01, a token saved for each; returns the token ids
/// and the first company's id.
async fn two_companies(app: &TestApp) -> (i64, i64, i64) {
    app.register_logged_in("erp@firma.ro").await;
    let company = app.add_company(CIF, "Prima SRL").await;
    app.add_company(OTHER, "A Doua SRL").await;
    let key = app.key_from_page("setup").await;
    let (first, _) = app.save_minted(&key, Some(CIF)).await;
    let (second, _) = app.save_minted(&key, Some(OTHER)).await;
    (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
        company,
    )
}

#[tokio::test]
async fn a_key_does_only_what_it_was_given_for_its_companies() {
    let app = spawn_app().await;
    let (first, second, _) = two_companies(&app).await;
    let page = app.get_html("/settings/api-keys").await;
    let first_company = company_choice(&page, CIF);
    let reader = app
        .scoped_key_from_page(&[
            ("name", "status only"),
            ("permission", "tokens:read"),
            ("companies", "some"),
            ("company", &first_company),
        ])
        .await;

    // Reads its company's token; the other company's token is not there for it.
    let listed: Value = app.api_get(TOKENS, &reader).await.json().await.unwrap();
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&first) && !ids.contains(&second), "{listed}");
    assert_eq!(
        app.api_get(&format!("{TOKENS}/{first}"), &reader)
            .await
            .status(),
        StatusCode::OK
    );
    problem(
        app.api_get(&format!("{TOKENS}/{second}"), &reader).await,
        403,
        None,
    )
    .await;

    // Cannot refresh, reveal or import: each names the permission it lacks.
    let body = problem(
        app.api(Method::POST, &format!("{TOKENS}/{first}/refresh"), &reader)
            .send()
            .await
            .unwrap(),
        403,
        None,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("tokens:write"),
        "{body}"
    );
    let body = problem(
        app.api_get(&format!("{TOKENS}/{first}/access-token"), &reader)
            .await,
        403,
        None,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("tokens:secret"),
        "{body}"
    );

    // Deleting with a key for the first company stops the token there only.
    let writer = app
        .scoped_key_from_page(&[
            ("name", "first only"),
            ("permission", "tokens:write"),
            ("permission", "tokens:read"),
            ("companies", "some"),
            ("company", &first_company),
        ])
        .await;
    let webhooks: Value = app
        .api_get("/api/v1/webhooks", &writer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(webhooks, serde_json::json!([]));
    let response = app
        .api(Method::DELETE, &format!("{TOKENS}/{second}"), &writer)
        .send()
        .await
        .unwrap();
    problem(response, 403, None).await;
    let all = app.key_from_page("all").await;
    assert_eq!(
        app.api_get(&format!("{TOKENS}/{second}"), &all)
            .await
            .status(),
        StatusCode::OK,
        "the other company's token is untouched"
    );

    // The API says what each key may do.
    let keys: Value = app
        .api_get("/api/v1/api-keys", &reader)
        .await
        .json()
        .await
        .unwrap();
    let me = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["current"] == true)
        .expect("the calling key");
    assert_eq!(me["permissions"], serde_json::json!(["tokens:read"]));
    assert_eq!(me["allCompanies"], false);
    assert_eq!(me["cifs"], serde_json::json!([CIF]));

    // So does the key page.
    let page = app.get_html("/settings/api-keys").await;
    assert!(page.contains("status only"), "{page}");
    assert!(page.contains("doar pentru"), "{page}");
}

#[tokio::test]
async fn a_viewers_key_only_reads_whatever_it_was_given() {
    let app = spawn_app().await;
    let (first, _, company) = two_companies(&app).await;
    // A viewer of the first company, with a key that was given everything.
    let viewer = new_user(&app, "contabil@firma.ro").await;
    add_member(&app, company, &viewer, "contabil@firma.ro", "viewer").await;
    let key = viewer.key_from_page("viewer").await;
    assert_eq!(
        app.api_get(&format!("{TOKENS}/{first}"), &key)
            .await
            .status(),
        StatusCode::OK
    );
    problem(
        app.api_get(&format!("{TOKENS}/{first}/access-token"), &key)
            .await,
        403,
        None,
    )
    .await;
    let upload = app
        .api(
            Method::POST,
            &format!("/efactura/test/FCTEL/rest/upload?standard=UBL&cif={CIF}"),
            &key,
        )
        .body("<Invoice/>")
        .send()
        .await
        .unwrap();
    let body = problem(upload, 403, None).await;
    assert!(
        body["detail"].as_str().unwrap().contains("viewer"),
        "{body}"
    );
}

#[tokio::test]
async fn the_key_form_refuses_what_it_cannot_grant() {
    let app = spawn_app().await;
    app.register_logged_in("erp@firma.ro").await;
    for (fields, says) in [
        (
            vec![("name", "nimic"), ("companies", "all")],
            "cel puțin un lucru",
        ),
        (
            vec![
                ("name", "x"),
                ("permission", "efactura:admin"),
                ("companies", "all"),
            ],
            "nu este cunoscută",
        ),
        (
            vec![
                ("name", "x"),
                ("permission", "tokens:read"),
                ("companies", "some"),
            ],
            "cel puțin o firmă",
        ),
        (
            vec![
                ("name", "x"),
                ("permission", "tokens:read"),
                ("companies", "some"),
                ("company", "999999"),
            ],
            "nu (mai) este a dumneavoastră",
        ),
    ] {
        let response = app
            .post_form("/settings/api-keys", "/settings/api-keys", &fields)
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains(says), "{says}: {page}");
        assert!(!page.contains("id=\"new-api-key\""), "no key was made");
    }
}

#[tokio::test]
async fn raw_tokens_switched_off_are_never_revealed() {
    let app = spawn_app_with(&["--raw-tokens", "off"]).await;
    let (first, _, company) = two_companies(&app).await;
    let key = app.key_from_page("all").await;
    let body = problem(
        app.api_get(&format!("{TOKENS}/{first}/access-token"), &key)
            .await,
        403,
        None,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("gateway"),
        "{body}"
    );
    let company = format!("/companies/{company}");
    let page = app.get_html(&company).await;
    assert!(!page.contains("/reveal"), "no reveal button: {page}");
    let response = app
        .post_form(&company, &format!("/tokens/{first}/reveal"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("poarta portalului"));
}
