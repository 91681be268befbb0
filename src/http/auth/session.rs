//! A typed view of the session: who is logged in, the CSRF token and flash messages.

use crate::domain::UserId;
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
/// When the person last proved who they are (password, second factor or a fresh sign-in), unix
/// seconds: what gives a secret away asks again after `REAUTH_FRESH_SECS`.
const REAUTH_AT_KEY: &str = "reauth_at";
/// A sign-in whose password was right and whose second factor is still to come.
const PENDING_FACTOR_KEY: &str = "factor_pending";
/// What a person typed into a form that arrived after their session ended: kept through the
/// sign-in so the page can show it again.
pub const DRAFT_KEY: &str = "draft";
/// A form held back until the person re-authenticates (`step_up`).
pub const STEP_UP_KEY: &str = "step_up";

/// How long a re-authentication (or a sign-in) counts for what gives a secret away.
pub const REAUTH_FRESH_SECS: i64 = 10 * 60;
/// How long the second-factor step of a sign-in waits.
pub const FACTOR_PENDING_SECS: i64 = 5 * 60;

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingFactor {
    pub user_id: UserId,
    /// Unix seconds after which the password must be typed again.
    pub until: i64,
    /// Where the sign-in goes once complete (already checked to be local).
    pub next: String,
}

/// A form's fields, kept in the session (never in a URL).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HeldForm {
    /// The path the form was posted to.
    pub path: String,
    /// Its fields but the CSRF token, in order.
    pub fields: Vec<(String, String)>,
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

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

/// The session, and the client it came from (a login records the browser and address with the
/// new session). Not the request itself: a clone of it held across a middleware's call would
/// stop the router from writing the path's parameters.
pub struct PortalSession(Session, Client);

/// The browser (its `User-Agent`) and address of the request.
struct Client {
    agent: Option<String>,
    ip: Option<String>,
}

impl PortalSession {
    pub fn of(req: &HttpRequest) -> PortalSession {
        let agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let ip = req
            .app_data::<actix_web::web::Data<crate::http::state::AppState>>()
            .map(|state| state.client_ip(req));
        PortalSession(req.get_session(), Client { agent, ip })
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

    pub fn user_id(&self) -> Option<UserId> {
        self.0.get::<UserId>(USER_ID_KEY).ok().flatten()
    }

    /// Starts an authenticated session under a new id (no session fixation) with a new CSRF
    /// token. A sign-in counts as a re-authentication.
    pub fn log_in(&self, user_id: UserId) -> Result<(), AppError> {
        self.restart(|session| {
            session.insert(USER_ID_KEY, user_id)?;
            session.insert(REAUTH_AT_KEY, unix_now())
        })
    }

    /// The password was right; the second factor is to come. The session is renewed but holds
    /// no user: nothing needing a login opens until `log_in`.
    pub fn begin_second_factor(&self, user_id: UserId, next: &str) -> Result<(), AppError> {
        let pending = PendingFactor {
            user_id,
            until: unix_now() + FACTOR_PENDING_SECS,
            next: next.to_owned(),
        };
        self.restart(|session| session.insert(PENDING_FACTOR_KEY, &pending))
    }

    /// The sign-in waiting for its second factor, unless it waited too long.
    pub fn pending_factor(&self) -> Option<PendingFactor> {
        self.get::<PendingFactor>(PENDING_FACTOR_KEY)
            .filter(|p| p.until > unix_now())
    }

    /// Renews the session (a new id, a new CSRF token), keeping only the flashes and a draft.
    fn restart(
        &self,
        fill: impl FnOnce(&Session) -> Result<(), actix_session::SessionInsertError>,
    ) -> Result<(), AppError> {
        let flashes = self.take_flashes();
        let draft: Option<HeldForm> = self.get(DRAFT_KEY);
        self.0.renew();
        self.0.clear();
        let insert = |session: &Session| -> Result<(), actix_session::SessionInsertError> {
            session.insert(CSRF_KEY, random_token(32))?;
            if let Some(draft) = &draft {
                session.insert(DRAFT_KEY, draft)?;
            }
            fill(session)
        };
        insert(&self.0).map_err(|e| AppError::Internal(anyhow::anyhow!("session insert: {e}")))?;
        // Kept in the session's own columns when it is stored (see `DbSessionStore::save`).
        if let Some(agent) = &self.1.agent {
            let _ = self.0.insert(CLIENT_AGENT_KEY, agent);
        }
        if let Some(ip) = &self.1.ip {
            let _ = self.0.insert(CLIENT_IP_KEY, ip);
        }
        for flash in flashes {
            self.flash(flash.level, flash.text);
        }
        Ok(())
    }

    /// The person just proved who they are again.
    pub fn mark_reauthenticated(&self) -> Result<(), AppError> {
        self.insert(REAUTH_AT_KEY, &unix_now())
    }

    /// Whether the last proof (or sign-in) is recent enough for what gives a secret away.
    pub fn reauth_fresh(&self) -> bool {
        self.get::<i64>(REAUTH_AT_KEY)
            .is_some_and(|at| unix_now() - at < REAUTH_FRESH_SECS)
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
