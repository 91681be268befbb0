use reqwest::StatusCode;

use crate::helpers::{STRONG_PASSWORD, is_login_redirect, location, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_answers_when_the_database_does() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn the_first_account_is_admin_and_later_ones_are_users() {
    let app = spawn_app().await;
    app.register_unverified("Ana@Firma.ro").await;
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains("ana@firma.ro"), "email is normalised");
    assert!(
        dashboard.contains("administrator platformă"),
        "first user is admin"
    );

    let second = app.second_browser();
    second.register_unverified("bogdan@firma.ro").await;
    let dashboard = second.get_html("/").await;
    assert!(dashboard.contains("bogdan@firma.ro"));
    assert!(dashboard.contains("utilizator"));
    assert!(!dashboard.contains("administrator platformă"));
}

#[tokio::test]
async fn registration_explains_each_invalid_field_and_creates_nothing() {
    let app = spawn_app().await;
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "not-an-email",
            STRONG_PASSWORD,
            STRONG_PASSWORD,
            "nu este o adresă de email validă",
        ),
        ("a@firma.ro", "scurt", "scurt", "cel puțin 8 caractere"),
        (
            "a@firma.ro",
            "password123",
            "password123",
            "printre cele mai folosite",
        ),
        (
            "a@firma.ro",
            STRONG_PASSWORD,
            "altceva-diferit-2026",
            "Cele două parole diferă",
        ),
    ];
    for (email, password, confirm, message) in cases {
        let response = app
            .post_form(
                "/register",
                "/register",
                &[
                    ("email", email),
                    ("password", password),
                    ("password_confirm", confirm),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{email}/{password}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "expected «{message}» in the page");
        assert!(
            !html.contains(&format!("value=\"{password}\"")),
            "the password is never echoed back"
        );
    }
    assert!(
        is_login_redirect(&app.get("/").await),
        "no account was created or logged in"
    );
    let too_long = "x".repeat(129);
    let response = app
        .post_form(
            "/register",
            "/register",
            &[
                ("email", "a@firma.ro"),
                ("password", &too_long),
                ("password_confirm", &too_long),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("cel mult 128"));
}

#[tokio::test]
async fn emails_are_unique_case_insensitively() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;
    // The same answer as for a new address, and no second account: the old password still works
    // and the one typed now does not.
    let response = app.register("ANA@firma.RO", "alt-munte-verde-2026").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?registered=1");
    let refused = app.login("ana@firma.ro", "alt-munte-verde-2026").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let accepted = app.login("ana@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn login_works_with_any_email_case_and_lands_on_next() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;
    let token = crate::helpers::csrf_token(&app.get_html("/login").await);
    let response = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "ANA@Firma.ro"),
            ("password", STRONG_PASSWORD),
            ("next", "/healthz"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/healthz");

    // An absolute URL in next is not followed.
    app.logout().await;
    let token = crate::helpers::csrf_token(&app.get_html("/login").await);
    let response = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "ana@firma.ro"),
            ("password", STRONG_PASSWORD),
            ("next", "//evil.example/"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;
    let wrong = app.login("ana@firma.ro", "not-the-password-1").await;
    let wrong_status = wrong.status();
    let wrong_body = wrong.text().await.unwrap();
    let unknown = app.login("nobody@firma.ro", "not-the-password-1").await;
    assert_eq!(wrong_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status(), wrong_status);
    let unknown_body = unknown.text().await.unwrap();
    assert!(wrong_body.contains("Email sau parolă greșită."));
    assert!(unknown_body.contains("Email sau parolă greșită."));
    assert!(is_login_redirect(&app.get("/").await));
}

#[tokio::test]
async fn login_issues_a_new_session_id_and_logout_kills_the_old_cookie() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;

    app.get("/login").await;
    let anonymous = app
        .session_cookie()
        .expect("the login form starts a session");
    let response = app.login("ana@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let logged_in = app.session_cookie().expect("session cookie after login");
    assert_ne!(anonymous, logged_in, "session id must change at login");
    assert_eq!(app.get("/").await.status(), StatusCode::OK);

    let response = app.logout().await;
    assert_eq!(location(&response), "/login?ended=logout");

    // Replaying the old cookie from a fresh client lands on the login page.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = replay
        .get(app.url("/"))
        .header("cookie", format!("anaf_portal_session={logged_in}"))
        .send()
        .await
        .unwrap();
    assert!(
        is_login_redirect(&response),
        "old cookie still works: {}",
        response.status()
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax() {
    let app = spawn_app().await;
    let response = app.get("/login").await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("anaf_portal_session="))
        .expect("session cookie set")
        .to_owned();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http base URL");
}

#[tokio::test]
async fn https_base_url_gives_a_secure_host_prefixed_cookie_and_hsts() {
    let app = spawn_app_with(&["--base-url", "https://portal.example.ro"]).await;
    let response = app.get("/login").await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-anaf_portal_session="))
        .expect("__Host- cookie")
        .to_owned();
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_some_and(|v| v.to_str().unwrap().contains("max-age="))
    );
}

#[tokio::test]
async fn an_idle_session_expires() {
    // Margins of a second or more each way: a busy CI machine can stall a request for a while.
    let app = spawn_app_with(&["--session-idle-timeout", "3s"]).await;
    app.register_logged_in("ana@firma.ro").await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(4000)).await;
    assert!(is_login_redirect(&app.get("/").await));
}

#[tokio::test]
async fn an_active_session_still_ends_at_the_absolute_timeout() {
    let app = spawn_app_with(&[
        "--session-idle-timeout",
        "3s",
        "--session-absolute-timeout",
        "6s",
    ])
    .await;
    app.register_logged_in("ana@firma.ro").await;
    // Active every second: the idle timeout (2 s of margin per gap) never fires; the absolute one
    // does (about 2 s after the last request, then 3 s more).
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        assert_eq!(app.get("/").await.status(), StatusCode::OK);
    }
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    assert!(is_login_redirect(&app.get("/").await));
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        let email = anaf_portal::domain::Email::parse("ana@firma.ro").unwrap();
        let user = anaf_portal::db::models::users::find_by_email(&mut conn, &email)
            .unwrap()
            .unwrap();
        anaf_portal::db::models::users::set_disabled(&mut conn, user.id, true).unwrap();
    })
    .await
    .unwrap();
    assert!(is_login_redirect(&app.get("/").await));
    let response = app.login("ana@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "disabled users cannot log in"
    );
}

#[tokio::test]
async fn failed_logins_are_limited_per_account_and_unlock_by_themselves() {
    let app = spawn_app_with(&["--login-max-failures", "3", "--login-failure-window", "3s"]).await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;
    for _ in 0..3 {
        let response = app.login("ana@firma.ro", "wrong-password-99").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Locked: even the right password is refused, with a Retry-After and the branded page.
    let response = app.login("ana@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry_after), "retry-after {retry_after}");
    assert!(response.text().await.unwrap().contains("Prea multe"));
    assert!(is_login_redirect(&app.get("/").await));

    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let response = app.login("ana@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the lock lifts by itself"
    );
}

#[tokio::test]
async fn failed_logins_are_limited_per_address_across_accounts() {
    let app = spawn_app_with(&["--login-max-failures", "3"]).await;
    for i in 0..3 {
        let response = app
            .login(&format!("guess{i}@firma.ro"), "wrong-password-99")
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let response = app.login("another@firma.ro", "wrong-password-99").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn closed_registration_refuses_sign_ups() {
    let app = spawn_app_with(&["--registration", "closed"]).await;
    let page = app.get("/register").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Înregistrarea este închisă")
    );
    let token = crate::helpers::csrf_token(&app.get_html("/login").await);
    let response = app
        .client
        .post(app.url("/register"))
        .form(&[
            ("email", "ana@firma.ro"),
            ("password", STRONG_PASSWORD),
            ("password_confirm", STRONG_PASSWORD),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.login("ana@firma.ro", STRONG_PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn user_create_command_makes_an_account_that_can_log_in() {
    let app = spawn_app().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .args([
            "user",
            "create",
            "--email",
            "Suport@Firma.ro",
            "--role",
            "support",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("ANAF_PORTAL_DATA_DIR", app.data_dir.path())
        .env_remove("ANAF_CLIENT_ID")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{STRONG_PASSWORD}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("suport@firma.ro"));

    let response = app.login("suport@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains("suport"));
    assert!(
        !dashboard.contains("id=\"verify-banner\""),
        "the operator vouches for the address"
    );
}

#[tokio::test]
async fn user_verify_command_vouches_for_a_registered_address() {
    let app = spawn_app().await;
    app.register_unverified("ana@firma.ro").await;
    assert!(app.get_html("/").await.contains("id=\"verify-banner\""));
    let verify = |email: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
            .args(["user", "verify", "--email", email])
            .env("DATABASE_URL", &app.database_url)
            .env("ANAF_PORTAL_DATA_DIR", app.data_dir.path())
            .env_remove("ANAF_CLIENT_ID")
            .output()
            .unwrap()
    };
    let output = verify("Ana@Firma.ro");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("ana@firma.ro is verified"));
    assert!(!app.get_html("/").await.contains("id=\"verify-banner\""));
    let unknown = verify("nimeni@firma.ro");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account with"));
}
