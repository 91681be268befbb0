//! Each user's company list (dashboard and "all my tokens"), kept in memory between requests.
//!
//! Listing a user's companies sorted by soonest expiry means reading every one of them, however
//! small the page. So the whole list is read once and kept, keyed by the user's
//! `listing_version`: database triggers bump it on every change to one of the user's companies,
//! their tokens or the user's memberships, from any instance, and the request reads it with the
//! session. A list is reused only while the version matches, so it is never stale; filtering,
//! counting and paging then happen here, where the status (which depends on the clock) is
//! computed for the moment of the request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::NaiveDateTime;

use crate::db::Db;
use crate::db::models::companies::{self, CompanyQuery, CompanyRow, Search, StatusFilter};
use crate::db::models::users::User;
use crate::error::AppError;
use crate::tokens::TokenStatus;

/// At most this many rows are kept over all users (about 0.5 KB each). A user with more
/// companies than that is listed from the database on every request.
const MAX_CACHED_ROWS: usize = 20_000;

/// A user's companies, soonest-expiring token first, companies without a token last.
pub struct Listing {
    rows: Vec<CompanyRow>,
    /// How many rows have a token: they come first (see `companies::listing`'s order).
    with_token: usize,
    /// Each row's company name in lower case, for searches (made once, not per request).
    names_lowercase: Vec<Option<String>>,
}

impl Listing {
    fn new(rows: Vec<CompanyRow>) -> Listing {
        let names_lowercase = rows
            .iter()
            .map(|row| row.company.name.as_deref().map(str::to_lowercase))
            .collect();
        Listing {
            with_token: rows.iter().take_while(|row| row.token.is_some()).count(),
            rows,
            names_lowercase,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows `query` selects (search, status, tokens only), and how many there are in all,
    /// with `offset` and `limit` applied to the first.
    pub fn select(&self, query: &CompanyQuery, at: NaiveDateTime) -> (Vec<&CompanyRow>, i64) {
        let search = query.search.as_deref().and_then(Search::parse);
        let status = query.status.map(StatusFilter::code);
        let offset = usize::try_from(query.offset).unwrap_or(0);
        let limit = usize::try_from(query.limit).unwrap_or(0);
        if search.is_none() && status.is_none() {
            // Unfiltered: the page is a slice.
            let rows = if query.with_token_only {
                &self.rows[..self.with_token]
            } else {
                &self.rows[..]
            };
            let page = rows.iter().skip(offset).take(limit).collect();
            return (page, i64::try_from(rows.len()).unwrap_or(i64::MAX));
        }
        let wanted_range = offset..offset.saturating_add(limit);
        let mut total = 0;
        let mut page = Vec::new();
        for (row, name) in self.rows.iter().zip(&self.names_lowercase) {
            let wanted = (!query.with_token_only || row.token.is_some())
                && search
                    .as_ref()
                    .is_none_or(|s| s.matches(&row.company.cif, name.as_deref()))
                && status.is_none_or(|code| TokenStatus::of(row.token.as_ref(), at).code() == code);
            if wanted {
                if wanted_range.contains(&total) {
                    page.push(row);
                }
                total += 1;
            }
        }
        (page, i64::try_from(total).unwrap_or(i64::MAX))
    }

    /// How many of the rows are in each status.
    pub fn status_counts(&self, at: NaiveDateTime) -> Vec<(StatusFilter, i64)> {
        StatusFilter::count(self.rows.iter().map(|row| row.token.as_ref()), at)
    }
}

#[derive(Default)]
pub struct Listings {
    entries: Mutex<HashMap<i64, Entry>>,
}

struct Entry {
    version: i64,
    rows: Arc<Listing>,
    used: Instant,
}

impl Listings {
    /// The user's list as of `user.listing_version` (read with the session) or newer.
    pub async fn of(&self, db: &Db, user: &User) -> Result<Arc<Listing>, AppError> {
        if let Some(rows) = self.cached(user.id, user.listing_version) {
            return Ok(rows);
        }
        let user_id = user.id;
        let (version, rows) = db
            .run(move |conn| Ok(companies::listing(conn, user_id)?))
            .await?;
        let rows = Arc::new(Listing::new(rows));
        self.keep(user_id, version, rows.clone());
        Ok(rows)
    }

    fn cached(&self, user_id: i64, version: i64) -> Option<Arc<Listing>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get_mut(&user_id)?;
        // A newer entry (kept by a request that started later) is as good: the version only grows.
        if entry.version < version {
            return None;
        }
        entry.used = Instant::now();
        Some(entry.rows.clone())
    }

    fn keep(&self, user_id: i64, version: i64, rows: Arc<Listing>) {
        if rows.len() > MAX_CACHED_ROWS {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.get(&user_id).is_some_and(|e| e.version > version) {
            return;
        }
        entries.insert(
            user_id,
            Entry {
                version,
                rows,
                used: Instant::now(),
            },
        );
        let mut total: usize = entries.values().map(|e| e.rows.len()).sum();
        while total > MAX_CACHED_ROWS {
            let Some((&oldest, _)) = entries.iter().min_by_key(|(_, e)| e.used) else {
                break;
            };
            total -= entries.remove(&oldest).map_or(0, |e| e.rows.len());
        }
    }
}
