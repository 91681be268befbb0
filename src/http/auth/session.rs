//! A typed view of the session: who is logged in, the CSRF token and flash messages.

use std::future::{Ready, ready};

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};

use crate::http::auth::session_store::{
    CLIENT_AGENT_KEY, CLIENT_IP_KEY, DATABASE_UNAVAILABLE_KEY, PUBLIC_ID_KEY, USER_ID_KEY,
};
use crate::http::error::AppError;
use crate::secrets::random_token;

const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlashLevel {
    Success,
    Info,
    Error,
}

impl FlashLevel {
    pub fn css_class(self) -> &'static str {
        match self {
            FlashLevel::Success => "flash flash-success",
            FlashLevel::Info => "flash flash-info",
            FlashLevel::Error => "flash flash-error",
        }
    }
}

/// A one-time message shown on the next page, already in the reader's language.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub level: FlashLevel,
    pub text: String,
}

/// The session, and the request it came with (a login records the client's browser and
/// address with the new session).
pub struct PortalSession(Session, HttpRequest);

impl PortalSession {
    pub fn of(req: &HttpRequest) -> PortalSession {
        PortalSession(req.get_session(), req.clone())
    }

    /// The public id of this session as the sessions page shows it (`None` before the session
    /// was first stored).
    pub fn public_id(&self) -> Option<String> {
        self.0.get::<String>(PUBLIC_ID_KEY).ok().flatten()
    }

    /// The session could not be read: the database is unreachable (see `DbSessionStore::load`).
    pub fn database_unavailable(&self) -> bool {
        self.0.contains_key(DATABASE_UNAVAILABLE_KEY)
    }

    /// `Err(DatabaseUnavailable)` when the session could not be read.
    pub fn check_available(&self) -> Result<(), AppError> {
        if self.database_unavailable() {
            Err(AppError::DatabaseUnavailable)
        } else {
            Ok(())
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.0.get::<i64>(USER_ID_KEY).ok().flatten()
    }

    /// Starts an authenticated session under a new id (no session fixation) with a new CSRF token.
    pub fn log_in(&self, user_id: i64) -> Result<(), AppError> {
        let flashes = self.take_flashes();
        self.0.renew();
        self.0.clear();
        self.0
            .insert(USER_ID_KEY, user_id)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session insert: {e}")))?;
        self.0
            .insert(CSRF_KEY, random_token(32))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session insert: {e}")))?;
        // Kept in the session's own columns when it is stored (see `DbSessionStore::save`).
        let agent = self
            .1
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(agent) = agent {
            let _ = self.0.insert(CLIENT_AGENT_KEY, agent);
        }
        if let Some(state) = self
            .1
            .app_data::<actix_web::web::Data<crate::http::state::AppState>>()
        {
            let _ = self.0.insert(CLIENT_IP_KEY, state.client_ip(&self.1));
        }
        for flash in flashes {
            self.flash(flash.level, flash.text);
        }
        Ok(())
    }

    /// Ends the session: its row is deleted and the cookie removed.
    pub fn log_out(&self) {
        self.0.purge();
    }

    /// The session's CSRF token, created on first use (also for anonymous visitors' forms).
    pub fn csrf_token(&self) -> String {
        if let Ok(Some(token)) = self.0.get::<String>(CSRF_KEY) {
            return token;
        }
        let token = random_token(32);
        // Serialising a String cannot fail.
        let _ = self.0.insert(CSRF_KEY, &token);
        token
    }

    /// The stored token without creating one (a session without a token never passes the check).
    pub fn existing_csrf_token(&self) -> Option<String> {
        self.0.get::<String>(CSRF_KEY).ok().flatten()
    }

    /// Keeps `value` in the session under `key` (a page's state that must survive a redirect).
    pub fn insert(&self, key: &str, value: &impl Serialize) -> Result<(), AppError> {
        self.0
            .insert(key, value)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session insert: {e}")))
    }

    /// What `insert` kept under `key`, if it is there and readable.
    pub fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.0.get(key).ok().flatten()
    }

    /// What `insert` kept under `key`, removed (a result shown once).
    pub fn take<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        if !self.0.contains_key(key) {
            return None;
        }
        self.0.remove_as::<T>(key).and_then(Result::ok)
    }

    pub fn flash(&self, level: FlashLevel, text: impl Into<String>) {
        let mut flashes: Vec<Flash> = self.0.get(FLASH_KEY).ok().flatten().unwrap_or_default();
        flashes.push(Flash {
            level,
            text: text.into(),
        });
        let _ = self.0.insert(FLASH_KEY, flashes);
    }

    pub fn take_flashes(&self) -> Vec<Flash> {
        if !self.0.contains_key(FLASH_KEY) {
            return Vec::new();
        }
        self.0
            .remove_as::<Vec<Flash>>(FLASH_KEY)
            .and_then(Result::ok)
            .unwrap_or_default()
    }
}

impl FromRequest for PortalSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(PortalSession::of(req)))
    }
}
