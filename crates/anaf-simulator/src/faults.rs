//! Fault injection: make the next N calls of an endpoint slow, failing, dropped or malformed.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::efactura::answers;
use super::state::State;
use super::{RecordedCall, SimEndpoint, Simulator};

/// What an injected fault does to a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Sleep `ms` milliseconds, then answer normally.
    Latency { ms: u64 },
    /// Act on the call at once (a refresh rotates the pair), then hold the answer back `ms`
    /// milliseconds: the answer a client that gives up or dies meanwhile never sees.
    SlowAnswer { ms: u64 },
    /// Sleep long (default 60 000 ms), then answer normally: the client should time out first.
    Timeout {
        #[serde(default = "default_timeout_ms")]
        ms: u64,
    },
    /// Answer with this HTTP status (e.g. 500, 502, 503, 429) and a short non-JSON body; a 429
    /// says `Retry-After: retry_after` (default 60 seconds).
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u32>,
    },
    /// Answer as usual, but with this HTTP status (ANAF's public registry is reported to send
    /// its JSON answer with a 404 at times; a client must still read it).
    StatusWithBody { status: u16 },
    /// Answer with an OAuth error body, `{"error": error}` plus `error_description` only when
    /// one is given (servers send errors without one), with this status (default 400). Nothing
    /// else happens: a code or refresh token is not consumed.
    OauthError {
        #[serde(default = "default_oauth_error_status")]
        status: u16,
        error: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_description: Option<String>,
    },
    /// Close the connection without a valid HTTP response.
    Drop,
    /// HTTP 200 `application/json` with a truncated body.
    MalformedJson,
    /// HTTP 200 with the endpoint's own error shape saying `A aparut o eroare tehnica. Cod: <code>`
    /// (the XML `<Errors>` header on upload and stareMesaj, `eroare` JSON on the lists and
    /// descarcare, a `nok` on validare/transformare). Nothing happens: an upload is not stored.
    EroareTehnica {
        #[serde(default = "default_technical_code")]
        code: String,
    },
    /// HTTP 200 `text/html`: the web firewall's "The requested URL was rejected" page with a
    /// support ID (random digits unless given). Nothing happens.
    FirewallPage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        support_id: Option<String>,
    },
    /// Act on the call (an upload is stored and processed), then close the connection without an
    /// answer: the lost upload answer.
    AnswerDropped,
}

fn default_technical_code() -> String {
    "500".to_string()
}

fn default_timeout_ms() -> u64 {
    60_000
}

fn default_oauth_error_status() -> u16 {
    400
}

fn default_count() -> u32 {
    1
}

/// Body of `POST __sim/faults`: `{"endpoint":"token","count":2,"kind":"status","status":503}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRequest {
    pub endpoint: SimEndpoint,
    /// How many of the next calls get the fault (default 1).
    #[serde(default = "default_count")]
    pub count: u32,
    #[serde(flatten)]
    pub fault: Fault,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct FaultEntry {
    #[serde(flatten)]
    pub fault: Fault,
    pub remaining: u32,
}

impl Fault {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Fault::Latency { .. } => "latency",
            Fault::SlowAnswer { .. } => "slow_answer",
            Fault::Timeout { .. } => "timeout",
            Fault::Status { .. } => "status",
            Fault::StatusWithBody { .. } => "status_with_body",
            Fault::OauthError { .. } => "oauth_error",
            Fault::Drop => "drop",
            Fault::MalformedJson => "malformed_json",
            Fault::EroareTehnica { .. } => "eroare_tehnica",
            Fault::FirewallPage { .. } => "firewall_page",
            Fault::AnswerDropped => "answer_dropped",
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        match self {
            Fault::Status { status, .. } if !(400..=599).contains(status) => {
                Err(format!("status must be between 400 and 599, got {status}"))
            }
            Fault::StatusWithBody { status } if !(200..=599).contains(status) => {
                Err(format!("status must be between 200 and 599, got {status}"))
            }
            Fault::OauthError { status, .. } if !(400..=599).contains(status) => {
                Err(format!("status must be between 400 and 599, got {status}"))
            }
            Fault::OauthError { error, .. } if error.trim().is_empty() => {
                Err("error must not be empty".to_string())
            }
            Fault::Latency { ms } | Fault::Timeout { ms } if *ms > 600_000 => {
                Err("ms must be at most 600000".to_string())
            }
            Fault::EroareTehnica { code }
                if code.is_empty()
                    || code.len() > 32
                    || !code.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Err("code must be 1 to 32 letters or digits".to_string())
            }
            Fault::FirewallPage {
                support_id: Some(id),
            } if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) => {
                Err("support_id must be 1 to 32 digits".to_string())
            }
            _ => Ok(()),
        }
    }
}

pub(crate) fn take_fault(st: &mut State, endpoint: SimEndpoint) -> Option<Fault> {
    let queue = st.faults.get_mut(&endpoint)?;
    let entry = queue.front_mut()?;
    let fault = entry.fault.clone();
    entry.remaining = entry.remaining.saturating_sub(1);
    if entry.remaining == 0 {
        queue.pop_front();
    }
    Some(fault)
}

/// Records the call, applies the next queued fault of its endpoint (if any) and otherwise answers
/// with `logic`. The business logic is synchronous: it takes the state lock itself and never holds
/// it across an `.await`.
pub(crate) async fn handle(
    sim: &Simulator,
    mut call: RecordedCall,
    logic: impl FnOnce(&Simulator) -> HttpResponse,
) -> HttpResponse {
    let endpoint = call.endpoint;
    let (fault, seq) = {
        let mut st = sim.lock();
        let fault = take_fault(&mut st, call.endpoint);
        call.fault = fault.as_ref().map(|f| f.name().to_string());
        call.at = st.now().to_rfc3339();
        st.record_call(call);
        (fault, st.next_call_seq - 1)
    };
    if let Some(fault) = &fault {
        tracing::debug!(fault = fault.name(), seq, "ANAF simulator: injecting fault");
    }
    let dropped = matches!(fault, Some(Fault::Drop | Fault::AnswerDropped));
    let response = match fault {
        None => logic(sim),
        Some(Fault::Latency { ms }) | Some(Fault::Timeout { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            logic(sim)
        }
        Some(Fault::SlowAnswer { ms }) => {
            let answer = logic(sim);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            answer
        }
        Some(Fault::Status {
            status,
            retry_after,
        }) => status_response(status, retry_after.unwrap_or(60)),
        Some(Fault::StatusWithBody { status }) => {
            let mut answer = logic(sim);
            answer.head_mut().status =
                StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
            answer
        }
        Some(Fault::OauthError {
            status,
            error,
            error_description,
        }) => oauth_error_response(status, &error, error_description.as_deref()),
        Some(Fault::Drop) => dropped_connection(),
        Some(Fault::AnswerDropped) => {
            // The call takes effect; only its answer is lost.
            drop(logic(sim));
            dropped_connection()
        }
        Some(Fault::EroareTehnica { code }) => {
            let now = sim.lock().now();
            answers::technical_error(endpoint, &code, now)
        }
        Some(Fault::FirewallPage { support_id }) => {
            answers::firewall_page(&support_id.unwrap_or_else(answers::random_support_id))
        }
        Some(Fault::MalformedJson) => HttpResponse::Ok()
            .content_type("application/json")
            .body(r#"{"access_token":"eyJhbGciOiJSUzUxMiIsImtpZCI6ImFuYWZfc2ltXzIwMjYifQ.eyJ0b2tlbl90eXBlIjoiQmVhcmVyIi"#),
    };
    let status = if dropped {
        None
    } else {
        Some(response.status().as_u16())
    };
    let mut st = sim.lock();
    if let Some(c) = st.calls.iter_mut().rev().find(|c| c.seq == seq) {
        c.status = status;
    }
    response
}

fn status_response(status: u16, retry_after: u32) -> HttpResponse {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = code.canonical_reason().unwrap_or("Error");
    let mut builder = HttpResponse::build(code);
    if code == StatusCode::TOO_MANY_REQUESTS {
        builder.insert_header(("Retry-After", retry_after.to_string()));
    }
    builder.content_type("text/html; charset=utf-8").body(format!(
        "<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>"
    ))
}

fn oauth_error_response(status: u16, error: &str, description: Option<&str>) -> HttpResponse {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut body = serde_json::json!({ "error": error });
    if let Some(description) = description {
        body["error_description"] = description.into();
    }
    HttpResponse::build(code)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// A response whose streaming body fails immediately: actix aborts the connection, so the client
/// sees no valid HTTP response.
fn dropped_connection() -> HttpResponse {
    let stream = futures_util::stream::once(async {
        Err::<web::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "ANAF simulator: injected dropped connection",
        ))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(stream)
}
