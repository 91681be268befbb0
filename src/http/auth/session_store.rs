//! actix-session's `SessionStore` over our database, so logging out really ends a session, several
//! instances share sessions, and disabling a user can delete all of theirs.

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{NaiveDateTime, TimeDelta};

use crate::db::Db;
use crate::db::models::{now, sessions};
use crate::domain::UserId;
use crate::secrets::{random_token, sha256_hex};

/// The key under which the session state records who is logged in.
pub const USER_ID_KEY: &str = "user_id";

/// Set (never stored) when the session could not be read because the database is unreachable:
/// the request then ends in the branded 503 page (`PortalSession::database_unavailable`) instead
/// of the session middleware's bare 500.
pub const DATABASE_UNAVAILABLE_KEY: &str = "\u{0}database_unavailable";

/// Set on every loaded session (never stored): the public id its owner's sessions page shows
/// for it (`sessions::public_id`), so a handler can tell the current session from the others.
pub const PUBLIC_ID_KEY: &str = "\u{0}session_public_id";

/// Set by a login until the session is saved under its new key, which stores them in their own
/// columns (never in the state): the browser and address the session was started from.
pub const CLIENT_AGENT_KEY: &str = "\u{0}client_agent";
pub const CLIENT_IP_KEY: &str = "\u{0}client_ip";

/// A value as actix-session keeps it (JSON), read back as a string.
fn json_string(state: &HashMap<String, String>, key: &str) -> Option<String> {
    state
        .get(key)
        .and_then(|raw| serde_json::from_str::<String>(raw).ok())
}

/// The state as stored: never the outage marker, the public id or the client's details.
fn persisted(mut state: HashMap<String, String>) -> HashMap<String, String> {
    for key in [
        DATABASE_UNAVAILABLE_KEY,
        PUBLIC_ID_KEY,
        CLIENT_AGENT_KEY,
        CLIENT_IP_KEY,
    ] {
        state.remove(key);
    }
    state
}

/// The longest User-Agent kept: enough to name a browser, not a place to store a novel.
const MAX_AGENT_CHARS: usize = 300;

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    absolute_timeout: Duration,
    idle_timeout: Duration,
}

impl DbSessionStore {
    pub fn new(db: Db, absolute_timeout: Duration, idle_timeout: Duration) -> Self {
        DbSessionStore {
            db,
            absolute_timeout,
            idle_timeout,
        }
    }
}

/// How stale the idle deadline may get before a request pushes it out again: a tenth of the
/// timeout, at most a minute (one write per active minute instead of one per request).
fn extension_slack(idle: TimeDelta) -> TimeDelta {
    (idle / 10).min(TimeDelta::minutes(1))
}

fn after(start: NaiveDateTime, ttl: &CookieDuration) -> NaiveDateTime {
    start + TimeDelta::milliseconds(ttl.whole_milliseconds().try_into().unwrap_or(i64::MAX / 2))
}

fn user_id_of(state: &HashMap<String, String>) -> Option<UserId> {
    state.get(USER_ID_KEY).and_then(|v| v.parse().ok())
}

fn to_chrono(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

impl SessionStore for DbSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        let id = sha256_hex(session_key.as_ref());
        let absolute = to_chrono(self.absolute_timeout);
        let idle = to_chrono(self.idle_timeout);
        let public_id = sessions::public_id(&id);
        // The session and (at most once a minute) its idle deadline pushed out and its last use
        // recorded: the middleware's own per-request TTL update is off (`OnStateChanges`).
        let live = self
            .db
            .run(move |conn| {
                let at = now();
                let Some(live) = sessions::load_live(
                    conn,
                    &id,
                    at,
                    at.checked_sub_signed(absolute)
                        .unwrap_or(NaiveDateTime::MIN),
                )?
                else {
                    return Ok(None);
                };
                let deadline = at + idle;
                if live.expires_at < deadline - extension_slack(idle) {
                    sessions::touch(conn, &id, deadline, at)?;
                }
                Ok(Some(live))
            })
            .await;
        let live = match live {
            Ok(live) => live,
            Err(e) if crate::db::is_unavailable(&e) => {
                tracing::error!(error = %e, "sessions cannot be read: the database is unavailable");
                let marker =
                    HashMap::from([(DATABASE_UNAVAILABLE_KEY.to_owned(), "true".to_owned())]);
                return Ok(Some(marker));
            }
            Err(e) => return Err(LoadError::Other(e)),
        };
        let Some(live) = live else {
            return Ok(None);
        };
        let mut state: HashMap<String, String> =
            serde_json::from_str(&live.state).map_err(|e| LoadError::Deserialization(e.into()))?;
        let public_id =
            serde_json::to_string(&public_id).map_err(|e| LoadError::Deserialization(e.into()))?;
        state.insert(PUBLIC_ID_KEY.to_owned(), public_id);
        Ok(Some(state))
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let user_agent = json_string(&session_state, CLIENT_AGENT_KEY)
            .map(|agent| agent.chars().take(MAX_AGENT_CHARS).collect::<String>());
        let ip = json_string(&session_state, CLIENT_IP_KEY);
        let session_state = persisted(session_state);
        let json = serde_json::to_string(&session_state)
            .map_err(|e| SaveError::Serialization(e.into()))?;
        let key = random_token(32);
        let id = sha256_hex(&key);
        let ttl = *ttl;
        let user_id = user_id_of(&session_state);
        self.db
            .run(move |conn| {
                let at = now();
                sessions::insert(
                    conn,
                    &sessions::NewSession {
                        id: &id,
                        user_id,
                        state: &json,
                        created_at: at,
                        expires_at: after(at, &ttl),
                        user_agent: user_agent.as_deref(),
                        ip: ip.as_deref(),
                        last_seen_at: at,
                    },
                )?;
                Ok(())
            })
            .await
            .map_err(SaveError::Other)?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let session_state = persisted(session_state);
        let json = serde_json::to_string(&session_state)
            .map_err(|e| UpdateError::Serialization(e.into()))?;
        let id = sha256_hex(session_key.as_ref());
        let ttl_copy = *ttl;
        let user_id = user_id_of(&session_state);
        let updated = self
            .db
            .run(move |conn| {
                Ok(sessions::update_state(
                    conn,
                    &id,
                    user_id,
                    &json,
                    after(now(), &ttl_copy),
                )?)
            })
            .await
            .map_err(UpdateError::Other)?;
        if updated == 0 {
            // Deleted while this request ran (logout in another tab, the user disabled, an admin
            // ending the session): the deletion wins. Nothing is stored, so the cookie names a
            // session that no longer exists and the next request is logged out.
            tracing::info!("a request ended after its session was deleted; not stored again");
        }
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        let id = sha256_hex(session_key.as_ref());
        let ttl = *ttl;
        self.db
            .run(move |conn| {
                sessions::extend(conn, &id, after(now(), &ttl))?;
                Ok(())
            })
            .await
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = sha256_hex(session_key.as_ref());
        self.db
            .run(move |conn| {
                sessions::delete(conn, &id)?;
                Ok(())
            })
            .await
    }
}
