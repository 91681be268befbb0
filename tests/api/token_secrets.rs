//! What the security review asked of the stored secrets: each token's ciphertexts open only for
//! that token (a swap between two tokens of one company is refused, and the old company binding
//! is upgraded once), the SQLite files are the owner's only, the PKCE verifier is not in the
//! database, and deleting a token revokes both its values without keeping an API client waiting.

use std::time::{Duration, Instant};

use anaf_portal::db::schema::{anaf_token_secrets, anaf_tokens, company_tokens, data_upgrades};
use anaf_portal::domain::TokenId;
use anaf_portal::secrets::MasterKey;
use anaf_portal::services::tokens::vault::{TokenField, TokenVault};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, serial_with_rights, spawn_app, spawn_app_on, spawn_app_with};

const CIF: &str = "18547290";
/// A CIF the certificate of `serial_with_rights` has no rights on: nothing attaches by itself.
const CIF_OTHER: &str = "22732040";
const SECRET_KEY: &str = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";

/// Runs `work` on a blocking connection to the test's database.
async fn with_db<T: Send + 'static>(
    app: &TestApp,
    work: impl FnOnce(&mut anaf_portal::db::DbConnection) -> T + Send + 'static,
) -> T {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().expect("connection");
        work(&mut conn)
    })
    .await
    .expect("join")
}

/// The stored (key id, access ciphertext, refresh ciphertext) of a token.
async fn stored_secrets(app: &TestApp, token: i64) -> (String, String, Option<String>) {
    with_db(app, move |conn| {
        anaf_token_secrets::table
            .find(token)
            .select((
                anaf_token_secrets::key_id,
                anaf_token_secrets::access_token_ciphertext,
                anaf_token_secrets::refresh_token_ciphertext,
            ))
            .first(conn)
            .expect("the token's secrets")
    })
    .await
}

/// The JWT a reveal page shows.
fn revealed_token(html: &str) -> String {
    let start = html.find(">eyJ").expect("the page shows a JWT") + 1;
    html[start..]
        .split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .next()
        .expect("the token")
        .to_owned()
}

/// Connects the company (the simulator's certificate with rights on `CIF`) and returns the id
/// of the token that now serves it.
async fn connect(app: &TestApp, company: i64) -> i64 {
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.token_id_of(company).await
}

#[tokio::test]
async fn a_ciphertext_swapped_between_two_tokens_of_one_company_does_not_open() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let home = app.add_company(CIF, "Firma Test SRL").await;
    let other = app.add_company(CIF_OTHER, "Alta SRL").await;
    let first = connect(&app, home).await;
    // The first token also serves another company, so it outlives the next Connect ANAF of its
    // home company: two tokens first connected for one company.
    with_db(&app, move |conn| {
        diesel::insert_into(company_tokens::table)
            .values((
                company_tokens::company_id.eq(other),
                company_tokens::token_id.eq(first),
                company_tokens::rights.eq("granted"),
                company_tokens::attached_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(conn)
            .expect("attached")
    })
    .await;
    let second = connect(&app, home).await;
    assert_ne!(first, second);
    let homes: Vec<i64> = with_db(&app, |conn| {
        anaf_tokens::table
            .select(anaf_tokens::company_id)
            .load(conn)
            .expect("tokens")
    })
    .await;
    assert_eq!(
        homes,
        vec![home, home],
        "both first connected for one company"
    );
    let (status, page) = app.reveal(home, second).await;
    assert_eq!(status, StatusCode::OK);
    let second_token = revealed_token(&page);
    let (_, first_page) = app.reveal(other, first).await;
    let first_token = revealed_token(&first_page);
    assert_ne!(first_token, second_token);

    // Someone with write access to the database swaps the two tokens' ciphertexts.
    let (_, first_access, first_refresh) = stored_secrets(&app, first).await;
    let (_, second_access, second_refresh) = stored_secrets(&app, second).await;
    with_db(&app, move |conn| {
        for (token, access, refresh) in [
            (first, &second_access, &second_refresh),
            (second, &first_access, &first_refresh),
        ] {
            diesel::update(anaf_token_secrets::table.find(token))
                .set((
                    anaf_token_secrets::access_token_ciphertext.eq(access),
                    anaf_token_secrets::refresh_token_ciphertext.eq(refresh),
                ))
                .execute(conn)
                .expect("swapped");
        }
    })
    .await;

    let (status, page) = app.reveal(home, second).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(
        !page.contains(&first_token),
        "the other token is not served"
    );
    assert!(!page.contains("eyJ"), "no token at all");
    assert!(page.contains("Token-ul salvat nu poate fi citit"), "{page}");
    assert!(
        page.contains("au fost modificate în baza de date"),
        "{page}"
    );

    // The API says so as a problem, not a 500, and a refresh does not send the wrong token.
    let key = app.key_from_page("ERP").await;
    let refreshed = app.api_refresh(&key, second).await;
    assert_eq!(refreshed.status(), StatusCode::CONFLICT);
    let problem: Value = refreshed.json().await.expect("problem+json");
    assert_eq!(problem["status"], 409);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("cannot be decrypted")),
        "{problem}"
    );
    let calls = app.sim_calls("token").await;
    assert!(
        calls.iter().all(|c| c["grant_type"] != "refresh_token"),
        "nothing sent to ANAF: {calls:?}"
    );
}

/// The legacy binding: what a token's values were bound to before token ids.
fn legacy_seal(vault: &TokenVault, company: i64, field: TokenField, value: &str) -> String {
    let label = match field {
        TokenField::Access => "access",
        TokenField::Refresh => "refresh",
    };
    vault
        .seal_bound(
            format!("anaf_tokens/company/{company}/{label}").as_bytes(),
            &SecretString::from(value.to_owned()),
        )
        .expect("sealed")
}

#[tokio::test]
async fn values_sealed_for_the_company_are_rebound_once_and_never_accepted_after() {
    let app = spawn_app_with(&["--secret-key", SECRET_KEY]).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let token = connect(&app, company).await;
    let (_, page) = app.reveal(company, token).await;
    let access = revealed_token(&page);

    // The database as the previous version left it: the values bound to the company, the
    // upgrade not recorded.
    let vault = TokenVault::new(&[&MasterKey::parse(SECRET_KEY).expect("key")]);
    let legacy = legacy_seal(&vault, company, TokenField::Access, &access);
    let planted = legacy.clone();
    with_db(&app, move |conn| {
        diesel::update(anaf_token_secrets::table.find(token))
            .set((
                anaf_token_secrets::access_token_ciphertext.eq(&planted),
                anaf_token_secrets::refresh_token_ciphertext.eq(None::<String>),
            ))
            .execute(conn)
            .expect("legacy values");
        diesel::delete(data_upgrades::table)
            .execute(conn)
            .expect("upgrade forgotten");
    })
    .await;
    let (status, _) = app.reveal(company, token).await;
    assert_eq!(status, StatusCode::CONFLICT, "the old binding is refused");

    // The next start-up upgrades it: the token opens again, bound to its own id.
    let upgraded = spawn_app_on(&app.database_url, &["--secret-key", SECRET_KEY]).await;
    upgraded
        .login("contabil@firma.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    let (status, page) = upgraded.reveal(company, token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(revealed_token(&page), access);
    let (key_id, stored, _) = stored_secrets(&upgraded, token).await;
    assert_ne!(stored, legacy, "re-sealed");
    let opened = vault
        .open(&key_id, TokenId(token), TokenField::Access, &stored)
        .expect("bound to the token's id");
    assert_eq!(opened.expose_secret(), access);

    // Recorded: a value with the old binding planted afterwards is never accepted again, not
    // even by a later start-up.
    let planted = legacy.clone();
    with_db(&upgraded, move |conn| {
        diesel::update(anaf_token_secrets::table.find(token))
            .set(anaf_token_secrets::access_token_ciphertext.eq(&planted))
            .execute(conn)
            .expect("legacy values again");
    })
    .await;
    let again = spawn_app_on(&app.database_url, &["--secret-key", SECRET_KEY]).await;
    again
        .login("contabil@firma.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    let (status, _) = again.reveal(company, token).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_database_and_its_wal_and_shm_files_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    if app.database_url.starts_with("postgres") {
        return;
    }
    // A write, so that the WAL has something in it.
    app.register_logged_in("contabil@firma.ro").await;
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", app.database_url);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{path} is mode {:o}", mode & 0o777);
    }
}

#[tokio::test]
async fn the_stored_pkce_value_is_not_the_verifier_sent_to_anaf() {
    let app = spawn_app_with(&["--anaf-oauth-pkce", "true"]).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let authorize = app.press_connect(company).await;
    let challenge = crate::helpers::query_param(&authorize, "code_challenge");
    let stored: Vec<Option<String>> = with_db(&app, |conn| {
        anaf_portal::db::schema::oauth_transactions::table
            .select(anaf_portal::db::schema::oauth_transactions::pkce_verifier)
            .load(conn)
            .expect("transactions")
    })
    .await;
    let [Some(stored)] = stored.as_slice() else {
        panic!("one transaction with a PKCE value: {stored:?}")
    };
    let callback = app
        .choose_certificate(&authorize, &serial_with_rights())
        .await;
    let response = app.callback(&callback).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the simulator accepted the verifier"
    );
    assert_eq!(location_of(&response), format!("/companies/{company}"));
    // What the database holds does not answer the challenge: it is not the verifier.
    let from_stored = URL_SAFE_NO_PAD.encode(Sha256::digest(stored.as_bytes()));
    assert_ne!(from_stored, challenge, "the database holds the verifier");
    let exchanges = app.sim_calls("token").await;
    assert_eq!(exchanges.len(), 1, "{exchanges:?}");
    let sent = exchanges[0]["params"]["code_verifier"]
        .as_str()
        .expect("a verifier was sent")
        .trim_end_matches('…')
        .to_owned();
    assert!(sent.len() >= 6, "{sent}");
    assert!(!stored.starts_with(&sent), "sent {sent}…, stored {stored}");
}

fn location_of(response: &reqwest::Response) -> String {
    crate::helpers::location(response)
}

/// The `token_type_hint`s of the revocations ANAF received, sorted.
async fn revoked_hints(app: &TestApp) -> Vec<String> {
    let mut hints: Vec<String> = app
        .sim_calls("revoke")
        .await
        .iter()
        .filter_map(|c| c["params"]["token_type_hint"].as_str().map(str::to_owned))
        .collect();
    hints.sort();
    hints
}

#[tokio::test]
async fn deleting_a_token_revokes_its_access_and_refresh_tokens_and_says_what_anaf_confirmed() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let delete = async |app: &TestApp, token: i64| {
        let path = format!("/tokens/{token}/delete");
        let response = app.post_form(&path, &path, &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        app.get_html(&format!("/companies/{company}")).await
    };

    // ANAF as it reportedly answers: a redirect, nothing confirmed.
    let token = connect(&app, company).await;
    let page = delete(&app, token).await;
    assert!(
        page.contains(
            "ANAF nu a confirmat revocarea token-ului de acces și nici a celui de reîmprospătare"
        ),
        "{page}"
    );
    assert_eq!(revoked_hints(&app).await, ["access_token", "refresh_token"]);

    // RFC 7009: both confirmed, and said so.
    app.sim_post("settings", json!({"revoke_mode": "rfc7009"}))
        .await;
    let token = connect(&app, company).await;
    let _ = app
        .client
        .delete(app.sim_url("calls"))
        .send()
        .await
        .expect("calls cleared");
    let page = delete(&app, token).await;
    assert!(
        page.contains(
            "ANAF a confirmat revocarea token-ului de acces și a celui de reîmprospătare"
        ),
        "{page}"
    );
    assert_eq!(revoked_hints(&app).await, ["access_token", "refresh_token"]);
    let history = app.get_html(&format!("/companies/{company}")).await;
    assert!(!history.contains("eyJ"));
}

#[tokio::test]
async fn the_api_delete_answers_at_once_and_the_revocation_follows_when_the_budget_allows() {
    use anaf_portal::db::models::anaf_budget::{self, Admission};
    const PER_MINUTE: i32 = 20;
    let app = spawn_app_with(&["--anaf-calls-per-minute", &PER_MINUTE.to_string()]).await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let (token, _) = app.save_minted(&key, None).await;
    let id = token["id"].as_i64().expect("token id");
    let _ = app
        .client
        .delete(app.sim_url("calls"))
        .send()
        .await
        .expect("calls cleared");

    // Far enough from the minute's end that the budget stays spent through the delete.
    use chrono::Timelike;
    let second = chrono::Utc::now().second();
    if second >= 45 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - second))).await;
    }
    // The rest of this minute's ANAF budget is spent (by other people, say).
    with_db(&app, |conn| {
        let at = chrono::Utc::now().naive_utc();
        while anaf_budget::take(conn, at, PER_MINUTE, None).expect("take") == Admission::Admitted {}
    })
    .await;

    let started = Instant::now();
    let response = app
        .api(Method::DELETE, &format!("/api/v1/anaf/tokens/{id}"), &key)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the 204 waited {:?} for ANAF",
        started.elapsed()
    );
    assert!(
        app.sim_calls("revoke").await.is_empty(),
        "the budget holds the revocation"
    );
    let listed: Value = app
        .api(Method::GET, "/api/v1/anaf/tokens", &key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed, json!([]), "gone at once");

    // The next minute the revocation goes out, both tokens of the pair.
    let deadline = Instant::now() + Duration::from_secs(75);
    while revoked_hints(&app).await.len() < 2 {
        assert!(Instant::now() < deadline, "never revoked");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(revoked_hints(&app).await, ["access_token", "refresh_token"]);
}
