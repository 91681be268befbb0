//! ANAF as the tests meet it: the sandbox simulator inside the application under test (its
//! `__sim` controls, choosing a certificate, the Connect ANAF round trip, minted tokens), the
//! standalone simulator as a server of its own (`ExternalAnaf`), and the simulator's certificates.

use std::sync::Arc;

use anaf_portal::startup::SANDBOX_CLIENT_ID;
use anaf_simulator::{SimEndpoint, Simulator, SimulatorSettings, default_certificates, serve};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{TestApp, client_with, location};

/// The CIF of a test's first company: certificate 01 has SPV rights on it.
const CIF: &str = "18547290";

pub fn serial_with_rights() -> String {
    serial_with_rights_for(CIF)
}

/// The simulator's certificate with SPV rights on `cif`.
pub fn serial_with_rights_for(cif: &str) -> String {
    default_certificates()
        .into_iter()
        .find(|c| c.cifs.iter().any(|c| c == cif))
        .expect("a certificate with rights on the CIF")
        .serial
}

pub fn serial_without_rights() -> String {
    default_certificates()
        .into_iter()
        .find(|c| c.cifs.is_empty())
        .expect("a certificate without rights")
        .serial
}

/// Certificate 02 of the simulator (IONESCU MARIA): SPV rights for these three CIFs.
pub const SERIAL_02: &str = "34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:02";
pub const COVERED: [&str; 3] = ["1590082", "22732040", "11123319"];
pub const NOT_COVERED: [&str; 2] = ["18547290", "14399840"];

impl TestApp {
    pub fn sim_url(&self, path: &str) -> String {
        format!("{}/sandbox/anaf/__sim/{path}", self.address)
    }

    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(self.sim_url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "simulator control {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// The simulator's recorded calls to one endpoint.
    pub async fn sim_calls(&self, endpoint: &str) -> Vec<Value> {
        let body: Value = self
            .client
            .get(format!("{}?endpoint={endpoint}", self.sim_url("calls")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body.get("calls")
            .or(Some(&body))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// Presses Connect ANAF; returns the authorize URL the portal redirected to.
    pub async fn press_connect(&self, company_id: i64) -> String {
        let page = format!("/companies/{company_id}");
        let response = self
            .post_form(&page, &format!("/companies/{company_id}/connect"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        location(&response)
    }

    /// At the simulated ANAF, picks a certificate ("none" cancels); returns the callback URL.
    pub async fn choose_certificate(&self, authorize_url: &str, serial: &str) -> String {
        let response = self
            .client
            .get(format!(
                "{authorize_url}&sim_certificate={}",
                url::form_urlencoded::byte_serialize(serial.as_bytes()).collect::<String>()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FOUND,
            "simulator redirects back"
        );
        location(&response)
    }

    /// The whole Connect ANAF round trip with a certificate; returns the callback's response
    /// (see `callback`).
    pub async fn connect_with(&self, company_id: i64, serial: &str) -> reqwest::Response {
        let authorize = self.press_connect(company_id).await;
        let callback = self.choose_certificate(&authorize, serial).await;
        self.callback(&callback).await
    }

    /// GETs a callback URL. A callback that did not complete ends with a 303 to its explanation,
    /// at an address without the code and state: that page is returned.
    pub async fn callback(&self, url: &str) -> reqwest::Response {
        let response = self.client.get(url).send().await.unwrap();
        let to = location(&response);
        if response.status() == StatusCode::SEE_OTHER && to.starts_with("/anaf/connect-failed/") {
            assert!(!to.contains("code") && !to.contains("state"), "{to}");
            assert_eq!(response.headers()["referrer-policy"], "no-referrer");
            return self.get(&to).await;
        }
        response
    }

    /// The token id shown on a company page.
    pub async fn token_id_of(&self, company_id: i64) -> i64 {
        let html = self.get_html(&format!("/companies/{company_id}")).await;
        let marker = "action=\"/tokens/";
        let start = html.find(marker).expect("the page shows a token action") + marker.len();
        html[start..].split('/').next().unwrap().parse().unwrap()
    }

    /// A fresh token pair from the simulator for a certificate.
    pub async fn mint(&self, serial: &str) -> (String, String) {
        let minted = self
            .sim_post(
                "mint",
                json!({"certificate_serial": serial, "client_id": SANDBOX_CLIENT_ID}),
            )
            .await;
        (
            minted["access_token"].as_str().unwrap().to_owned(),
            minted["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Saves a freshly minted pair through the API; returns the token object.
    pub async fn save_minted(&self, key: &str, cif: Option<&str>) -> (Value, String) {
        let (access, refresh) = self.mint(&serial_with_rights()).await;
        let mut body = json!({"token": access, "refreshToken": refresh});
        if let Some(cif) = cif {
            body["cif"] = json!(cif);
        }
        let response = self.api_post(key, body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        (response.json().await.unwrap(), access)
    }

    pub async fn sim_fault(&self, endpoint: &str, fault: Value) {
        let mut body = fault;
        body["endpoint"] = json!(endpoint);
        self.sim_post("faults", body).await;
    }
}

const CLIENT_ID: &str = "portal-client";
const CLIENT_SECRET: &str = "portal-secret";

/// ANAF as a separate server (the standalone simulator, in this test process), so that several
/// portals, or a portal in a child process, talk to one ANAF that outlives them.
pub struct ExternalAnaf {
    address: String,
    simulator: Simulator,
    http: reqwest::Client,
}

impl ExternalAnaf {
    pub async fn start() -> ExternalAnaf {
        let simulator = Simulator::new(SimulatorSettings {
            auto_approve: Some(serial_with_rights()),
            ..SimulatorSettings::default()
        })
        .expect("simulator");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(serve(listener, simulator.clone()).expect("serve"));
        ExternalAnaf {
            address,
            simulator,
            http: client_with(Arc::new(reqwest::cookie::Jar::default())),
        }
    }

    /// Registers the portal whose callback is `redirect_uri`.
    pub async fn register(&self, redirect_uri: &str) {
        self.control(
            "clients",
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": redirect_uri}),
        )
        .await;
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/__sim/{path}", self.address))
            .json(&body)
            .send()
            .await
            .expect("simulator control");
        assert!(response.status().is_success(), "__sim/{path}");
        response.json().await.unwrap_or(Value::Null)
    }

    pub async fn fault(&self, kind: Value) {
        let mut fault = kind;
        fault["endpoint"] = json!("token");
        self.control("faults", fault).await;
    }

    /// How many refresh calls reached ANAF.
    pub fn refresh_calls(&self) -> usize {
        self.simulator
            .calls()
            .iter()
            .filter(|c| c.endpoint == SimEndpoint::Token)
            .filter(|c| c.grant_type.as_deref() == Some("refresh_token"))
            .count()
    }

    /// The portal's settings for this ANAF (credentials, URLs, its signing key).
    pub fn portal_args(&self, redirect_uri: &str) -> Vec<String> {
        vec![
            "--anaf-client-id".into(),
            CLIENT_ID.into(),
            "--anaf-client-secret".into(),
            CLIENT_SECRET.into(),
            "--anaf-oauth-url".into(),
            format!("{}/anaf-oauth2/v1", self.address),
            "--anaf-api-url".into(),
            self.address.clone(),
            // Never the real registry from a test.
            "--anaf-registry-url".into(),
            self.address.clone(),
            "--anaf-redirect-uri".into(),
            redirect_uri.into(),
            "--secret-key".into(),
            "ab".repeat(32),
            format!("--anaf-jwt-public-key={}", self.simulator.public_key_pem()),
        ]
    }
}
