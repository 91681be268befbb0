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
    search: SearchIndex,
}

impl Listing {
    fn new(rows: Vec<CompanyRow>) -> Listing {
        Listing {
            with_token: rows.iter().take_while(|row| row.token.is_some()).count(),
            search: SearchIndex::new(&rows),
            rows,
        }
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
        let found = search.map(|search| self.search.matching(&search));
        let wanted_range = offset..offset.saturating_add(limit);
        let mut total = 0;
        let mut page = Vec::new();
        for (index, row) in self.rows.iter().enumerate() {
            let wanted = (!query.with_token_only || row.token.is_some())
                && found.as_ref().is_none_or(|found| found[index])
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
    listing: Arc<Listing>,
    used: Instant,
}

impl Listings {
    /// The user's list as of `user.listing_version` (read with the session) or newer.
    pub async fn of(&self, db: &Db, user: &User) -> Result<Arc<Listing>, AppError> {
        if let Some(rows) = self.cached(user.id, user.listing_version) {
            return Ok(rows);
        }
        let user_id = user.id;
        // Built on the blocking pool too: lower-casing and joining thousands of names is work the
        // async workers should not do.
        let (version, listing) = db
            .run(move |conn| {
                let (version, rows) = companies::listing(conn, user_id)?;
                Ok((version, Arc::new(Listing::new(rows))))
            })
            .await?;
        self.keep(user_id, version, listing.clone());
        Ok(listing)
    }

    fn cached(&self, user_id: i64, version: i64) -> Option<Arc<Listing>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get_mut(&user_id)?;
        // A newer entry (kept by a request that started later) is as good: the version only grows.
        if entry.version < version {
            return None;
        }
        entry.used = Instant::now();
        Some(entry.listing.clone())
    }

    fn keep(&self, user_id: i64, version: i64, listing: Arc<Listing>) {
        if listing.rows.len() > MAX_CACHED_ROWS {
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
                listing,
                used: Instant::now(),
            },
        );
        let mut total: usize = entries.values().map(|e| e.listing.rows.len()).sum();
        while total > MAX_CACHED_ROWS {
            let Some((&oldest, _)) = entries.iter().min_by_key(|(_, e)| e.used) else {
                break;
            };
            total -= entries.remove(&oldest).map_or(0, |e| e.listing.rows.len());
        }
    }
}

/// The rows' CIFs and lower-cased names, each joined into one string with a NUL before every
/// row, so that a search is one SIMD substring scan per column instead of one per row.
struct SearchIndex {
    cifs: String,
    cif_starts: Vec<usize>,
    names: String,
    name_starts: Vec<usize>,
}

const SEPARATOR: char = '\0';

impl SearchIndex {
    fn new(rows: &[CompanyRow]) -> SearchIndex {
        let mut index = SearchIndex {
            cifs: String::new(),
            cif_starts: Vec::with_capacity(rows.len()),
            names: String::new(),
            name_starts: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            index.cifs.push(SEPARATOR);
            index.cif_starts.push(index.cifs.len());
            index.cifs.push_str(&row.company.cif);
            index.names.push(SEPARATOR);
            index.name_starts.push(index.names.len());
            if let Some(name) = &row.company.name {
                index
                    .names
                    .extend(name.to_lowercase().chars().filter(|c| *c != SEPARATOR));
            }
        }
        index
    }

    /// For each row, whether `search` matches it (see `Search`).
    fn matching(&self, search: &Search) -> Vec<bool> {
        let mut found = vec![false; self.cif_starts.len()];
        if search.cif_prefix.is_empty() {
            found.fill(true);
            return found;
        }
        // A CIF starts right after a separator; neither needle can span two rows, as neither
        // holds a separator.
        let cif_needle = format!("{SEPARATOR}{}", search.cif_prefix);
        mark(&mut found, &self.cifs, &cif_needle, &self.cif_starts);
        if !search.name_part.contains(SEPARATOR) {
            mark(
                &mut found,
                &self.names,
                &search.name_part,
                &self.name_starts,
            );
        }
        found
    }
}

/// Marks the row of every occurrence of `needle` in `haystack`.
fn mark(found: &mut [bool], haystack: &str, needle: &str, starts: &[usize]) {
    // Matches come in order, so the row only moves forward.
    let mut row = 0;
    for at in memchr::memmem::find_iter(haystack.as_bytes(), needle.as_bytes()) {
        // The row whose text (or the separator just before it) holds the match.
        while starts.get(row + 1).is_some_and(|next| *next <= at + 1) {
            row += 1;
        }
        if let Some(slot) = found.get_mut(row) {
            *slot = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::companies::{Company, MemberRole};
    use crate::db::models::now;

    fn listing(companies: &[(&str, Option<&str>)]) -> Listing {
        Listing::new(
            companies
                .iter()
                .enumerate()
                .map(|(id, (cif, name))| CompanyRow {
                    company: Company {
                        id: i64::try_from(id).unwrap_or_default(),
                        cif: (*cif).to_owned(),
                        name: name.map(str::to_owned),
                        created_at: now(),
                    },
                    role: MemberRole::Admin,
                    token: None,
                })
                .collect(),
        )
    }

    fn cifs_found(listing: &Listing, search: &str) -> Vec<String> {
        let query = CompanyQuery {
            search: Some(search.to_owned()),
            limit: 100,
            ..CompanyQuery::default()
        };
        let (page, total) = listing.select(&query, now());
        assert_eq!(usize::try_from(total).ok(), Some(page.len()));
        page.iter().map(|row| row.company.cif.clone()).collect()
    }

    #[test]
    fn a_search_matches_the_start_of_the_cif_or_any_part_of_the_name() {
        let companies = listing(&[
            ("18547290", Some("Școala Veche SRL")),
            ("14399840", None),
            ("31854729", Some("Firma 18547")),
            ("10000008", Some("")),
        ]);
        assert_eq!(cifs_found(&companies, "RO 1854"), ["18547290"]);
        assert_eq!(cifs_found(&companies, "1854"), ["18547290", "31854729"]);
        assert_eq!(cifs_found(&companies, "ro14399840"), ["14399840"]);
        assert_eq!(cifs_found(&companies, "ȘCOALA"), ["18547290"]);
        assert_eq!(cifs_found(&companies, "veche srl"), ["18547290"]);
        // Not the middle of a CIF, and never across two rows.
        assert!(cifs_found(&companies, "4729").is_empty());
        assert!(cifs_found(&companies, "srl1").is_empty());
        assert!(cifs_found(&companies, "a\0b").is_empty());
        assert_eq!(cifs_found(&companies, "RO").len(), 4);
    }
}
