//! The portal against an independent OAuth 2.0 server instead of ANAF: `oidc-provider` from npm
//! (`tests/interop/oidc-server.mjs`), with rotating refresh tokens, RS256 JWT or opaque access
//! tokens, RFC 9207 `iss` on the callback and RFC 7009 revocation. Connect, refresh twice (the
//! second with the rotated refresh token), delete.
//!
//! Needs Node.js and `npm ci` in `tests/interop` (`.ci/run` does both); otherwise the tests say
//! SKIPPED, unless `ANAF_PORTAL_INTEROP_TESTS=required`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, free_port, location, skip_unless_required, spawn_app_with};

/// The OAuth server in its own Node.js process.
struct OidcServer {
    process: Child,
    issuer: String,
    public_key: String,
    _keys: tempfile::TempDir,
}

impl Drop for OidcServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

impl OidcServer {
    /// `None` when Node.js or the server's npm packages are missing.
    fn start(redirect_uri: &str, format: &str) -> Option<OidcServer> {
        if !interop_dir().join("node_modules/oidc-provider").is_dir() {
            return None;
        }
        let port = free_port();
        let keys = tempfile::tempdir().ok()?;
        let public_key_file = keys.path().join("public.pem");
        let mut process = Command::new("node")
            .current_dir(interop_dir())
            .arg("oidc-server.mjs")
            .arg(port.to_string())
            .arg(redirect_uri)
            .arg(format)
            .arg(&public_key_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .ok()?;
        let stdout = process.stdout.take()?;
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.trim() == "ready");
        assert!(ready, "the OAuth server did not start");
        Some(OidcServer {
            process,
            issuer: format!("http://127.0.0.1:{port}"),
            public_key: std::fs::read_to_string(public_key_file).ok()?,
            _keys: keys,
        })
    }
}

async fn connect_refresh_delete(format: &str) {
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/anaf/callback");
    let Some(server) = OidcServer::start(&callback, format) else {
        skip_unless_required(
            "ANAF_PORTAL_INTEROP_TESTS",
            "the oidc-provider interoperability test did not run: run `npm ci` in tests/interop (needs Node.js)",
        );
        return;
    };
    let secret_key = "ab".repeat(32);
    let public_key = format!("--anaf-jwt-public-key={}", server.public_key);
    let bind = format!("127.0.0.1:{port}");
    let app = spawn_app_with(&[
        "--bind",
        &bind,
        "--anaf-client-id",
        "portal",
        "--anaf-client-secret",
        "portal-secret",
        "--anaf-oauth-url",
        &server.issuer,
        "--anaf-api-url",
        &server.issuer,
        "--anaf-oauth-issuer",
        &server.issuer,
        "--anaf-oauth-scope",
        "efactura",
        "--secret-key",
        &secret_key,
        &public_key,
    ])
    .await;

    // Connect: the server approves at once; follow its redirects to the portal's callback.
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Firma Test SRL").await;
    let mut url = app.press_connect(company).await;
    assert!(
        url.starts_with(&format!("{}/authorize?", server.issuer)),
        "{url}"
    );
    for _ in 0..10 {
        if url.starts_with(&callback) {
            break;
        }
        let response = app.client.get(&url).send().await.expect("authorize");
        assert!(response.status().is_redirection(), "{}", response.status());
        url = absolute(&server.issuer, &location(&response));
    }
    assert!(
        url.contains("iss="),
        "the server names itself (RFC 9207): {url}"
    );
    let response = app.client.get(&url).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-status=\"connected\""), "{page}");

    // The expiry comes from `exp` (JWT) or `expires_in` (opaque): one hour, not "expired".
    let key = app.key_from_page("ERP").await;
    let token = app.token_id_of(company).await;
    let shown = api_json(&app, &key, &format!("/api/v1/anaf/tokens/{token}")).await;
    assert_eq!(shown["isValid"], true, "{shown}");
    assert_eq!(shown["status"], "connected", "{shown}");
    let expires =
        chrono::DateTime::parse_from_rfc3339(shown["expiresAt"].as_str().unwrap_or_default())
            .expect("expiresAt");
    let left = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        (50..=70).contains(&left.num_minutes()),
        "one hour left, not {left}"
    );

    // Refresh twice: the second uses the refresh token the first one rotated in.
    for _ in 0..2 {
        let response = app.api_refresh(&key, token).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    // Delete: the server confirms the revocation (RFC 7009).
    let response = app
        .post_form(
            &format!("/tokens/{token}/delete"),
            &format!("/tokens/{token}/delete"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("ANAF a confirmat revocarea"), "{page}");
    assert!(page.contains("neconectat"));
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http") {
        location.to_owned()
    } else {
        format!("{base}{location}")
    }
}

async fn api_json(app: &TestApp, key: &str, path: &str) -> Value {
    app.client
        .get(app.url(path))
        .bearer_auth(key)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn connect_refresh_delete_against_oidc_provider_with_jwt_access_tokens() {
    connect_refresh_delete("jwt").await;
}

#[tokio::test]
async fn connect_refresh_delete_against_oidc_provider_with_opaque_access_tokens() {
    connect_refresh_delete("opaque").await;
}
