//! The company page's and the support page's one explanation block: does e-Factura work now,
//! why, what to do, by when; with whose certificate and when ANAF last answered. Built from the
//! same facts as the status badge and the attention queue, so that they never disagree.

use chrono::NaiveDateTime;

use crate::domain::{Attention, RefreshState, Rights};
use crate::http::web::views;
use crate::i18n::Catalog;
use crate::services::tokens::queries::TokenMeta;

/// How e-Factura stands for a company, as the block's colour and `data-verdict` say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It works and nothing is needed from a person.
    Works,
    /// It works now, but a person must act by a date.
    WorksUntil,
    /// It does not work; only a person can fix it.
    Broken,
    /// No token: it was never connected.
    NotConnected,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Works => "works",
            Verdict::WorksUntil => "works_until",
            Verdict::Broken => "broken",
            Verdict::NotConnected => "not_connected",
        }
    }

    /// The block's CSS class (the flash colours).
    pub fn class(self) -> &'static str {
        match self {
            Verdict::Works => "diagnosis ok",
            Verdict::WorksUntil => "diagnosis warn",
            Verdict::Broken => "diagnosis bad",
            Verdict::NotConnected => "diagnosis neutral",
        }
    }
}

pub struct DiagnosisView {
    pub verdict: Verdict,
    pub headline: String,
    pub why: String,
    /// ANAF's own words behind `why`, quoted as they came.
    pub anaf_said: Option<String>,
    /// More on the fix, where there is more to say (rights: who grants them, how long it takes).
    pub hint: Option<String>,
    pub todo: String,
    pub by_when: Option<String>,
    /// "IONESCU MARIA (certSIGN Qualified CA)"; none when the token did not say.
    pub certificate: Option<String>,
    pub last_anaf_success: Option<String>,
}

impl DiagnosisView {
    pub fn of(token: Option<&TokenMeta>, now: NaiveDateTime, t: &Catalog) -> DiagnosisView {
        let Some(token) = token else {
            return DiagnosisView {
                verdict: Verdict::NotConnected,
                headline: t.get("diagnosis-not_connected"),
                why: t.get("diagnosis-not_connected-why"),
                anaf_said: None,
                hint: None,
                todo: t.get("diagnosis-not_connected-todo"),
                by_when: None,
                certificate: None,
                last_anaf_success: None,
            };
        };
        let date = |at: NaiveDateTime| t.local_date_time(at);
        let facts = token.facts;
        let attention = Attention::of(&facts, &token.schedule, now);
        let (verdict, why, anaf_said, by_when) = match attention {
            Some(Attention::ReconnectNeeded) => (
                Verdict::Broken,
                t.get("diagnosis-reconnect_needed-why"),
                token.last_error.clone(),
                Some(t.get("diagnosis-now")),
            ),
            Some(Attention::NoRights) => (
                Verdict::Broken,
                t.get("diagnosis-no_rights-why"),
                token.rights_detail.clone(),
                Some(t.get("diagnosis-now")),
            ),
            Some(Attention::Expired) => (
                Verdict::Broken,
                t.format(
                    "diagnosis-expired-why",
                    &[("at", date(token.facts.access_expires_at).into())],
                ),
                None,
                Some(t.get("diagnosis-now")),
            ),
            Some(Attention::RefreshFailing { since }) => (
                Verdict::WorksUntil,
                t.format(
                    "diagnosis-refresh_failing-why",
                    &[
                        ("since", date(since).into()),
                        ("until", date(token.facts.access_expires_at).into()),
                    ],
                ),
                token.last_error.clone(),
                Some(date(token.facts.access_expires_at)),
            ),
            Some(Attention::ReconnectBefore { by }) => (
                Verdict::WorksUntil,
                t.format("diagnosis-reconnect_before-why", &[("by", date(by).into())]),
                None,
                Some(date(by)),
            ),
            None => (Verdict::Works, working_why(token, now, t), None, None),
        };
        DiagnosisView {
            verdict,
            headline: t.get(match verdict {
                Verdict::Works => "diagnosis-works",
                Verdict::WorksUntil => "diagnosis-works_until",
                Verdict::Broken | Verdict::NotConnected => "diagnosis-broken",
            }),
            why,
            anaf_said: anaf_said.map(|text| views::anaf_said(text, t)),
            hint: (attention == Some(Attention::NoRights))
                .then(|| t.get("company-no_rights_explained")),
            todo: match attention {
                Some(attention) => t.get(&format!("attention-{}-todo", attention.slug())),
                None => t.get("diagnosis-nothing_to_do"),
            },
            by_when,
            certificate: certificate(token),
            last_anaf_success: last_anaf_success(token).map(date),
        }
    }
}

/// Why a working token works: until when, and what the refresh engine will do (or that the
/// rights are still being checked).
fn working_why(token: &TokenMeta, now: NaiveDateTime, t: &Catalog) -> String {
    let until = t.local_date_time(token.facts.access_expires_at);
    let mut why = match RefreshState::of(&token.facts, &token.schedule, now) {
        RefreshState::Scheduled { due } => t.format(
            "diagnosis-works-why",
            &[
                ("until", until.into()),
                ("due", t.local_date_time(due).into()),
            ],
        ),
        _ => t.format("diagnosis-works-why_plain", &[("until", until.into())]),
    };
    if token.facts.rights == Rights::Unknown {
        why.push(' ');
        why.push_str(&t.get("diagnosis-rights_unknown"));
    }
    why
}

fn certificate(token: &TokenMeta) -> Option<String> {
    let holder = token.certificate_holder.as_deref();
    let issuer = token.certificate_issuer.as_deref();
    match (holder, issuer) {
        (Some(holder), Some(issuer)) => Some(format!("{holder} ({issuer})")),
        (Some(name), None) | (None, Some(name)) => Some(name.to_owned()),
        (None, None) => None,
    }
}

/// The last time ANAF accepted this token: the pair obtained through ANAF's login, its last
/// refresh, or its last rights verdict (a verdict either way means ANAF took the token).
fn last_anaf_success(token: &TokenMeta) -> Option<NaiveDateTime> {
    let obtained = (token.source == "oauth").then_some(token.created_at);
    let verdict = token
        .rights_checked_at
        .filter(|_| token.facts.rights != Rights::Unknown);
    [obtained, token.last_refreshed_at, verdict]
        .into_iter()
        .flatten()
        .max()
}
