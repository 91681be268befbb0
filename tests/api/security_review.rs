//! What a security review found, each reproduced: a request in flight bringing a logged-out
//! session back, lockout abuse, forged log lines, account enumeration, CIF squatting, the OAuth
//! code left in the URL, key versions, and the REST API under odd input and concurrency.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    ChildPortal, browser_for, csrf_token, free_port, is_login_redirect, problem,
    serial_with_rights, spawn_app, spawn_app_on, spawn_app_with, test_args,
};

const CIF: &str = "18547290";

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
    let state = crate::helpers::query_param(&authorize, "state");

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

#[tokio::test]
async fn different_tokens_saved_for_one_company_at_once_each_get_a_true_answer() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let mut pairs = Vec::new();
    for _ in 0..30 {
        pairs.push(app.mint(&serial_with_rights()).await);
    }
    // A slow ANAF check keeps every save in flight at once.
    app.sim_post(
        "faults",
        json!({"endpoint": "hello", "kind": "latency", "ms": 300, "count": 30}),
    )
    .await;
    let saves = pairs.iter().map(|(access, refresh)| {
        app.api_post(
            &key,
            json!({"token": access, "refreshToken": refresh, "cif": CIF}),
        )
    });
    let answers = futures_util::future::join_all(saves).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 201),
        "every save stored its token (a later one replaced it): {statuses:?}"
    );
    let list: serde_json::Value = app
        .api(Method::GET, "/api/v1/anaf/tokens", &key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "one token per company: {list}"
    );
}

#[tokio::test]
async fn parallel_deletes_of_one_token_delete_it_once() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let (token, _) = app.save_minted(&key, Some(CIF)).await;
    // A slow ANAF keeps every delete in flight at once.
    app.sim_post(
        "faults",
        json!({"endpoint": "revoke", "kind": "latency", "ms": 500, "count": 50}),
    )
    .await;
    let path = format!("/api/v1/anaf/tokens/{}", token["id"]);
    let deletes = (0..50).map(|_| app.api(Method::DELETE, &path, &key).send());
    let answers = futures_util::future::join_all(deletes).await;
    let mut statuses: Vec<u16> = answers
        .into_iter()
        .map(|r| r.expect("answer").status().as_u16())
        .collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 204 || *s == 404),
        "{statuses:?}"
    );
    // One revocation of the pair (its access and its refresh token), in the background.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.sim_calls("revoke").await.len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(
        app.sim_calls("revoke").await.len(),
        2,
        "one revoke of each token of the pair at ANAF"
    );
    let deleted = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "token.deleted")
        .count();
    assert_eq!(deleted, 1, "one audit line");
}

#[tokio::test]
async fn odd_json_bodies_get_a_400_that_names_the_problem() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let (access, _) = app.mint(&serial_with_rights()).await;
    let send = |body: String| {
        app.api(Method::POST, "/api/v1/anaf/tokens", &key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases = [
        (format!("[\"{access}\"]"), "the body must be a JSON object"),
        (
            format!("{{\"token\":\"{access}\",\"token\":\"{access}\"}}"),
            "duplicate field `token`",
        ),
        (
            format!("{{\"token\":\"{access}\",\"cif\":18547290}}"),
            "`cif`: expected a string",
        ),
    ];
    for (body, detail) in cases {
        let response = send(body).await.expect("answer");
        let problem = problem(response, 400, Some(&access)).await;
        assert_eq!(problem["detail"], detail);
    }
    assert!(
        app.sim_calls("hello").await.is_empty(),
        "nothing reached ANAF"
    );
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_a_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(&["--request-body-timeout", "1s"]).await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v1/anaf/tokens HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"tok"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer before the client gives up")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

#[tokio::test]
async fn head_is_answered_like_get_without_a_body() {
    let app = spawn_app().await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let get = app
        .api(Method::GET, "/api/v1/anaf/tokens", &key)
        .send()
        .await
        .expect("get");
    let head = app
        .api(Method::HEAD, "/api/v1/anaf/tokens", &key)
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()["content-type"],
        get.headers()["content-type"]
    );
    assert!(head.bytes().await.expect("body").is_empty());
    let page = app
        .client
        .head(app.url("/login"))
        .send()
        .await
        .expect("head");
    assert_eq!(page.status(), StatusCode::OK);
    let refused = app
        .api(Method::PUT, "/api/v1/anaf/tokens", &key)
        .send()
        .await
        .expect("put");
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(refused.headers()["allow"], "GET, POST, HEAD");
}

#[tokio::test]
async fn the_openapi_document_says_the_token_is_a_jwt() {
    let app = spawn_app().await;
    let document: serde_json::Value = app
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .expect("json");
    let token = &document["components"]["schemas"]["CreateTokenRequest"]["properties"]["token"];
    assert_eq!(
        token["pattern"], r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$",
        "{token}"
    );
    assert!(!document.to_string().contains("Debug"), "no code comments");
}

#[tokio::test]
async fn the_language_cookie_is_secure_under_https() {
    let app = spawn_app_with(&["--base-url", "https://portal.example.ro"]).await;
    // A client of its own: the shared jar would not send a `Secure` cookie over the test's http.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page");
    let session = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-anaf_portal_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let form = csrf_token(&login.text().await.expect("html"));
    let switched = client
        .post(app.url("/language"))
        .header("cookie", session)
        .form(&[
            ("csrf_token", form.as_str()),
            ("lang", "ro"),
            ("next", "/login"),
        ])
        .send()
        .await
        .expect("switch");
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    let cookie = switched
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("lang=ro"))
        .expect("the language cookie")
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}

/// The page of a token's company, revealed: whether the stored token opens.
async fn reveals(app: &crate::helpers::TestApp, company: i64, token: i64) -> bool {
    let (status, page) = app.reveal(company, token).await;
    status == StatusCode::OK && page.contains(">eyJ")
}

fn key_id(hex_key: &str) -> String {
    let key = anaf_portal::secrets::MasterKey::parse(hex_key).expect("key");
    anaf_portal::services::tokens::vault::KeyId::of(&key).to_string()
}

async fn start_error(database_url: &str, extra: &[&str]) -> String {
    let (args, _data_dir, _) = test_args(Some(database_url), extra);
    let config = anaf_portal::config::Config::from_args(args).expect("config");
    match anaf_portal::startup::Application::build(config).await {
        Ok(_) => panic!("the portal started"),
        Err(error) => error.to_string(),
    }
}

/// Another portal on the same database with these key settings, logged in.
async fn logged_in_on(database_url: &str, extra: &[&str]) -> crate::helpers::TestApp {
    let app = spawn_app_on(database_url, extra).await;
    app.login("contabil@firma.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    app
}

#[tokio::test]
async fn keys_are_named_by_id_and_rotate_keys_lets_old_ones_go() {
    let (a, b, c) = ("ab".repeat(32), "cd".repeat(32), "ef".repeat(32));
    let first = spawn_app_with(&["--secret-key", &b, "--previous-secret-keys", &a]).await;
    first.register_logged_in("contabil@firma.ro").await;
    let company = first.add_company(CIF, "Firma SRL").await;
    first.connect_with(company, &serial_with_rights()).await;
    let token = first.token_id_of(company).await;
    let url = first.database_url.clone();

    // A row from before key ids (key at position 2 of the list A, B) is named by B's id on start.
    {
        let db = first.db();
        tokio::task::spawn_blocking(move || {
            use anaf_portal::db::schema::anaf_token_secrets::dsl;
            use diesel::prelude::*;
            let mut conn = db.get_blocking().expect("connection");
            diesel::update(dsl::anaf_token_secrets)
                .set(dsl::key_id.eq("position:2"))
                .execute(&mut *conn)
                .expect("legacy row");
        })
        .await
        .expect("join");
    }
    let upgraded = logged_in_on(&url, &["--secret-key", &b, "--previous-secret-keys", &a]).await;
    assert!(
        reveals(&upgraded, company, token).await,
        "the legacy row opens"
    );

    // Rotated to C, then the older key A removed from the list: B's token still opens (with
    // positions, B became "version 1" and pointed at the wrong key).
    let both = format!("{a},{b}");
    let rotated = logged_in_on(&url, &["--secret-key", &c, "--previous-secret-keys", &both]).await;
    assert!(reveals(&rotated, company, token).await);
    let trimmed = logged_in_on(&url, &["--secret-key", &c, "--previous-secret-keys", &b]).await;
    assert!(
        reveals(&trimmed, company, token).await,
        "removing an older key shifts nothing"
    );

    // Without B the portal refuses to start, naming B's id in one line.
    let error = start_error(&url, &["--secret-key", &c]).await;
    assert!(error.contains(&key_id(&b)), "{error}");
    assert!(!error.contains('\n'), "{error}");

    // rotate-keys moves the token to C and says B is no longer needed.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .args(["rotate-keys", "--database-url", &url, "--secret-key", &c])
        .args(["--previous-secret-keys", &b])
        .arg("--data-dir")
        .arg(first.data_dir.path())
        .env_remove("ANAF_CLIENT_ID")
        .output()
        .expect("rotate-keys runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let (b_id, c_id) = (key_id(&b), key_id(&c));
    assert!(
        stdout.contains(&format!(
            "re-sealed 1 token(s) with key {c_id} (1 from key {b_id})"
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("key {c_id}: 1")), "{stdout}");
    assert!(stdout.contains("can be emptied"), "{stdout}");

    let only_c = logged_in_on(&url, &["--secret-key", &c]).await;
    assert!(
        reveals(&only_c, company, token).await,
        "C alone opens it now"
    );
}

/// The flash a page shows after a redirect, without the email it names.
async fn flash_without(app: &crate::helpers::TestApp, page: &str, email: &str) -> String {
    let html = app.get_html(page).await;
    let start = html.find("class=\"flash").expect("a flash message");
    let end = start + html[start..].find("</").expect("its end");
    html[start..end].replace(email, "EMAIL")
}

#[tokio::test]
async fn inviting_answers_the_same_for_any_email_and_nobody_joins_without_consent() {
    let app = spawn_app().await;
    app.register_logged_in("firma@contabil.ro").await;
    let company = app.add_company(CIF, "Alfa SRL").await;
    let existing = app.second_browser();
    existing.register_logged_in("ana@firma.ro").await;
    let members = format!("/companies/{company}/members");

    let mut answers = Vec::new();
    for email in ["ana@firma.ro", "nimeni@firma.ro"] {
        let response = app
            .post_form(&members, &members, &[("email", email), ("role", "viewer")])
            .await;
        answers.push((
            response.status(),
            crate::helpers::location(&response),
            flash_without(&app, &members, email).await,
        ));
    }
    assert_eq!(answers[0], answers[1], "an account or not, the same answer");
    assert_eq!(
        existing
            .get(&format!("/companies/{company}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "invited, not added"
    );

    // The invitee declines: still not a member, and the invitation is gone from both sides.
    let waiting = crate::helpers::invitations_on_dashboard(&existing).await;
    assert_eq!(waiting.len(), 1);
    let dashboard = existing.get_html("/").await;
    assert!(dashboard.contains("firma@contabil.ro") && dashboard.contains("Alfa SRL"));
    existing
        .post_form("/", &format!("/invitations/{}/decline", waiting[0]), &[])
        .await;
    assert!(
        crate::helpers::invitations_on_dashboard(&existing)
            .await
            .is_empty()
    );
    assert!(!app.get_html(&members).await.contains("ana@firma.ro"));

    // Someone else cannot answer an invitation that is not theirs.
    let intruder = app.second_browser();
    intruder.register_logged_in("intrus@firma.ro").await;
    let other = app.db();
    let pending = tokio::task::spawn_blocking(move || {
        let mut conn = other.get_blocking().expect("connection");
        anaf_portal::db::models::invitations::pending_for_company(
            &mut conn,
            anaf_portal::domain::CompanyId(company),
        )
        .expect("invitations")
    })
    .await
    .expect("join");
    assert_eq!(pending.len(), 1, "the one for nimeni@firma.ro");
    intruder
        .post_form("/", &format!("/invitations/{}/accept", pending[0].id), &[])
        .await;
    assert_eq!(
        intruder
            .get(&format!("/companies/{company}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Whoever registers later with the invited email finds it, and joins by accepting.
    let newcomer = app.second_browser();
    newcomer.register_logged_in("nimeni@firma.ro").await;
    let waiting = crate::helpers::invitations_on_dashboard(&newcomer).await;
    let r = newcomer
        .post_form("/", &format!("/invitations/{}/accept", waiting[0]), &[])
        .await;
    assert_eq!(
        crate::helpers::location(&r),
        format!("/companies/{company}")
    );
    assert_eq!(
        newcomer
            .get(&format!("/companies/{company}"))
            .await
            .status(),
        StatusCode::OK
    );
    let actions = app.audit_actions().await;
    for action in [
        "member.invited",
        "member.invitation_declined",
        "member.added",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn a_cif_is_unique_in_each_persons_list_not_on_the_portal() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let firm = app.second_browser();
    firm.register_logged_in("firma@alfa.ro").await;
    let accountant = app.second_browser();
    accountant.register_logged_in("contabil@birou.ro").await;

    // Both add the same CIF: two records, each seeing only its own.
    let own = firm.add_company(CIF, "Alfa SRL").await;
    let theirs = accountant.add_company(CIF, "Alfa (client)").await;
    assert_ne!(own, theirs);
    assert_eq!(
        firm.get(&format!("/companies/{theirs}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(!accountant.get_html("/").await.contains("Alfa SRL"));

    // Each record connects its own token.
    firm.connect_with(own, &serial_with_rights()).await;
    accountant.connect_with(theirs, &serial_with_rights()).await;
    assert_ne!(
        firm.token_id_of(own).await,
        accountant.token_id_of(theirs).await
    );

    // The same person cannot hold the CIF twice: by hand, at once, or through an invitation.
    let again = firm
        .post_form("/", "/companies", &[("cif", CIF), ("name", "Din nou")])
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .text()
            .await
            .expect("html")
            .contains("deja în lista dumneavoastră")
    );
    let form = csrf_token(&accountant.get_html("/").await);
    let racing = (0..5).map(|_| {
        accountant
            .client
            .post(accountant.url("/companies"))
            .form(&[("csrf_token", form.as_str()), ("cif", "14399840")])
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(racing)
        .await
        .into_iter()
        .map(|r| r.expect("answer").status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    let members = format!("/companies/{theirs}/members");
    accountant
        .post_form(
            &members,
            &members,
            &[("email", "firma@alfa.ro"), ("role", "viewer")],
        )
        .await;
    let waiting = crate::helpers::invitations_on_dashboard(&firm).await;
    firm.post_form("/", &format!("/invitations/{}/accept", waiting[0]), &[])
        .await;
    assert!(
        firm.get_html("/")
            .await
            .contains("O persoană păstrează o singură înregistrare")
    );
    assert_eq!(
        firm.get(&format!("/companies/{theirs}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // Support sees both records side by side, each with its admins.
    let support = app.second_browser();
    support.register_logged_in("suport@portal.ro").await;
    let support_id = crate::helpers::user_id_of(&app, "suport@portal.ro").await;
    app.post_form(
        "/admin/users",
        &format!("/admin/users/{support_id}/role"),
        &[("role", "support")],
    )
    .await;
    let list = support.get_html(&format!("/support?q={CIF}")).await;
    assert!(
        list.contains("firma@alfa.ro") && list.contains("contabil@birou.ro"),
        "{list}"
    );
    let page = support.get_html(&format!("/support/companies/{own}")).await;
    assert!(
        page.contains(&format!("/support/companies/{theirs}")),
        "{page}"
    );
}
