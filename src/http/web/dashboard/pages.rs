//! The dashboard: the person's companies, the queue of those that need them, the add forms.

use askama::Template;

use crate::domain::{CompanyId, InvitationId, TokenId};
use crate::http::web::company_list::{ListControls, StatusCount};
use crate::http::web::page::Page;
use crate::http::web::views::{Pagination, TokenRowView};

#[derive(Template)]
#[template(path = "dashboard/index.html")]
pub struct DashboardPage<'a> {
    pub page: Page,
    pub counts: Vec<StatusCount>,
    /// The "all" counter's link (the search kept).
    pub all_href: String,
    pub rows: Vec<TokenRowView<'a>>,
    pub pagination: Pagination,
    pub search: String,
    pub status: &'static str,
    pub controls: ListControls,
    /// The bulk form, refilled with its per-line verdicts.
    pub bulk: String,
    pub bulk_results: Vec<BulkLineView>,
    /// "27 added · 3 rejected" after a paste.
    pub bulk_summary: Option<String>,
    /// The add-company form, refilled after an error.
    pub cif: String,
    pub name: String,
    pub cif_error: Option<String>,
    /// Invitations to join companies, waiting for this person's answer.
    pub invitations: Vec<ReceivedInvitationView>,
    /// "Accept all 12 invitations", when there are several.
    pub accept_all: Option<String>,
    /// The companies that need this person, most urgent first, under "3 companies need you".
    pub attention: Vec<AttentionRowView>,
    pub attention_title: String,
    /// "And 12 more:", when more need them than are shown.
    pub attention_more: Option<String>,
}

/// An invitation waiting for the logged-in person, on their dashboard: what it offers, in words.
pub struct ReceivedInvitationView {
    pub id: InvitationId,
    pub text: String,
}

/// A company whose token needs a person, as the dashboard's queue shows it.
pub struct AttentionRowView {
    pub company_id: CompanyId,
    pub token_id: TokenId,
    pub company: String,
    pub cif: String,
    /// `attention-<slug>`: the row's `data-attention`.
    pub code: &'static str,
    pub problem: String,
    pub todo: String,
    /// The fix is a new Connect ANAF (else a Refresh: it probes the rights again, or tries
    /// once more); only a company admin gets the button.
    pub reconnect: bool,
    pub can_act: bool,
}

/// A pasted line that was not added, and why.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct BulkLineView {
    pub input: String,
    pub verdict: String,
}
