//! Tests of the ANAF simulator itself, over HTTP, against simulators started in-process on port 0.

use std::time::{Duration, Instant};

use anaf_simulator::{
    ClientAuthStyle, RecordedCall, RefreshMode, RegisteredClient, RevokeMode, SimEndpoint,
    Simulator, SimulatorSettings, TokenPair, default_certificates, serve,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CLIENT_ID: &str = "portal-test-app";
const CLIENT_SECRET: &str = "s3cret-portal-test";
const REDIRECT_URI: &str = "https://portal.example/anaf/callback";
const OTHER_ID: &str = "other-app";
const OTHER_SECRET: &str = "other-secret";
const OTHER_REDIRECT: &str = "http://127.0.0.1:8080/other/callback";

// ---------------------------------------------------------------------------------------------
// helpers

struct TestSim {
    base: String,
    sim: Simulator,
    http: reqwest::Client,
}

fn test_settings() -> SimulatorSettings {
    SimulatorSettings {
        clients: vec![
            RegisteredClient {
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                redirect_uri: REDIRECT_URI.into(),
            },
            RegisteredClient {
                client_id: OTHER_ID.into(),
                client_secret: OTHER_SECRET.into(),
                redirect_uri: OTHER_REDIRECT.into(),
            },
        ],
        ..SimulatorSettings::default()
    }
}

fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

async fn spawn_sim() -> TestSim {
    spawn_sim_with(test_settings()).await
}

async fn spawn_sim_with(settings: SimulatorSettings) -> TestSim {
    let sim = Simulator::new(settings).expect("simulator");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = serve(listener, sim.clone()).expect("serve");
    tokio::spawn(server);
    TestSim {
        base: format!("http://127.0.0.1:{port}"),
        sim,
        http: http_client(),
    }
}

fn cert_with_rights() -> String {
    default_certificates()[0].serial.clone()
}

fn cert_without_rights() -> String {
    default_certificates()
        .into_iter()
        .find(|c| c.cifs.is_empty())
        .expect("a certificate without rights")
        .serial
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(location).expect("absolute Location");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn b64url_sha256(input: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(input.as_bytes()))
}

impl TestSim {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn authorize(&self, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut query = vec![
            ("client_id", CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("token_content_type", "jwt"),
        ];
        query.extend_from_slice(extra);
        self.http
            .get(self.url("/anaf-oauth2/v1/authorize"))
            .query(&query)
            .send()
            .await
            .expect("authorize")
    }

    /// Runs authorize with a chosen certificate and returns the code.
    async fn code_for(&self, serial: &str, extra: &[(&str, &str)]) -> String {
        let mut params = vec![("sim_certificate", serial), ("state", "st-1")];
        params.extend_from_slice(extra);
        let resp = self.authorize(&params).await;
        assert_eq!(resp.status(), StatusCode::FOUND);
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let q = query_of(&location);
        param(&q, "code").expect("code in redirect").to_string()
    }

    async fn token_basic(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url("/anaf-oauth2/v1/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(form)
            .send()
            .await
            .expect("token")
    }

    async fn exchange(&self, code: &str) -> reqwest::Response {
        self.token_basic(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("token_content_type", "jwt"),
        ])
        .await
    }

    async fn tokens_for(&self, serial: &str) -> TokenPair {
        let code = self.code_for(serial, &[]).await;
        let resp = self.exchange(&code).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.expect("token pair")
    }

    async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.token_basic(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("token_content_type", "jwt"),
        ])
        .await
    }

    async fn hello(&self, token: Option<&str>) -> reqwest::Response {
        let mut req = self
            .http
            .get(self.url("/TestOauth/jaxrs/hello"))
            .query(&[("name", "Portal")]);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("hello")
    }

    async fn lista(&self, token: &str, zile: &str, cif: &str) -> reqwest::Response {
        self.http
            .get(self.url("/test/FCTEL/rest/listaMesajeFactura"))
            .query(&[("zile", zile), ("cif", cif)])
            .bearer_auth(token)
            .send()
            .await
            .expect("lista")
    }

    async fn lista_eroare(&self, token: &str, zile: &str, cif: &str) -> String {
        let resp = self.lista(token, zile, cif).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.expect("lista json");
        assert_eq!(body["titlu"], "Lista Mesaje", "body: {body}");
        body["eroare"].as_str().expect("eroare").to_string()
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .request(method, self.url(path))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert_eq!(resp.status(), StatusCode::OK, "control {path}");
        resp.json().await.expect("control json")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::POST, path, body).await
    }

    async fn advance_days(&self, days: i64) {
        self.post("/__sim/clock", json!({ "advance_days": days }))
            .await;
    }

    async fn calls(&self) -> Vec<RecordedCall> {
        self.http
            .get(self.url("/__sim/calls"))
            .send()
            .await
            .expect("calls")
            .json()
            .await
            .expect("calls json")
    }
}

async fn assert_oauth_error(resp: reqwest::Response, status: StatusCode, error: &str) -> String {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(body["error"], error, "body: {body}");
    body["error_description"]
        .as_str()
        .expect("error_description")
        .to_string()
}

fn claims_of(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .expect("jwt")
        .claims
}

// ---------------------------------------------------------------------------------------------
// authorize

#[tokio::test]
async fn authorize_refuses_a_redirect_uri_that_does_not_match_byte_for_byte() {
    let t = spawn_sim().await;
    let wrong = "http://portal.example/anaf/callback"; // http instead of https
    let resp = t
        .http
        .get(t.url("/anaf-oauth2/v1/authorize"))
        .query(&[
            ("client_id", CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", wrong),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("location").is_none());
    let description = assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(
        description,
        "Redirect-URI (http://portal.example/anaf/callback) does not match with client app configuration."
    );

    // unknown client and wrong response_type are refused without a redirect too
    let resp = t
        .http
        .get(t.url("/anaf-oauth2/v1/authorize"))
        .query(&[
            ("client_id", "nope"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    let resp = t
        .http
        .get(t.url("/anaf-oauth2/v1/authorize"))
        .query(&[
            ("client_id", CLIENT_ID),
            ("response_type", "token"),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "unsupported_response_type").await;
}

#[tokio::test]
async fn authorize_shows_a_certificate_page_that_is_csp_safe_and_relative() {
    let t = spawn_sim().await;
    let resp = t.authorize(&[("state", "abc")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("ANAF SIMULATOR"));
    assert!(html.contains(CLIENT_ID), "names the application");
    for cert in default_certificates() {
        assert!(html.contains(&cert.serial));
        assert!(html.contains(&cert.holder));
        assert!(html.contains(&cert.issuer));
        for cif in &cert.cifs {
            assert!(html.contains(cif.as_str()));
        }
    }
    assert!(html.contains("none (niciun CIF)"));
    assert!(html.contains(r#"value="none""#), "no-certificate choice");
    assert!(
        html.contains(r#"action="authorize""#),
        "relative form action"
    );
    assert!(html.contains(r#"href="../../__sim/simulator.css""#));
    assert!(!html.contains("<style") && !html.contains("style=") && !html.contains("<script"));
    assert!(
        !html.contains("action=\"/") && !html.contains("href=\"/"),
        "no absolute URLs"
    );
    // every visible control has a label
    let radios = html.matches(r#"type="radio""#).count();
    assert_eq!(radios, default_certificates().len() + 1);
    assert_eq!(html.matches("<label for=").count(), radios);
    // the state travels through the page
    assert!(html.contains(r#"name="state" value="abc""#));

    let css = t
        .http
        .get(t.url("/__sim/simulator.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn authorize_without_a_certificate_redirects_with_access_denied_and_state() {
    let t = spawn_sim().await;
    let resp = t
        .authorize(&[("sim_certificate", "none"), ("state", "xyz 1/2")])
        .await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT_URI));
    let q = query_of(&location);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    assert_eq!(param(&q, "state"), Some("xyz 1/2"));
    assert_eq!(param(&q, "code"), None);
}

#[tokio::test]
async fn authorize_with_a_certificate_redirects_with_code_and_state_and_auto_approve_skips_the_page()
 {
    let t = spawn_sim().await;
    let resp = t
        .authorize(&[("sim_certificate", &cert_with_rights()), ("state", "S-42")])
        .await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    assert_eq!(param(&q, "state"), Some("S-42"));
    assert!(param(&q, "code").is_some_and(|c| c.len() >= 20));

    let mut settings = test_settings();
    settings.auto_approve = Some(cert_with_rights());
    let t = spawn_sim_with(settings).await;
    let resp = t.authorize(&[("state", "auto")]).await;
    assert_eq!(
        resp.status(),
        StatusCode::FOUND,
        "no page with auto-approve"
    );
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    let code = param(&q, "code").expect("code").to_string();
    assert_eq!(param(&q, "state"), Some("auto"));
    assert_eq!(t.exchange(&code).await.status(), StatusCode::OK);

    // switched at runtime to "no certificate"
    t.post("/__sim/settings", json!({"auto_approve": "none"}))
        .await;
    let resp = t.authorize(&[("state", "n")]).await;
    let q = query_of(resp.headers()["location"].to_str().unwrap());
    assert_eq!(param(&q, "error"), Some("access_denied"));
    // and off again: the page is back
    t.post("/__sim/settings", json!({"auto_approve": null}))
        .await;
    assert_eq!(t.authorize(&[]).await.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// token

#[tokio::test]
async fn code_exchange_with_basic_auth_gives_rs512_jwts_with_anaf_claims() {
    let t = spawn_sim().await;
    let code = t.code_for(&cert_with_rights(), &[]).await;
    let resp = t.exchange(&code).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7_776_000);
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();

    // signature verifies with the public key the simulator serves
    let pem = t
        .http
        .get(t.url("/__sim/public-key.pem"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(pem, t.sim.public_key_pem());
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS512);
    validation.set_issuer(&["https://logincert.anaf.ro"]);
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Value>(access, &key, &validation).expect("valid RS512");
    assert_eq!(data.header.alg, Algorithm::RS512);
    assert_eq!(data.header.kid.as_deref(), Some("anaf_sim_2026"));
    let c = data.claims;
    let cert = &default_certificates()[0];
    assert_eq!(c["iss"], "https://logincert.anaf.ro");
    assert_eq!(c["token_type"], "Bearer");
    assert_eq!(c["scope"], "clientappid info issuer role serial");
    assert_eq!(c["clientappid"], CLIENT_ID);
    assert_eq!(c["serial"], cert.serial.as_str());
    assert_eq!(c["issuer"], cert.issuer.as_str());
    assert_eq!(c["sub"], cert.holder.as_str());
    assert_eq!(c["role"], "HELLO, EFACTURA, ETRANSPORT, SRV_EFACTURA");
    let scope_data = c["scope_data"].as_array().unwrap();
    let ids: Vec<_> = scope_data
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["clientappid", "info", "issuer", "role", "serial"]);
    assert_eq!(scope_data[4]["value"], cert.serial.as_str());
    let iat = c["iat"].as_i64().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!((iat - now).abs() < 60);
    assert!(c["nbf"].as_i64().unwrap() < iat && c["nbf"].as_i64().unwrap() >= iat - 600);
    assert_eq!(c["exp"].as_i64().unwrap() - iat, 90 * 86_400);

    let rc = jsonwebtoken::decode::<Value>(refresh, &key, &validation)
        .expect("refresh token is an RS512 JWT too")
        .claims;
    assert_eq!(
        rc["exp"].as_i64().unwrap() - rc["iat"].as_i64().unwrap(),
        365 * 86_400
    );
    assert_ne!(rc["jti"], c["jti"]);
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()));

    let calls = t.calls().await;
    let token_call = calls
        .iter()
        .find(|c| c.endpoint == SimEndpoint::Token)
        .unwrap();
    assert_eq!(token_call.client_auth, ClientAuthStyle::Basic);
    assert_eq!(token_call.grant_type.as_deref(), Some("authorization_code"));
}

#[tokio::test]
async fn code_exchange_with_body_credentials_works_and_is_logged_as_body() {
    let t = spawn_sim().await;
    let code = t.code_for(&cert_with_rights(), &[]).await;
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("token_content_type", "jwt"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let pair: TokenPair = resp.json().await.unwrap();
    assert_eq!(claims_of(&pair.access_token)["clientappid"], CLIENT_ID);
    let calls = t.sim.calls();
    let token_call = calls
        .iter()
        .find(|c| c.endpoint == SimEndpoint::Token)
        .unwrap();
    assert_eq!(token_call.client_auth, ClientAuthStyle::Body);
    assert_eq!(token_call.client_id.as_deref(), Some(CLIENT_ID));
    assert_eq!(token_call.status, Some(200));
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_bound_to_client_and_redirect_uri() {
    let t = spawn_sim().await;
    // single use
    let code = t.code_for(&cert_with_rights(), &[]).await;
    assert_eq!(t.exchange(&code).await.status(), StatusCode::OK);
    assert_oauth_error(
        t.exchange(&code).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;

    // 60 seconds
    let code = t.code_for(&cert_with_rights(), &[]).await;
    t.post("/__sim/clock", json!({"advance_seconds": 61})).await;
    assert_oauth_error(
        t.exchange(&code).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    let code = t.code_for(&cert_with_rights(), &[]).await;
    t.post("/__sim/clock", json!({"advance_seconds": 50})).await;
    assert_eq!(t.exchange(&code).await.status(), StatusCode::OK);

    // bound to the client
    let code = t.code_for(&cert_with_rights(), &[]).await;
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .basic_auth(OTHER_ID, Some(OTHER_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // bound to the redirect URI
    let code = t.code_for(&cert_with_rights(), &[]).await;
    let resp = t
        .token_basic(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://portal.example/elsewhere"),
        ])
        .await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn token_endpoint_errors_have_anaf_codes_and_statuses() {
    let t = spawn_sim().await;
    let code = t.code_for(&cert_with_rights(), &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    // wrong secret
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client").await;
    // no client authentication at all
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client").await;
    // JSON instead of a form
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .json(&json!({"grant_type": "authorization_code", "code": code}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    // unknown and missing grant types
    let resp = t.token_basic(&[("grant_type", "password")]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    let resp = t.token_basic(&[("code", "x")]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    // garbage form encoding
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0xc3])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // the code was not burnt by the failed client authentications above
    assert_eq!(t.exchange(&code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_token_content_type_jwt_tokens_are_opaque_and_still_work() {
    let t = spawn_sim().await;
    let code = t.code_for(&cert_with_rights(), &[]).await;
    let resp = t
        .token_basic(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let pair: TokenPair = resp.json().await.unwrap();
    assert!(!pair.access_token.contains('.'), "opaque, not a JWT");
    assert!(jsonwebtoken::dangerous::insecure_decode::<Value>(&pair.access_token).is_err());
    assert_eq!(
        t.hello(Some(&pair.access_token)).await.status(),
        StatusCode::OK
    );
    // refreshing an opaque refresh token without token_content_type keeps it opaque
    let resp = t
        .token_basic(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &pair.refresh_token),
        ])
        .await;
    let again: TokenPair = resp.json().await.unwrap();
    assert!(!again.access_token.contains('.'));
}

#[tokio::test]
async fn pkce_s256_is_enforced_only_when_a_challenge_was_sent() {
    let t = spawn_sim().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-portal-pkce";
    let challenge = b64url_sha256(verifier);
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];

    let exchange = |code: String, verifier: Option<&'static str>| {
        let t = &t;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("redirect_uri", REDIRECT_URI.to_string()),
            ];
            if let Some(v) = verifier {
                form.push(("code_verifier", v.to_string()));
            }
            t.http
                .post(t.url("/anaf-oauth2/v1/token"))
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };

    let code = t.code_for(&cert_with_rights(), &pkce).await;
    assert_oauth_error(
        exchange(code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    let code = t.code_for(&cert_with_rights(), &pkce).await;
    assert_oauth_error(
        exchange(
            code,
            Some("wrong-verifier-wrong-verifier-wrong-verifier-00"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    let code = t.code_for(&cert_with_rights(), &pkce).await;
    assert_eq!(
        exchange(code, Some(verifier)).await.status(),
        StatusCode::OK
    );
    // no challenge, no verifier needed
    let code = t.code_for(&cert_with_rights(), &[]).await;
    assert_eq!(exchange(code, None).await.status(), StatusCode::OK);
    // plain is not supported
    let resp = t
        .authorize(&[
            ("sim_certificate", &cert_with_rights()),
            ("code_challenge", verifier),
            ("code_challenge_method", "plain"),
        ])
        .await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

// ---------------------------------------------------------------------------------------------
// refresh

#[tokio::test]
async fn refresh_rotating_returns_a_new_pair_and_refuses_the_old_refresh_token() {
    let t = spawn_sim().await;
    let first = t.tokens_for(&cert_with_rights()).await;
    let resp = t.refresh(&first.refresh_token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second: TokenPair = resp.json().await.unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        claims_of(&second.access_token)["serial"],
        cert_with_rights().as_str()
    );

    let description = assert_oauth_error(
        t.refresh(&first.refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(description, "Refresh Token status is expired");
    assert_eq!(
        t.refresh(&second.refresh_token).await.status(),
        StatusCode::OK
    );
    // an access token is not a refresh token
    assert_oauth_error(
        t.refresh(&second.access_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    // a refresh token only works for the client it was issued to
    let third = t.tokens_for(&cert_with_rights()).await;
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .basic_auth(OTHER_ID, Some(OTHER_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &third.refresh_token),
        ])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn refresh_reusable_keeps_the_old_refresh_token_working() {
    let mut settings = test_settings();
    settings.refresh_mode = RefreshMode::Reusable;
    let t = spawn_sim_with(settings).await;
    let first = t.tokens_for(&cert_with_rights()).await;
    assert_eq!(
        t.refresh(&first.refresh_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        t.refresh(&first.refresh_token).await.status(),
        StatusCode::OK
    );

    // switched to rotating at runtime
    let s = t
        .post("/__sim/settings", json!({"refresh_mode": "rotating"}))
        .await;
    assert_eq!(s["refresh_mode"], "rotating");
    assert_eq!(
        t.refresh(&first.refresh_token).await.status(),
        StatusCode::OK
    );
    assert_oauth_error(
        t.refresh(&first.refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn refresh_token_is_expired_after_366_days_on_the_simulated_clock() {
    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    t.advance_days(364).await;
    let resp = t.refresh(&pair.refresh_token).await;
    assert_eq!(resp.status(), StatusCode::OK, "still valid after 364 days");
    let fresh: TokenPair = resp.json().await.unwrap();
    // the new tokens are issued on the simulated clock
    let iat = claims_of(&fresh.access_token)["iat"].as_i64().unwrap();
    assert!(iat - chrono::Utc::now().timestamp() > 363 * 86_400);

    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    let clock = t.post("/__sim/clock", json!({"advance_days": 366})).await;
    assert_eq!(clock["offset_seconds"], 366 * 86_400);
    let description = assert_oauth_error(
        t.refresh(&pair.refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(description, "Refresh Token status is expired");
}

// ---------------------------------------------------------------------------------------------
// revoke

#[tokio::test]
async fn revoke_by_default_redirects_to_a_login_page_and_revokes_nothing() {
    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/revoke"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("token", pair.refresh_token.as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(resp.headers()["location"], "login");
    let login = t
        .http
        .get(t.url("/anaf-oauth2/v1/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(login.text().await.unwrap().contains("Autentificare"));
    assert_eq!(
        t.hello(Some(&pair.access_token)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        t.refresh(&pair.refresh_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn revoke_rfc7009_revokes_refresh_and_access_tokens() {
    let mut settings = test_settings();
    settings.revoke_mode = RevokeMode::Rfc7009;
    let t = spawn_sim_with(settings).await;
    let revoke = |token: String, hint: &'static str| {
        let t = &t;
        async move {
            t.http
                .post(t.url("/anaf-oauth2/v1/revoke"))
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&[("token", token.as_str()), ("token_type_hint", hint)])
                .send()
                .await
                .unwrap()
        }
    };

    let pair = t.tokens_for(&cert_with_rights()).await;
    assert_eq!(
        revoke(pair.access_token.clone(), "access_token")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        t.hello(Some(&pair.access_token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // revoking the access token leaves the refresh token alone
    let pair2: TokenPair = t.refresh(&pair.refresh_token).await.json().await.unwrap();

    assert_eq!(
        revoke(pair2.refresh_token.clone(), "refresh_token")
            .await
            .status(),
        StatusCode::OK
    );
    let description = assert_oauth_error(
        t.refresh(&pair2.refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(description, "Refresh Token status is expired");
    // unknown tokens are answered 200 (RFC 7009 §2.2)
    assert_eq!(
        revoke("not-a-token".into(), "access_token").await.status(),
        StatusCode::OK
    );
    // without client authentication: invalid_client
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/revoke"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client").await;

    // switched back to ANAF's redirect at runtime
    t.post("/__sim/settings", json!({"revoke_mode": "anaf_redirect"}))
        .await;
    assert_eq!(
        revoke("x".into(), "access_token").await.status(),
        StatusCode::FOUND
    );
}

// ---------------------------------------------------------------------------------------------
// resource side

#[tokio::test]
async fn hello_greets_a_valid_token_and_never_echoes_it() {
    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    let resp = t
        .http
        .get(t.url("/TestOauth/jaxrs/hello"))
        .query(&[("name", "Portal")])
        .bearer_auth(&pair.access_token)
        .header("x-probe", "visible")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("Hello, \"Portal\""), "body: {body}");
    assert!(body.contains("x-probe = visible"), "dumps headers: {body}");
    assert!(body.to_lowercase().contains("authorization"));
    assert!(!body.contains(&pair.access_token));
    assert!(!body.contains(&pair.access_token[..30]));
}

#[tokio::test]
async fn hello_refuses_missing_invalid_expired_and_revoked_tokens_with_401() {
    let mut settings = test_settings();
    settings.revoke_mode = RevokeMode::Rfc7009;
    let t = spawn_sim_with(settings).await;
    async fn assert_401(resp: reqwest::Response) {
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let www = resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(www.starts_with("Bearer error=\"invalid_token\""), "{www}");
    }
    assert_401(t.hello(None).await).await;
    assert_401(t.hello(Some("garbage")).await).await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    // a refresh token is not an access token
    assert_401(t.hello(Some(&pair.refresh_token)).await).await;
    // a forged JWT (valid shape, not issued here)
    let last = pair.access_token.chars().last().unwrap();
    let mut forged = pair.access_token.clone();
    forged.pop();
    forged.push(if last == 'A' { 'Q' } else { 'A' });
    assert_ne!(forged, pair.access_token);
    assert_401(t.hello(Some(&forged)).await).await;
    // revoked
    let revoked = t.tokens_for(&cert_with_rights()).await;
    t.http
        .post(t.url("/anaf-oauth2/v1/revoke"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("token", revoked.access_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_401(t.hello(Some(&revoked.access_token)).await).await;
    // expired: 90 days
    assert_eq!(
        t.hello(Some(&pair.access_token)).await.status(),
        StatusCode::OK
    );
    t.advance_days(91).await;
    assert_401(t.hello(Some(&pair.access_token)).await).await;
}

#[tokio::test]
async fn lista_mesaje_answers_every_eroare_text_with_http_200() {
    let t = spawn_sim().await;
    let rich = t.tokens_for(&cert_with_rights()).await.access_token;
    let poor = t.tokens_for(&cert_without_rights()).await.access_token;

    // rights and messages
    let resp = t.lista(&rich, "5", "18547290").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["titlu"],
        "Lista Mesaje disponibile din ultimele 5 zile"
    );
    assert_eq!(body["cui"], "18547290");
    assert_eq!(body["serial"], cert_with_rights().as_str());
    let mesaje = body["mesaje"].as_array().unwrap();
    assert_eq!(
        mesaje.len(),
        2,
        "messages 1 and 3 days old, not the 10-day one"
    );
    for m in mesaje {
        for field in [
            "data_creare",
            "cif",
            "id_solicitare",
            "detalii",
            "tip",
            "id",
        ] {
            assert!(m[field].is_string(), "{field} in {m}");
        }
        assert_eq!(m["data_creare"].as_str().unwrap().len(), 12);
    }
    let all: Value = t.lista(&rich, "60", "18547290").await.json().await.unwrap();
    assert_eq!(all["mesaje"].as_array().unwrap().len(), 3);

    assert_eq!(
        t.lista_eroare(&rich, "30", "14399840").await,
        "Nu exista mesaje in ultimele 30 zile"
    );
    assert_eq!(
        t.lista_eroare(&rich, "30", "22732040").await,
        "Nu aveti drept in SPV pentru CIF=22732040"
    );
    assert_eq!(
        t.lista_eroare(&poor, "30", "18547290").await,
        "Nu exista niciun CIF pentru care sa aveti drept in SPV"
    );
    assert_eq!(
        t.lista_eroare(&rich, "30", "RO123").await,
        "CIF introdus= RO123 nu este un numar"
    );
    for zile in ["0", "61", "abc"] {
        assert_eq!(
            t.lista_eroare(&rich, zile, "18547290").await,
            "Numarul de zile trebuie sa fie intre 1 si 60"
        );
    }
    // prod answers the same
    let resp = t
        .http
        .get(t.url("/prod/FCTEL/rest/listaMesajeFactura"))
        .query(&[("zile", "10"), ("cif", "14399840")])
        .bearer_auth(&rich)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["eroare"], "Nu exista mesaje in ultimele 10 zile");
    // the token must be valid
    let resp = t
        .http
        .get(t.url("/test/FCTEL/rest/listaMesajeFactura"))
        .query(&[("zile", "10"), ("cif", "18547290")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn lista_mesaje_daily_limit_per_cif_is_enforced_and_settable() {
    let t = spawn_sim().await;
    let token = t.tokens_for(&cert_with_rights()).await.access_token;
    let s = t
        .post("/__sim/settings", json!({"lista_daily_limit_per_cif": 2}))
        .await;
    assert_eq!(s["lista_daily_limit_per_cif"], 2);
    assert!(
        t.lista(&token, "5", "18547290")
            .await
            .json::<Value>()
            .await
            .unwrap()["mesaje"]
            .is_array()
    );
    assert!(
        t.lista(&token, "5", "18547290")
            .await
            .json::<Value>()
            .await
            .unwrap()["mesaje"]
            .is_array()
    );
    assert_eq!(
        t.lista_eroare(&token, "5", "18547290").await,
        "S-au facut deja 2 interogari de lista mesaje de catre utilizatori in cursul zilei"
    );
    // per CIF: another CIF is not affected
    assert_eq!(
        t.lista_eroare(&token, "5", "14399840").await,
        "Nu exista mesaje in ultimele 5 zile"
    );
    // a new (simulated) day resets it
    t.advance_days(1).await;
    assert_eq!(
        t.lista_eroare(&token, "1", "18547290").await,
        "Nu exista mesaje in ultimele 1 zile"
    );
}

#[tokio::test]
async fn resource_calls_past_the_per_minute_limit_get_429() {
    let mut settings = test_settings();
    settings.calls_per_minute_limit = 3;
    let t = spawn_sim_with(settings).await;
    let token = t.tokens_for(&cert_with_rights()).await.access_token;
    assert_eq!(t.hello(Some(&token)).await.status(), StatusCode::OK);
    assert_eq!(
        t.lista(&token, "5", "18547290").await.status(),
        StatusCode::OK
    );
    assert_eq!(t.hello(Some(&token)).await.status(), StatusCode::OK);
    assert_eq!(
        t.hello(Some(&token)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        t.lista(&token, "5", "18547290").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    t.post("/__sim/clock", json!({"advance_seconds": 61})).await;
    assert_eq!(t.hello(Some(&token)).await.status(), StatusCode::OK);
    t.post("/__sim/settings", json!({"calls_per_minute_limit": 1000}))
        .await;
    assert_eq!(t.hello(Some(&token)).await.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// test control

#[tokio::test]
async fn clock_control_moves_the_simulated_clock() {
    let t = spawn_sim().await;
    let c0 = t
        .control(reqwest::Method::GET, "/__sim/clock", json!({}))
        .await;
    assert_eq!(c0["offset_seconds"], 0);
    let c1 = t
        .post(
            "/__sim/clock",
            json!({"advance_days": 2, "advance_seconds": 30}),
        )
        .await;
    assert_eq!(c1["offset_seconds"], 2 * 86_400 + 30);
    let now = chrono::DateTime::parse_from_rfc3339(c1["now"].as_str().unwrap()).unwrap();
    let diff = now.timestamp() - chrono::Utc::now().timestamp();
    assert!((diff - (2 * 86_400 + 30)).abs() < 5);
    let c2 = t.post("/__sim/clock", json!({"reset": true})).await;
    assert_eq!(c2["offset_seconds"], 0);
    let resp = t
        .http
        .post(t.url("/__sim/clock"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn faults_latency_status_and_count() {
    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;

    // 1.5 s: far above what an unslowed call takes even on a busy machine.
    t.post(
        "/__sim/faults",
        json!({"endpoint": "hello", "kind": "latency", "ms": 1500}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        t.hello(Some(&pair.access_token)).await.status(),
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let started = Instant::now();
    assert_eq!(
        t.hello(Some(&pair.access_token)).await.status(),
        StatusCode::OK
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "only the next call"
    );

    let queued = t
        .post(
            "/__sim/faults",
            json!({"endpoint": "token", "count": 2, "kind": "status", "status": 503}),
        )
        .await;
    assert_eq!(queued["faults"][0]["endpoint"], "token");
    assert_eq!(queued["faults"][0]["remaining"], 2);
    for status in [500, 502, 429] {
        t.post(
            "/__sim/faults",
            json!({"endpoint": "token", "kind": "status", "status": status}),
        )
        .await;
    }
    for expected in [503, 503, 500, 502, 429] {
        let resp = t.refresh(&pair.refresh_token).await;
        assert_eq!(resp.status().as_u16(), expected);
    }
    // the faults did not consume the refresh token: the next call is answered normally
    assert_eq!(
        t.refresh(&pair.refresh_token).await.status(),
        StatusCode::OK
    );
    let calls = t.sim.calls();
    let faulted: Vec<_> = calls
        .iter()
        .filter(|c| c.endpoint == SimEndpoint::Token && c.fault.as_deref() == Some("status"))
        .map(|c| c.status)
        .collect();
    assert_eq!(
        faulted,
        [Some(503), Some(503), Some(500), Some(502), Some(429)]
    );

    // faults on lista and authorize too; DELETE clears the queue
    t.post(
        "/__sim/faults",
        json!({"endpoint": "authorize", "kind": "status", "status": 500}),
    )
    .await;
    t.post(
        "/__sim/faults",
        json!({"endpoint": "lista", "kind": "status", "status": 502}),
    )
    .await;
    assert_eq!(
        t.authorize(&[]).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let cleared = t
        .control(reqwest::Method::DELETE, "/__sim/faults", json!({}))
        .await;
    assert_eq!(cleared["faults"].as_array().unwrap().len(), 0);
    let fresh = t.tokens_for(&cert_with_rights()).await;
    assert_eq!(
        t.lista(&fresh.access_token, "5", "18547290").await.status(),
        StatusCode::OK
    );

    // bad fault requests are refused
    let resp = t
        .http
        .post(t.url("/__sim/faults"))
        .json(&json!({"endpoint": "nowhere", "kind": "drop"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    let resp = t
        .http
        .post(t.url("/__sim/faults"))
        .json(&json!({"endpoint": "token", "kind": "status", "status": 200}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn fault_timeout_makes_the_client_time_out() {
    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    t.post(
        "/__sim/faults",
        json!({"endpoint": "token", "kind": "timeout"}),
    )
    .await;
    let result = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &pair.refresh_token),
        ])
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    let err = result.expect_err("the simulator sleeps 60 s");
    assert!(err.is_timeout(), "{err:?}");
    // the next call is answered normally
    assert_eq!(
        t.hello(Some(&pair.access_token)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn fault_drop_closes_the_connection_without_a_valid_response() {
    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    t.post(
        "/__sim/faults",
        json!({"endpoint": "token", "kind": "drop"}),
    )
    .await;
    let result = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &pair.refresh_token),
        ])
        .send()
        .await;
    let err = result.expect_err("reqwest must see an error, not a response");
    assert!(err.is_request(), "{err:?}");
    let calls = t.sim.calls();
    let dropped = calls
        .iter()
        .rev()
        .find(|c| c.endpoint == SimEndpoint::Token)
        .unwrap();
    assert_eq!(dropped.fault.as_deref(), Some("drop"));
    assert_eq!(dropped.status, None);
    assert_eq!(
        t.refresh(&pair.refresh_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn fault_malformed_json_answers_200_with_a_broken_body() {
    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    t.post(
        "/__sim/faults",
        json!({"endpoint": "token", "kind": "malformed_json"}),
    )
    .await;
    let resp = t.refresh(&pair.refresh_token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(resp.json::<TokenPair>().await.is_err());
}

#[tokio::test]
async fn call_log_counts_calls_masks_secrets_and_can_be_cleared() {
    let t = spawn_sim().await;
    let pair = t.tokens_for(&cert_with_rights()).await;
    let refreshed: TokenPair = t.refresh(&pair.refresh_token).await.json().await.unwrap();
    t.hello(Some(&refreshed.access_token)).await;

    let calls = t.calls().await;
    assert_eq!(calls, t.sim.calls(), "endpoint and method agree");
    let refreshes: Vec<_> = calls
        .iter()
        .filter(|c| c.grant_type.as_deref() == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 1, "exactly one refresh call");
    assert_eq!(refreshes[0].client_auth, ClientAuthStyle::Basic);
    assert_eq!(refreshes[0].status, Some(200));
    let logged = refreshes[0].params["refresh_token"].clone();
    assert!(
        logged.ends_with('…') && logged.chars().count() <= 7,
        "{logged}"
    );
    assert!(calls.windows(2).all(|w| w[0].seq < w[1].seq));

    // no full secret anywhere in the log
    let raw = t
        .http
        .get(t.url("/__sim/calls"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in [
        CLIENT_SECRET,
        pair.access_token.as_str(),
        pair.refresh_token.as_str(),
        &pair.refresh_token[..20],
        &refreshed.access_token[..20],
    ] {
        assert!(!raw.contains(secret), "log leaks a secret");
    }
    let code_call = calls
        .iter()
        .find(|c| c.grant_type.as_deref() == Some("authorization_code"))
        .unwrap();
    assert!(code_call.params["code"].ends_with('…'));

    // filtered by endpoint
    let hellos: Vec<RecordedCall> = t
        .http
        .get(t.url("/__sim/calls?endpoint=hello"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hellos.len(), 1);
    assert!(hellos[0].params["bearer"].ends_with('…'));

    let cleared = t
        .control(reqwest::Method::DELETE, "/__sim/calls", json!({}))
        .await;
    assert_eq!(cleared["cleared"], calls.len());
    assert!(t.calls().await.is_empty());
}

#[tokio::test]
async fn mint_issues_a_jwt_pair_without_a_browser() {
    let t = spawn_sim().await;
    let serial = default_certificates()[1].serial.clone();
    let minted: TokenPair = serde_json::from_value(
        t.post(
            "/__sim/mint",
            json!({"certificate_serial": serial, "client_id": CLIENT_ID}),
        )
        .await,
    )
    .unwrap();
    let claims = claims_of(&minted.access_token);
    assert_eq!(claims["serial"], serial.as_str());
    assert_eq!(claims["clientappid"], CLIENT_ID);
    assert_eq!(
        t.lista_eroare(&minted.access_token, "10", "22732040").await,
        "Nu exista mesaje in ultimele 10 zile"
    );
    assert_eq!(
        t.refresh(&minted.refresh_token).await.status(),
        StatusCode::OK
    );

    let direct = t.sim.mint(&serial, CLIENT_ID).unwrap();
    assert_eq!(
        t.hello(Some(&direct.access_token)).await.status(),
        StatusCode::OK
    );
    assert!(t.sim.mint("no-such-serial", CLIENT_ID).is_err());
    let resp = t
        .http
        .post(t.url("/__sim/mint"))
        .json(&json!({"certificate_serial": "nope", "client_id": CLIENT_ID}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn certificates_and_their_rights_can_be_replaced_at_runtime() {
    let t = spawn_sim().await;
    let listed: Vec<anaf_simulator::TestCertificate> = serde_json::from_value(
        t.control(reqwest::Method::GET, "/__sim/certificates", json!({}))
            .await,
    )
    .unwrap();
    assert_eq!(listed, default_certificates());

    let certs = json!([
        {"serial": "aa:bb:cc:01", "holder": "TEST HOLDER", "issuer": "Trans Sped", "cifs": ["11123319"]},
        {"serial": "aa:bb:cc:02", "holder": "NOBODY", "issuer": "Anaf", "cifs": []}
    ]);
    t.control(reqwest::Method::PUT, "/__sim/certificates", certs)
        .await;
    let html = t.authorize(&[]).await.text().await.unwrap();
    assert!(html.contains("TEST HOLDER") && !html.contains("POPESCU ION"));
    let token = t.tokens_for("aa:bb:cc:01").await.access_token;
    assert_eq!(claims_of(&token)["issuer"], "Trans Sped");
    assert_eq!(
        t.lista_eroare(&token, "10", "18547290").await,
        "Nu aveti drept in SPV pentru CIF=18547290"
    );
    // upsert: grant a right to an existing certificate
    t.post(
        "/__sim/certificates",
        json!({"serial": "AA:BB:CC:01", "holder": "TEST HOLDER", "issuer": "Trans Sped", "cifs": ["11123319", "18547290"]}),
    )
    .await;
    let body: Value = t
        .lista(&token, "10", "18547290")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["mesaje"].as_array().unwrap().len(), 2);
    // messages can be defined per CIF
    t.control(
        reqwest::Method::PUT,
        "/__sim/messages",
        json!({"cif": "11123319", "messages": [{"days_ago": 2, "tip": "FACTURA TRIMISA"}]}),
    )
    .await;
    let body: Value = t.lista(&token, "3", "11123319").await.json().await.unwrap();
    assert_eq!(body["mesaje"][0]["tip"], "FACTURA TRIMISA");
    // invalid CIFs are refused
    let resp = t
        .http
        .post(t.url("/__sim/certificates"))
        .json(&json!({"serial": "x1", "holder": "H", "issuer": "I", "cifs": ["RO123"]}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn clients_can_be_registered_at_runtime_and_settings_read_back_without_secrets() {
    let t = spawn_sim_with(SimulatorSettings::default()).await;
    let resp = t.authorize(&[]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    t.post(
        "/__sim/clients",
        json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT_URI}),
    )
    .await;
    let settings = t
        .control(reqwest::Method::GET, "/__sim/settings", json!({}))
        .await;
    assert_eq!(settings["clients"][0]["client_id"], CLIENT_ID);
    assert_eq!(settings["refresh_mode"], "rotating");
    assert_eq!(settings["revoke_mode"], "anaf_redirect");
    assert_eq!(settings["lista_daily_limit_per_cif"], 1500);
    assert_eq!(settings["calls_per_minute_limit"], 1000);
    assert!(!settings.to_string().contains(CLIENT_SECRET));
    assert_eq!(t.tokens_for(&cert_with_rights()).await.token_type, "Bearer");
}

#[tokio::test]
async fn works_mounted_under_a_scope_with_relative_urls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Simulator::new(test_settings()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mounted = sim.clone();
    let server = actix_web::HttpServer::new(move || {
        let sim = mounted.clone();
        actix_web::App::new()
            .service(actix_web::web::scope("/sandbox/anaf").configure(move |c| sim.configure(c)))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    let t = TestSim {
        base: format!("http://127.0.0.1:{port}/sandbox/anaf"),
        sim,
        http: http_client(),
    };
    let page = t.authorize(&[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    // the page's relative stylesheet resolves inside the scope
    let page_url = page.url().clone();
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"href="../../__sim/simulator.css""#));
    let css_url = page_url.join("../../__sim/simulator.css").unwrap();
    assert_eq!(css_url.path(), "/sandbox/anaf/__sim/simulator.css");
    assert_eq!(
        t.http.get(css_url).send().await.unwrap().status(),
        StatusCode::OK
    );
    let pair = t.tokens_for(&cert_with_rights()).await;
    assert_eq!(
        t.hello(Some(&pair.access_token)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        t.lista_eroare(&pair.access_token, "30", "14399840").await,
        "Nu exista mesaje in ultimele 30 zile"
    );
    assert_eq!(
        t.http
            .get(format!("http://127.0.0.1:{port}/anaf-oauth2/v1/authorize"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND,
        "nothing at the root"
    );
}

#[tokio::test]
async fn a_signing_key_can_be_loaded_from_pem() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let expected_public = rsa::RsaPublicKey::from(&private)
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    for pem in [
        private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        private.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
    ] {
        let settings = SimulatorSettings {
            signing_key_pem: Some(pem),
            ..test_settings()
        };
        let sim = Simulator::new(settings).unwrap();
        assert_eq!(sim.public_key_pem(), expected_public);
        let pair = sim.mint(&cert_with_rights(), CLIENT_ID).unwrap();
        let key = DecodingKey::from_rsa_pem(expected_public.as_bytes()).unwrap();
        let mut validation = Validation::new(Algorithm::RS512);
        validation.validate_aud = false;
        jsonwebtoken::decode::<Value>(&pair.access_token, &key, &validation)
            .expect("signed with the loaded key");
    }
    let bad = SimulatorSettings {
        signing_key_pem: Some(
            "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n".into(),
        ),
        ..test_settings()
    };
    assert!(Simulator::new(bad).is_err());
    // generated keys are shared by every simulator of the process
    let a = Simulator::new(test_settings()).unwrap();
    let b = Simulator::new(test_settings()).unwrap();
    assert_eq!(a.public_key_pem(), b.public_key_pem());
}

#[tokio::test]
async fn disputed_variants_are_runtime_switches() {
    let t = spawn_sim().await;
    let s = t
        .post(
            "/__sim/settings",
            json!({
                "invalid_client_status": 401,
                "expired_refresh_error": "invalid_request",
                "roles_claim": "both",
                "refresh_token_lifetime_days": 1095,
                "refresh_restarts_lifetime": false,
                "token_response_scope": true
            }),
        )
        .await;
    assert_eq!(s["refresh_token_lifetime_days"], 1095);

    // invalid_client answered 401
    let resp = t
        .http
        .post(t.url("/anaf-oauth2/v1/token"))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;

    // roles in both spellings, scope in the response, 3-year refresh token
    let code = t.code_for(&cert_with_rights(), &[]).await;
    let body: Value = t.exchange(&code).await.json().await.unwrap();
    assert_eq!(body["scope"], "clientappid info issuer role serial");
    let access = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(access["roles"], "HELLO@EFACTURA@ETRANSPORT@SRV_EFACTURA");
    assert_eq!(access["role"], "HELLO, EFACTURA, ETRANSPORT, SRV_EFACTURA");
    let refresh_token = body["refresh_token"].as_str().unwrap().to_string();
    let first = claims_of(&refresh_token);
    assert_eq!(
        first["exp"].as_i64().unwrap() - first["iat"].as_i64().unwrap(),
        1095 * 86_400
    );

    // a refresh keeps the old refresh token's expiry
    t.advance_days(10).await;
    let next: TokenPair = t.refresh(&refresh_token).await.json().await.unwrap();
    let second = claims_of(&next.refresh_token);
    assert_eq!(second["exp"], first["exp"]);

    // expired refresh token reported as invalid_request with the same description
    t.advance_days(1100).await;
    let description = assert_oauth_error(
        t.refresh(&next.refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert_eq!(description, "Refresh Token status is expired");

    t.post("/__sim/settings", json!({"roles_claim": "roles"}))
        .await;
    let pair = t.sim.mint(&cert_with_rights(), CLIENT_ID).unwrap();
    let claims = claims_of(&pair.access_token);
    assert!(claims.get("role").is_none());
    assert!(claims["roles"].is_string());
}

// ---------------------------------------------------------------------------------------------
// the public company registry

impl TestSim {
    async fn registry(&self, body: Value) -> reqwest::Response {
        self.http
            .post(self.url("/api/PlatitorTvaRest/v9/tva"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

/// The first `n` valid CIFs from `stem`0 on (one per stem).
fn valid_cifs(stem: u64, n: usize) -> Vec<u64> {
    (stem..)
        .filter_map(|s| {
            (0..10)
                .map(|check| s * 10 + check)
                .find(|c| anaf_simulator::registry_company(&c.to_string()).is_some())
        })
        .take(n)
        .collect()
}

#[tokio::test]
async fn registry_answers_found_and_not_found_like_anaf() {
    let t = spawn_sim().await;
    let not_found = anaf_simulator::NOT_FOUND[0];
    let resp = t
        .registry(json!([
            {"cui": 18547290, "data": "2026-12-01"},
            {"cui": "14399840", "data": "2026-12-01"},
            {"cui": 2000007, "data": "2026-12-01"},
            {"cui": not_found.parse::<u64>().unwrap(), "data": "2026-12-01"},
            {"cui": 12345678, "data": "2026-12-01"},
        ]))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["cod"], 200);
    assert_eq!(body["message"], "SUCCESS");
    let found = body["found"].as_array().unwrap();
    assert_eq!(found.len(), 3, "{body}");
    let general = &found[0]["date_generale"];
    assert_eq!(general["cui"], 18547290);
    assert_eq!(general["data"], "2026-12-01");
    assert_eq!(general["denumire"], "CARPAT SOFT SRL");
    assert!(general["adresa"].as_str().unwrap().contains("BUCUREŞTI"));
    for part in [
        "inregistrare_scop_Tva",
        "stare_inactiv",
        "inregistrare_SplitTVA",
        "adresa_sediu_social",
        "adresa_domiciliu_fiscal",
    ] {
        assert!(found[0][part].is_object(), "{part}");
    }
    // any other valid CIF is a made-up company, the same one every time
    let made_up = found[2]["date_generale"]["denumire"].as_str().unwrap();
    assert!(
        made_up.ends_with(" SRL") || made_up.ends_with(" SA"),
        "{made_up}"
    );
    let again: Value = t
        .registry(json!([{"cui": 2000007, "data": "2026-12-02"}]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["found"][0]["date_generale"]["denumire"], made_up);
    // the documented unknown CIFs and a wrong check digit are not found
    assert_eq!(
        body["notFound"],
        json!([not_found.parse::<u64>().unwrap(), 12345678])
    );
    // the call log counts the CUIs asked about
    let calls: Vec<RecordedCall> = t
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.endpoint == SimEndpoint::Registry)
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].params["cuis"], "5");
    assert_eq!(calls[0].status, Some(200));
}

#[tokio::test]
async fn registry_refuses_more_than_100_cuis_and_malformed_requests_with_json() {
    let t = spawn_sim().await;
    let cifs = valid_cifs(3_000_000, 101);
    let ask = |cifs: &[u64]| {
        Value::Array(
            cifs.iter()
                .map(|c| json!({"cui": c, "data": "2026-12-01"}))
                .collect(),
        )
    };
    let resp = t.registry(ask(&cifs[..100])).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["found"].as_array().unwrap().len(), 100);

    let resp = t.registry(ask(&cifs)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["cod"], 400);
    assert!(body["message"].as_str().unwrap().contains("100"));

    for bad in [
        json!({"cui": 18547290}),
        json!([]),
        json!([{"cui": "RO18547290", "data": "2026-12-01"}]),
        json!([{"cui": 18547290, "data": "01.12.2026"}]),
    ] {
        let resp = t.registry(bad.clone()).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = resp.json().await.unwrap();
        assert!(body["message"].is_string(), "{bad}");
    }
}

#[tokio::test]
async fn registry_faults_404_with_its_json_answer_and_slow_answers() {
    let t = spawn_sim().await;
    t.post(
        "/__sim/faults",
        json!({"endpoint": "registry", "kind": "status_with_body", "status": 404}),
    )
    .await;
    let resp = t
        .registry(json!([{"cui": 18547290, "data": "2026-12-01"}]))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["found"][0]["date_generale"]["denumire"],
        "CARPAT SOFT SRL"
    );

    t.post(
        "/__sim/faults",
        json!({"endpoint": "registry", "kind": "latency", "ms": 1200}),
    )
    .await;
    let started = Instant::now();
    let resp = t
        .registry(json!([{"cui": 18547290, "data": "2026-12-01"}]))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(1200));

    t.post(
        "/__sim/faults",
        json!({"endpoint": "registry", "kind": "status", "status": 503}),
    )
    .await;
    let resp = t
        .registry(json!([{"cui": 18547290, "data": "2026-12-01"}]))
        .await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let faults: Vec<_> = t
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.endpoint == SimEndpoint::Registry)
        .map(|c| c.fault)
        .collect();
    assert_eq!(
        faults,
        [
            Some("status_with_body".to_string()),
            Some("latency".to_string()),
            Some("status".to_string())
        ]
    );
    // a status_with_body outside 200..599 is refused
    let resp = t
        .http
        .post(t.url("/__sim/faults"))
        .json(&json!({"endpoint": "registry", "kind": "status_with_body", "status": 99}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}
