//! What a security review found, each reproduced: a request in flight bringing a logged-out
//! session back, lockout abuse, forged log lines, account enumeration, CIF squatting, the OAuth
//! code left in the URL, key versions, and the REST API under odd input and concurrency.

use reqwest::StatusCode;
use serde_json::json;

use crate::connect::serial_with_rights;
use crate::helpers::{csrf_token, free_port, is_login_redirect, spawn_app, test_args};
use crate::refresh_safety::{ChildPortal, browser_for};

#[tokio::test]
async fn logout_wins_over_a_request_in_flight() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Firma Test SRL").await;
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = app.token_id_of(company).await;

    // A refresh that takes 3 s; the person logs out 0.8 s into it, with the same cookie.
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "latency", "ms": 3000}),
    )
    .await;
    let form = csrf_token(&app.get_html(&format!("/companies/{company}")).await);
    let client = app.client.clone();
    let url = app.url(&format!("/tokens/{token}/refresh"));
    let refresh_form = form.clone();
    let refreshing = tokio::spawn(async move {
        client
            .post(url)
            .form(&[("csrf_token", refresh_form)])
            .send()
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let logout = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf_token", form.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let refreshed = refreshing.await.expect("join").expect("refresh");
    assert_eq!(refreshed.status(), StatusCode::SEE_OTHER);

    // Whatever cookie the refresh's answer carried, it opens no session.
    assert!(is_login_redirect(&app.get("/").await), "still logged out");
    let count = {
        let db = app.db();
        tokio::task::spawn_blocking(move || {
            use diesel::prelude::*;
            let mut conn = db.get_blocking().expect("connection");
            anaf_portal::db::schema::sessions::table
                .filter(anaf_portal::db::schema::sessions::user_id.is_not_null())
                .count()
                .get_result::<i64>(&mut conn)
                .expect("count")
        })
        .await
        .expect("join")
    };
    assert_eq!(count, 0, "no logged-in session row was created again");
}

#[tokio::test]
async fn values_from_requests_cannot_forge_log_lines() {
    let (_, data_dir, database_url) = test_args(None, &[]);
    let log_path = data_dir.path().join("portal.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let args: Vec<String> = vec![
        "--bind".into(),
        format!("127.0.0.1:{}", free_port()),
        "--data-dir".into(),
        data_dir.path().display().to_string(),
        "--database-url".into(),
        database_url.clone(),
    ];
    let portal = ChildPortal::start_logging(&args, log).await;
    let app = browser_for(&portal, &database_url, data_dir);
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "").await;
    let authorize = app.press_connect(company).await;
    let state = url::Url::parse(&authorize)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");

    // CR, LF and a terminal escape through every field a request can put in the log: ANAF's
    // error and its description on the callback, the path, a refused form.
    let forged = "x\r\n2026-11-30T00:00:00Z  INFO forged: admin logged in\u{1b}[31m";
    let mut url = url::Url::parse(&app.url("/anaf/callback")).expect("url");
    url.query_pairs_mut()
        .append_pair("state", &state)
        .append_pair("error", forged)
        .append_pair("error_description", forged);
    app.callback(url.as_str()).await;
    app.get("/nu-exista%0D%0A2026-11-30T00:00:00Z%20INFO%20forged%1B[31m")
        .await;
    app.client
        .post(app.url("/companies"))
        .form(&[("cif", forged)])
        .send()
        .await
        .expect("post");
    drop(portal);

    let log = std::fs::read(&log_path).expect("log");
    assert!(!log.contains(&0x1b), "no raw terminal escape in the log");
    let text = String::from_utf8_lossy(&log);
    assert!(
        text.contains("x\\r\\n2026"),
        "the value is there, escaped:\n{text}"
    );
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("2026-11-30T00:00:00Z"),
            "a forged line: {line}"
        );
    }
}

/// Logs in from `address` (the portal trusts `X-Forwarded-For` in this test).
async fn login_from(app: &crate::helpers::TestApp, address: &str, password: &str) -> StatusCode {
    let token = csrf_token(&app.get_html("/login").await);
    app.client
        .post(app.url("/login"))
        .header("x-forwarded-for", address)
        .form(&[
            ("email", "proprietar@firma.ro"),
            ("password", password),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("login")
        .status()
}

#[tokio::test]
async fn failures_from_elsewhere_never_lock_out_a_browser_that_logged_in_before() {
    let app =
        crate::helpers::spawn_app_with(&["--login-max-failures", "3", "--trust-proxy", "true"])
            .await;
    app.register_logged_in("proprietar@firma.ro").await;
    app.logout().await;
    // The owner's browser logs in once: from now on it is known to the account.
    assert_eq!(
        login_from(&app, "198.51.100.7", crate::helpers::STRONG_PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    app.logout().await;

    // An attacker, from a new address each time, spends the account's shared budget.
    let attacker = app.second_browser();
    for i in 1..=3 {
        let status = login_from(&attacker, &format!("203.0.113.{i}"), "wrong-password-99").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        login_from(&attacker, "203.0.113.9", crate::helpers::STRONG_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "unknown browsers share the locked account budget"
    );
    // The owner's browser has its own budget and gets in.
    assert_eq!(
        login_from(&app, "198.51.100.7", crate::helpers::STRONG_PASSWORD).await,
        StatusCode::SEE_OTHER,
        "the owner is not locked out"
    );
    app.logout().await;
    // Its own failures still count against it.
    for _ in 0..3 {
        login_from(&app, "198.51.100.8", "wrong-password-99").await;
    }
    assert_eq!(
        login_from(&app, "198.51.100.9", crate::helpers::STRONG_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_failed_callback_ends_away_from_the_code_on_a_page_that_can_be_reloaded() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "").await;
    let authorize = app.press_connect(company).await;
    let callback = app.choose_certificate(&authorize, "none").await;
    let response = app.client.get(&callback).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let failed = crate::helpers::location(&response);
    assert!(failed.starts_with("/anaf/connect-failed/"), "{failed}");
    assert!(!failed.contains("code") && !failed.contains("state"));
    for _ in 0..2 {
        let page = app.get_html(&failed).await;
        assert!(
            page.contains("ANAF nu a primit niciun certificat"),
            "{page}"
        );
        assert!(
            !page.contains("code="),
            "no code anywhere, not in the language form"
        );
        assert!(page.contains(&format!("action=\"/companies/{company}/connect\"")));
    }
    // Another browser cannot read it.
    let other = app.second_browser();
    assert_eq!(other.get(&failed).await.status(), StatusCode::NOT_FOUND);
}
