//! The client of ANAF's public company registry (`POST {ANAF_REGISTRY_URL}/api/PlatitorTvaRest/v9/tva`,
//! no authentication): a company's name and address from its CIF. At most 100 CIFs per call.
//! Only `denumire` and `adresa` are read. The service is reported to send its JSON answer with
//! HTTP 404 at times: whatever the status, an answer that carries `found` or `notFound` is read.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::domain::Cif;

/// ANAF's limit of CUIs per request.
pub const MAX_PER_CALL: usize = 100;

/// The path of the registry's current version below its base URL.
const PATH: &str = "api/PlatitorTvaRest/v9/tva";

pub use crate::domain::RegistryAnswer;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("ANAF's registry could not be reached")]
    Unreachable,
    #[error("ANAF's registry did not answer in time")]
    Timeout,
    #[error("the connection to ANAF's registry closed before its answer")]
    Dropped,
    #[error("ANAF's registry answered with HTTP {0}")]
    Server(u16),
    #[error("ANAF's registry is limiting requests (HTTP 429)")]
    RateLimited,
    /// A 4xx with a message: the request itself was refused.
    #[error("ANAF's registry refused the request (HTTP {0}): {1}")]
    Refused(u16, String),
    #[error("ANAF's registry's answer could not be understood")]
    Malformed,
}

#[derive(Deserialize)]
struct Body {
    found: Option<Vec<Value>>,
    #[serde(rename = "notFound", alias = "notfound")]
    not_found: Option<Vec<Value>>,
    message: Option<String>,
}

pub struct RegistryClient {
    http: reqwest::Client,
    url: Url,
}

/// A CUI as a number: how ANAF takes it and gives it back (leading zeros do not count).
fn number(cif: &Cif) -> Option<u64> {
    cif.as_str().parse().ok()
}

/// A CUI in an answer: a number, or (some versions) a string of digits.
fn cui_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl RegistryClient {
    /// `base` is the registry's server (`https://webservicesp.anaf.ro`, or the simulator's base).
    pub fn new(base: &Url, timeout: Duration) -> anyhow::Result<RegistryClient> {
        let mut url = base.clone();
        let path = format!("{}/{PATH}", base.path().trim_end_matches('/'));
        url.set_path(&path);
        Ok(RegistryClient {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("anaf-portal/", env!("CARGO_PKG_VERSION")))
                .build()?,
            url,
        })
    }

    /// Asks about `cifs` (at most `MAX_PER_CALL`) as of `date`. Every CIF ANAF mentions gets its
    /// answer; one it left out is missing from the map (ask again later).
    pub async fn look_up(
        &self,
        cifs: &[Cif],
        date: NaiveDate,
    ) -> Result<HashMap<Cif, RegistryAnswer>, RegistryError> {
        debug_assert!(cifs.len() <= MAX_PER_CALL);
        let day = date.format("%Y-%m-%d").to_string();
        // Two spellings of one number ("018547290", "18547290") share ANAF's answer.
        let mut by_number: HashMap<u64, Vec<&Cif>> = HashMap::new();
        for cif in cifs {
            if let Some(n) = number(cif) {
                by_number.entry(n).or_default().push(cif);
            }
        }
        let request: Vec<Value> = by_number
            .keys()
            .map(|cui| serde_json::json!({ "cui": cui, "data": day }))
            .collect();
        let sent = self.http.post(self.url.clone()).json(&request).send().await;
        crate::metrics::anaf_call("registry", sent.as_ref().ok().map(|r| r.status().as_u16()));
        let response = sent.map_err(|e| {
            if e.is_connect() {
                RegistryError::Unreachable
            } else if e.is_timeout() {
                RegistryError::Timeout
            } else {
                RegistryError::Dropped
            }
        })?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                RegistryError::Timeout
            } else {
                RegistryError::Dropped
            }
        })?;
        let body: Option<Body> = serde_json::from_slice(&bytes).ok();
        let (found, not_found) = match body {
            Some(Body {
                found,
                not_found,
                message,
            }) if found.is_none() && not_found.is_none() => {
                return Err(match status {
                    429 => RegistryError::RateLimited,
                    400..=499 => RegistryError::Refused(
                        status,
                        message.unwrap_or_default().chars().take(200).collect(),
                    ),
                    500.. => RegistryError::Server(status),
                    _ => RegistryError::Malformed,
                });
            }
            Some(body) => (
                body.found.unwrap_or_default(),
                body.not_found.unwrap_or_default(),
            ),
            None => {
                return Err(match status {
                    429 => RegistryError::RateLimited,
                    400.. => RegistryError::Server(status),
                    _ => RegistryError::Malformed,
                });
            }
        };
        if status != 200 {
            tracing::debug!(
                status,
                "ANAF's registry answered with a non-200 status and a JSON answer; read as an answer"
            );
        }
        let mut answers = HashMap::new();
        for entry in &found {
            let general = &entry["date_generale"];
            let Some(asked) = cui_of(&general["cui"]).and_then(|n| by_number.get(&n)) else {
                continue;
            };
            let text = |field: &str| {
                general[field]
                    .as_str()
                    .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                    .unwrap_or_default()
            };
            let name: String = text("denumire").chars().take(200).collect();
            let address: String = text("adresa").chars().take(500).collect();
            // A found entry without a name says nothing usable; asked again later.
            if !name.is_empty() {
                for cif in asked {
                    let found = RegistryAnswer::Found {
                        name: name.clone(),
                        address: address.clone(),
                    };
                    answers.insert((*cif).clone(), found);
                }
            }
        }
        for value in &not_found {
            for cif in cui_of(value)
                .and_then(|n| by_number.get(&n))
                .into_iter()
                .flatten()
            {
                answers
                    .entry((*cif).clone())
                    .or_insert(RegistryAnswer::NotFound);
            }
        }
        Ok(answers)
    }
}
