//! Webhooks from the receiving side: a small HTTP server that records every delivery and answers
//! as told, the Standard Webhooks reference library (`standardwebhooks` from PyPI, run with
//! `$ANAF_TEST_PYTHON`) that checks their signatures, and endpoints registered on the company's
//! page.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anaf_portal::db::schema::{events, webhook_endpoints};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{TestApp, free_port, skip_unless_required};

pub const ALL_EVENTS: [&str; 7] = [
    "token.connected",
    "token.refreshed",
    "token.expiring",
    "token.refresh_failing",
    "token.reconnect_needed",
    "token.rights_lost",
    "token.deleted",
];

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Clone, Default)]
pub struct Inbox {
    received: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in order; 200 once they run out.
    answers: Arc<Mutex<VecDeque<u16>>>,
    /// Answer only after 11 s (past the portal's 10 s timeout).
    pub slow: Arc<std::sync::atomic::AtomicBool>,
}

/// A webhook receiver: records every request and answers as told.
pub struct Receiver {
    pub port: u16,
    pub inbox: Inbox,
}

impl Receiver {
    pub async fn start() -> Receiver {
        Receiver::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> Receiver {
        let inbox = Inbox::default();
        let data = web::Data::new(inbox.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", port))
        .expect("the receiver binds")
        .run();
        tokio::spawn(server);
        Receiver { port, inbox }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/anaf", self.port)
    }

    pub fn answer(&self, statuses: &[u16]) {
        self.inbox.answers.lock().unwrap().extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.received.lock().unwrap().clone()
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, inbox: web::Data<Inbox>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    inbox.received.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if inbox.slow.load(std::sync::atomic::Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(11)).await;
    }
    let status = inbox.answers.lock().unwrap().pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        // A redirect names a place that would answer 200: the portal must not go there.
        .insert_header(("location", "/hooks/elsewhere"))
        .body(format!("receiver answered {status}"))
}

/// Checks every message with the Standard Webhooks reference library (Python, from PyPI), and
/// that a tampered body fails. False (after saying SKIPPED) when the library is not installed.
pub fn verified_by_reference_library(secret: &str, messages: &[Received]) -> bool {
    const SCRIPT: &str = r#"
import json, sys
try:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError
except ImportError as error:
    print(error)
    sys.exit(3)
data = json.load(sys.stdin)
hook = Webhook(data["secret"])
for m in data["messages"]:
    headers = {"webhook-id": m["id"], "webhook-timestamp": m["timestamp"],
               "webhook-signature": m["signature"]}
    payload = hook.verify(m["body"], headers)
    assert payload == json.loads(m["body"]), "verify returns the payload"
    try:
        hook.verify(m["body"] + " ", headers)
        sys.exit("a tampered body verified")
    except WebhookVerificationError:
        pass
print("verified", len(data["messages"]))
"#;
    let python = std::env::var("ANAF_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut command = std::process::Command::new(&python);
    command.arg("-c").arg(SCRIPT);
    if let Ok(path) = std::env::var("ANAF_TEST_PYTHONPATH") {
        command.env("PYTHONPATH", path);
    }
    let input = json!({
        "secret": secret,
        "messages": messages.iter().map(|m| json!({
            "id": m.id, "timestamp": m.timestamp, "signature": m.signature, "body": m.body,
        })).collect::<Vec<_>>(),
    });
    let mut child = match command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            skip_unless_required(
                "ANAF_PORTAL_WEBHOOK_TESTS",
                &format!("webhook signatures not verified: {python} cannot run ({e})"),
            );
            return false;
        }
    };
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.to_string().as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    if output.status.code() == Some(3) {
        skip_unless_required(
            "ANAF_PORTAL_WEBHOOK_TESTS",
            &format!(
                "webhook signatures not verified: the standardwebhooks package cannot be imported \
                 by {python} (set ANAF_TEST_PYTHON / ANAF_TEST_PYTHONPATH): {}",
                String::from_utf8_lossy(&output.stdout).trim()
            ),
        );
        return false;
    }
    assert!(
        output.status.success(),
        "the reference library refused a signature: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

/// The text of the `<textarea id="{id}">` on a page (askama escapes what HTML needs).
fn textarea(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\" class=\"secret\" rows=\"2\" readonly>");
    let start = html.find(&marker).expect("the secret is shown") + marker.len();
    let end = html[start..].find('<').expect("closing tag");
    html[start..start + end]
        .trim()
        .replace("&#43;", "+")
        .replace("&#x2b;", "+")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&#x3d;", "=")
        .replace("&amp;", "&")
}

impl TestApp {
    /// Registers an endpoint on the company's webhooks page; returns the page's answer.
    pub async fn register_endpoint(
        &self,
        company: i64,
        url: &str,
        events: &[&str],
    ) -> reqwest::Response {
        let page = format!("/companies/{company}/webhooks");
        let mut fields = vec![("url", url), ("description", "ERP")];
        fields.extend(events.iter().map(|e| ("events", *e)));
        self.post_form(&page, &page, &fields).await
    }

    /// Registers an endpoint for every event; (its id, its secret).
    pub async fn endpoint_for_all_events(&self, company: i64, url: &str) -> (i64, String) {
        let response = self.register_endpoint(company, url, &ALL_EVENTS).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        let secret = textarea(&html, "new-webhook-secret");
        assert!(secret.starts_with("whsec_"), "{secret}");
        let id = endpoint_ids(self, company)
            .await
            .into_iter()
            .max()
            .expect("an endpoint");
        // Shown once: the page does not show it again.
        let again = self
            .get_html(&format!("/companies/{company}/webhooks"))
            .await;
        assert!(!again.contains(&secret) && !again.contains("new-webhook-secret"));
        (id, secret)
    }
}

pub async fn endpoint_ids(app: &TestApp, company: i64) -> Vec<i64> {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        webhook_endpoints::table
            .filter(webhook_endpoints::company_id.eq(company))
            .select(webhook_endpoints::id)
            .load::<i64>(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap()
}

/// Every event the webhooks carry, as stored: (id, kind).
pub async fn webhook_events(app: &TestApp) -> Vec<(i64, String)> {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        events::table
            .filter(events::kind.ne("webhook.disabled"))
            .order(events::id)
            .select((events::id, events::kind))
            .load::<(i64, String)>(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap()
}

/// Each event delivered once, in the receiver's order; panics on a repeat.
pub fn assert_once_each(received: &[Received], events: &[(i64, String)]) {
    let mut ids: Vec<&str> = received.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(
        ids.len(),
        before,
        "a message was delivered twice: {received:#?}"
    );
    let mut expected: Vec<String> = events.iter().map(|(id, _)| format!("evt_{id}")).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected, "one delivery per event");
}
