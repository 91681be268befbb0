//! The REST API as an ERP calls it: requests with an API key, keys created on the settings page,
//! and the RFC 9457 problem bodies every error answers with.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

use super::TestApp;

const TOKENS: &str = "/api/v1/anaf/tokens";

impl TestApp {
    pub fn api(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    pub async fn api_get(&self, path: &str, key: &str) -> Response {
        self.api(Method::GET, path, key).send().await.unwrap()
    }

    pub async fn api_post(&self, key: &str, body: Value) -> Response {
        self.api(Method::POST, TOKENS, key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a key with every permission for all the user's companies on the settings page
    /// (the user must be logged in); returns the key.
    pub async fn key_from_page(&self, name: &str) -> String {
        let mut fields = vec![("name", name), ("companies", "all")];
        for permission in [
            "efactura:read",
            "efactura:write",
            "tokens:read",
            "tokens:write",
            "tokens:secret",
        ] {
            fields.push(("permission", permission));
        }
        self.scoped_key_from_page(&fields).await
    }

    /// Creates a key from these form fields on the settings page; returns the key.
    pub async fn scoped_key_from_page(&self, fields: &[(&str, &str)]) -> String {
        let response = self
            .post_form("/settings/api-keys", "/settings/api-keys", fields)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        let marker = "id=\"new-api-key\" class=\"secret\" rows=\"2\" readonly>";
        let start = html.find(marker).expect("the new key is shown") + marker.len();
        let end = html[start..].find('<').unwrap();
        html[start..start + end].trim().to_owned()
    }

    /// Registers `email`, adds `cifs` as its companies, creates a key, logs out.
    pub async fn user_with_key(&self, email: &str, cifs: &[&str]) -> (String, Vec<i64>) {
        self.register_logged_in(email).await;
        let mut ids = Vec::new();
        for cif in cifs {
            ids.push(self.add_company(cif, &format!("Firma {cif} SRL")).await);
        }
        let key = self.key_from_page("ERP").await;
        self.logout().await;
        (key, ids)
    }
}

/// The id of the company with `cif` in the API key form's company list.
pub fn company_choice(page: &str, cif: &str) -> String {
    let at = page
        .find(&format!("<span class=\"cif\">{cif}</span>"))
        .expect("the company is offered");
    let before = &page[..at];
    let value = before.rfind("value=\"").expect("its tick box") + "value=\"".len();
    before[value..].split('"').next().unwrap().to_owned()
}

/// Checks an RFC 9457 body and returns it; `secret` must not appear anywhere in it.
pub async fn problem(response: Response, status: u16, secret: Option<&str>) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let text = response.text().await.unwrap();
    if let Some(secret) = secret {
        assert!(
            !text.contains(secret),
            "the problem echoes a secret: {text}"
        );
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], "about:blank");
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}
