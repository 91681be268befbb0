//! A company's page and the coverage page (companies × certificates).

use askama::Template;

use crate::domain::{CompanyId, TokenId};

use crate::http::web::diagnosis::DiagnosisView;
use crate::http::web::page::Page;
use crate::http::web::views::{CertificateView, HistoryView, TokenRowView};

#[derive(Template)]
#[template(path = "companies/show.html")]
pub struct CompanyPage<'a> {
    pub page: Page,
    pub company_name: String,
    /// The stored name, empty when none (the name form's value).
    pub typed_name: String,
    /// From ANAF's registry.
    pub address: Option<String>,
    /// Where the registry lookup stands, while the company has no name.
    pub lookup_note: Option<String>,
    pub row: TokenRowView<'a>,
    pub diagnosis: DiagnosisView,
    pub history: Vec<HistoryView>,
    /// The user's other companies the same token serves.
    pub also_served: Vec<CompanyLinkView>,
    /// Tokens whose certificate was seen to have rights for this company.
    pub offers: Vec<OfferView>,
    /// e-Factura through the gateway: today's quotas and the last errors.
    pub efactura: Option<super::efactura::EfacturaUsageView>,
    /// Whether decrypted tokens may be shown (`ANAF_PORTAL_RAW_TOKENS`).
    pub raw_tokens: bool,
}

/// A company named in a list: its page, name and CIF.
pub struct CompanyLinkView {
    pub id: CompanyId,
    pub label: String,
    pub cif: String,
}

/// A token offered to a company: whose certificate, and when its rights were seen.
pub struct OfferView {
    pub token_id: TokenId,
    /// Set when attaching would give the token to people who cannot use it today: who, and
    /// what to do instead.
    pub would_widen: Option<String>,
    pub certificate: CertificateView,
    pub checked: String,
}

#[derive(Template)]
#[template(path = "coverage/index.html")]
pub struct CoveragePage {
    pub page: Page,
    pub summary: String,
    /// How many companies have no working token.
    pub uncovered: usize,
    /// Some company without a working token has an offer: the page offers to attach them.
    pub offers_for_uncovered: bool,
    /// Its columns: every certificate whose token serves (or could serve) some of the companies.
    pub certificates: Vec<CertificateView>,
    pub rows: Vec<CoverageRow>,
}

/// One company: whether a working token serves it, and its cell under each certificate.
pub struct CoverageRow {
    pub company_id: CompanyId,
    pub label: String,
    pub cif: String,
    pub covered: bool,
    pub cells: Vec<CoverageCell>,
}

/// What a certificate is to a company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoverageCell {
    /// Its token serves the company; the token's status there.
    Serves {
        label: String,
        class: &'static str,
    },
    /// Its rights for the company were confirmed; it could be attached.
    Offered,
    Empty,
}

impl CoverageCell {
    pub fn code(&self) -> &'static str {
        match self {
            CoverageCell::Serves { .. } => "serves",
            CoverageCell::Offered => "offered",
            CoverageCell::Empty => "",
        }
    }
}
