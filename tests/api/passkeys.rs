//! Passkeys over HTTP: what the pages offer (and do not, on a portal reached by an IP address),
//! the checks on the name, and answers that do not hold (none pending, not JSON, a forged
//! credential, another person's passkey). The ceremony itself, with an authenticator, is in
//! `browser.rs` (Chromium's virtual authenticator).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    TestApp, csrf_token, free_port, location, spawn_app, spawn_app_with, user_id_of,
};

/// A portal that believes it lives at http://localhost (WebAuthn needs a domain name).
async fn portal_on_localhost() -> TestApp {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let base = format!("http://localhost:{port}");
    spawn_app_with(&["--bind", &bind, "--base-url", &base]).await
}

async fn post_json(
    app: &TestApp,
    token_page: &str,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    let token = csrf_token(&app.get_html(token_page).await);
    app.client
        .post(app.url(path))
        .header("X-CSRF-Token", token)
        .json(body)
        .send()
        .await
        .expect("POST")
}

/// Step one of adding a passkey: the name, from the security page.
async fn add_passkey(app: &TestApp, name: &str) -> reqwest::Response {
    app.post_form(
        "/settings/security",
        "/settings/security/passkeys",
        &[("name", name)],
    )
    .await
}

/// The `data-passkey-options` JSON on a page (HTML-escaped in the attribute).
fn options_on(html: &str) -> serde_json::Value {
    let marker = "data-passkey-options=\"";
    let start = html.find(marker).expect("the page carries passkey options") + marker.len();
    let end = start + html[start..].find('"').expect("end of the attribute");
    let raw = html[start..end]
        .replace("&quot;", "\"")
        .replace("&#x22;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&raw).expect("the options are JSON")
}

/// The page's 422 problem detail: what the person reads next to the button.
async fn refusal(r: reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem: serde_json::Value = r.json().await.unwrap();
    problem["detail"].as_str().unwrap_or_default().to_owned()
}

/// A made-up assertion of the right shape: it must not sign anybody in.
fn forged_assertion() -> serde_json::Value {
    json!({
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "extensions": {},
        "response": {
            "authenticatorData": "AAAA",
            "clientDataJSON": "AAAA",
            "signature": "AAAA",
            "userHandle": null
        }
    })
}

#[tokio::test]
async fn a_portal_on_an_ip_address_says_why_it_has_no_passkeys() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let page = app.get_html("/settings/security").await;
    assert!(page.contains("data-passkeys=\"unavailable\""), "{page}");
    let r = add_passkey(&app, "Laptop").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !app.get_html("/settings/security")
            .await
            .contains("data-passkey=\"register\"")
    );
    app.logout().await;
    assert!(!app.get_html("/login").await.contains("data-passkey="));
}

#[tokio::test]
async fn adding_a_passkey_checks_its_name_then_hands_the_browser_a_challenge() {
    let app = portal_on_localhost().await;
    app.register_logged_in("ana@firma.ro").await;

    for (name, error) in [
        ("  ", "Dați un nume cheii de acces"),
        (&"x".repeat(61)[..], "cel mult 60 de caractere"),
    ] {
        let r = add_passkey(&app, name).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains(error), "{name:?}: {page}");
        assert!(!page.contains("data-passkey=\"register\""));
    }

    let r = add_passkey(&app, "Laptop").await;
    assert_eq!(r.status(), StatusCode::OK);
    let options = options_on(&r.text().await.unwrap());
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(public_key["user"]["name"], "ana@firma.ro");
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "required"
    );

    // An answer that does not verify adds nothing, and the challenge is spent with it.
    let forged = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
        "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" }
    });
    let finish = || {
        post_json(
            &app,
            "/settings/security",
            "/settings/security/passkeys/finish",
            &forged,
        )
    };
    assert!(refusal(finish().await).await.contains("nu a funcționat"));
    assert!(
        refusal(finish().await)
            .await
            .contains("nu mai este deschisă")
    );
    assert!(
        !app.get_html("/settings/security")
            .await
            .contains("data-passkey-row")
    );

    // Not JSON, or not a credential: refused before anything is looked at.
    let token = csrf_token(&app.get_html("/settings/security").await);
    let r = app
        .client
        .post(app.url("/settings/security/passkeys/finish"))
        .header("X-CSRF-Token", &token)
        .form(&[("id", "AAAA")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = post_json(
        &app,
        "/settings/security",
        "/settings/security/passkeys/finish",
        &json!({"id": 5}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_forged_or_unasked_passkey_answer_signs_nobody_in() {
    let app = portal_on_localhost().await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;

    // The login page offers a passkey sign-in for this origin.
    let page = app.get_html("/login").await;
    assert_eq!(options_on(&page)["publicKey"]["rpId"], "localhost");
    let r = post_json(&app, "/login", "/login/passkey", &forged_assertion()).await;
    // `post_json` loaded the login page, so a challenge waits: the credential is refused.
    assert!(refusal(r).await.contains("nu deschide niciun cont"));
    assert_eq!(
        app.get("/tokens").await.status(),
        StatusCode::SEE_OTHER,
        "still signed out"
    );

    // The answer spent that challenge: without the login page again, nothing is open.
    let r = post_json(&app, "/register", "/login/passkey", &forged_assertion()).await;
    assert!(refusal(r).await.contains("nu mai este deschisă"));

    // The second step's passkey answer without a password accepted first.
    let r = post_json(
        &app,
        "/login",
        "/login/second-factor/passkey",
        &forged_assertion(),
    )
    .await;
    assert!(refusal(r).await.contains("a așteptat prea mult"));
}

#[tokio::test]
async fn a_person_removes_their_own_passkey_and_never_another_ones() {
    let app = portal_on_localhost().await;
    app.register_logged_in("ana@firma.ro").await;
    let ana = user_id_of(&app, "ana@firma.ro").await;
    let db = app.db();
    let passkey = tokio::task::spawn_blocking(move || {
        use anaf_portal::db::models::passkeys;
        let mut conn = db.get_blocking().unwrap();
        passkeys::insert(
            &mut conn,
            passkeys::NewPasskey {
                user_id: ana,
                user_handle: "00000000-0000-4000-8000-000000000001",
                credential_id: "Y3JlZGVudGlhbA",
                name: "Telefon",
                passkey: "{}",
            },
        )
        .unwrap();
        passkeys::of_user(&mut conn, ana).unwrap()[0].id
    })
    .await
    .unwrap();
    assert!(app.get_html("/settings/security").await.contains("Telefon"));

    let bogdan = crate::helpers::new_user(&app, "bogdan@firma.ro").await;
    let path = format!("/settings/security/passkeys/{passkey}/remove");
    let r = bogdan.post_form("/settings/security", &path, &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(app.get_html("/settings/security").await.contains("Telefon"));

    let r = app.post_form("/settings/security", &path, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/settings/security");
    let page = app.get_html("/settings/security").await;
    assert!(page.contains("Cheia de acces a fost eliminată."), "{page}");
    assert!(!page.contains("Telefon"));
    let audit = app.get_html("/admin/audit").await;
    assert!(audit.contains("two_factor.passkey_removed"), "{audit}");
}
