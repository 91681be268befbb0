use reqwest::StatusCode;

use crate::helpers::{STRONG_PASSWORD, csrf_token, is_login_redirect, spawn_app};

#[tokio::test]
async fn a_form_post_without_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.get("/register").await; // a session exists, so only the token is missing
    let response = app
        .client
        .post(app.url("/register"))
        .form(&[
            ("email", "ana@firma.ro"),
            ("password", STRONG_PASSWORD),
            ("password_confirm", STRONG_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("403") && html.contains("Acces interzis"),
        "branded 403 page"
    );
    // Nothing was created: no account logs in with that address and password.
    assert_eq!(
        app.login("ana@firma.ro", STRONG_PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn a_wrong_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let response = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf_token", "forged-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::OK,
        "still logged in"
    );
}

#[tokio::test]
async fn another_sessions_token_is_refused() {
    let app = spawn_app().await;
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let foreign = csrf_token(
        &other
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    app.get("/login").await;
    let response = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "a@firma.ro"),
            ("password", "whatever-123"),
            ("csrf_token", &foreign),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_cross_origin_post_is_refused_even_with_a_token() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let token = csrf_token(&app.get_html("/").await);
    let response = app
        .client
        .post(app.url("/logout"))
        .header("origin", "https://evil.example")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);

    // The same request from our own origin works.
    let response = app
        .client
        .post(app.url("/logout"))
        .header("origin", app.address.as_str())
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(is_login_redirect(&app.get("/").await));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    for path in [
        "/",
        "/login",
        "/healthz",
        "/no-such-page",
        "/static/app.css",
        "/static/favicon.svg",
    ] {
        let response = app.get(path).await;
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "no HSTS over http"
        );
        if !path.starts_with("/static/") {
            assert_eq!(h["cache-control"], "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn templates_use_no_inline_script_or_style() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/templates")).unwrap() {
        let path = entry.unwrap().path();
        // Email is not served under the CSP, and mail programs read only inline styles.
        if path.ends_with("mail") {
            continue;
        }
        let files: Vec<_> = if path.is_dir() {
            std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect()
        } else {
            vec![path]
        };
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                !text.contains("style=\""),
                "{} has an inline style",
                file.display()
            );
            assert!(
                !text.contains("<style"),
                "{} has a style block",
                file.display()
            );
            assert!(
                !text.contains("<script>"),
                "{} has an inline script",
                file.display()
            );
            assert!(
                !text.contains(" onclick="),
                "{} has an inline handler",
                file.display()
            );
        }
    }
}

#[tokio::test]
async fn unknown_pages_get_the_branded_404_and_api_paths_get_problem_json() {
    let app = spawn_app().await;
    let response = app.get("/nu-exista").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("Pagina nu există"));

    let response = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert_eq!(body["title"], "Not Found");
    assert!(body["type"].is_string() && body["detail"].is_string());
}

#[tokio::test]
async fn pages_need_a_login() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert!(is_login_redirect(&response));
}

#[tokio::test]
async fn language_follows_accept_language_and_the_switch_is_remembered() {
    let app = spawn_app().await;
    let english = app
        .client
        .get(app.url("/login"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\">") && english.contains("Log in"));
    let romanian = app.get_html("/login").await;
    assert!(romanian.contains("<html lang=\"ro\">") && romanian.contains("Autentificare"));

    let response = app
        .post_form("/login", "/language", &[("lang", "en"), ("next", "/login")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(crate::helpers::location(&response), "/login");
    let remembered = app.get_html("/login").await;
    assert!(
        remembered.contains("<html lang=\"en\">"),
        "the choice beats a missing header"
    );
}

#[tokio::test]
async fn every_page_names_an_icon_the_portal_serves() {
    let app = spawn_app().await;
    let page = app.get_html("/login").await;
    assert!(
        page.contains(r#"<link rel="icon" href="/static/favicon.svg""#),
        "no request for /favicon.ico to answer 404: {page}"
    );
    let icon = app.get("/static/favicon.svg").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.expect("body").starts_with("<svg"));
}
