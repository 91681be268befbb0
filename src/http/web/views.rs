//! Rows as pages show them: dates formatted, statuses labelled, in the reader's language.

use chrono::NaiveDateTime;

use crate::anaf::client::AnafError;
use crate::domain::{
    AuditAction, CompanyId, MemberRole, RefreshState, Rights, TokenId, TokenStatus,
};
use crate::i18n::Catalog;
use crate::services::companies::Company;
use crate::services::companies::CompanyRow;
use crate::services::tokens::queries::TokenMeta;
use fluent_bundle::FluentValue;

/// "in 12 days" / "3 days ago" / "today".
pub fn relative_days(at: NaiveDateTime, now: NaiveDateTime, t: &Catalog) -> String {
    let days = (at - now).num_days();
    match days {
        0 if at >= now => t.get("time-today"),
        d if d > 0 => t.count("time-in_days", "days", d),
        _ => t.count("time-days_ago", "days", (now - at).num_days().max(0)),
    }
}

/// The badge's text: "connected, expires in 80 days", "expired", ...
pub fn status_label(status: TokenStatus, t: &Catalog) -> String {
    match status {
        TokenStatus::NotConnected => t.get("status-not_connected"),
        TokenStatus::Connected { days_left } => t.count("status-connected", "days", days_left),
        TokenStatus::ExpiringSoon { days_left } => {
            t.count("status-expiring_soon", "days", days_left)
        }
        TokenStatus::Expired => t.get("status-expired"),
        TokenStatus::ReconnectNeeded => t.get("status-reconnect_needed"),
        TokenStatus::NoRights => t.get("status-no_rights"),
    }
}

/// One row of a token table (or of the dashboard), borrowing from the company and token it shows.
pub struct TokenRowView<'a> {
    pub company_id: CompanyId,
    pub cif: &'a str,
    pub company_name: &'a str,
    /// The company has a name (else `company_name` is its CIF, which a table shows once).
    pub named: bool,
    pub token_id: Option<TokenId>,
    pub status: TokenStatus,
    pub status_label: String,
    pub access_expires: String,
    pub access_relative: String,
    pub refresh_expires: String,
    pub certificate_serial: String,
    /// The serial's last three bytes (`…00:00:01`), where a table has no room for all of it.
    pub certificate_serial_short: String,
    pub certificate_issuer: String,
    pub certificate_holder: Option<&'a str>,
    pub created: String,
    pub last_refreshed: String,
    pub rights: String,
    pub rights_detail: Option<&'a str>,
    /// When ANAF last answered a rights probe, in words.
    pub rights_checked: Option<String>,
    /// ANAF's (or the network's) last error, quoted as it came: "ANAF said: “…”".
    pub last_error: Option<String>,
    /// What the refresh engine is doing about it (`data-refresh`), and that in words.
    pub refresh_code: &'static str,
    pub refresh_note: Option<String>,
    pub has_refresh_token: bool,
    pub can_manage: bool,
}

impl<'a> TokenRowView<'a> {
    pub fn new(
        company: &'a Company,
        role: MemberRole,
        token: Option<&'a TokenMeta>,
        now: NaiveDateTime,
        t: &Catalog,
    ) -> TokenRowView<'a> {
        let status = token.map_or(TokenStatus::NotConnected, |tk| tk.facts.status(now));
        let refresh = token.map(|tk| RefreshState::of(&tk.facts, &tk.schedule, now));
        let dash = || t.get("common-dash");
        let text = |value: &Option<String>| value.clone().unwrap_or_else(dash);
        let date = |at: Option<NaiveDateTime>| at.map_or_else(dash, |at| t.local_date_time(at));
        TokenRowView {
            company_id: company.id,
            cif: company.cif.as_str(),
            company_name: company.display_name(),
            named: company.name.as_deref().is_some_and(|n| !n.is_empty()),
            token_id: token.map(|tk| tk.id),
            status,
            status_label: status_label(status, t),
            access_expires: date(token.map(|tk| tk.facts.access_expires_at)),
            access_relative: token.map_or_else(String::new, |tk| {
                relative_days(tk.facts.access_expires_at, now, t)
            }),
            refresh_expires: token.map_or_else(dash, |tk| {
                if tk.facts.has_refresh_token {
                    date(tk.facts.refresh_expires_at)
                } else {
                    t.get("token-no_refresh_token")
                }
            }),
            certificate_serial: token.map_or_else(dash, |tk| text(&tk.certificate_serial)),
            certificate_serial_short: token
                .and_then(|tk| tk.certificate_serial.as_deref())
                .map_or_else(dash, short_serial),
            certificate_issuer: token.map_or_else(dash, |tk| text(&tk.certificate_issuer)),
            certificate_holder: token.and_then(|tk| tk.certificate_holder.as_deref()),
            created: date(token.map(|tk| tk.created_at)),
            last_refreshed: token.map_or_else(dash, |tk| date(tk.last_refreshed_at)),
            rights: token.map_or_else(dash, |tk| {
                t.get(match tk.facts.rights {
                    Rights::Granted => "rights-granted",
                    Rights::Denied => "rights-denied",
                    Rights::Unknown => "rights-unknown",
                })
            }),
            rights_detail: token.and_then(|tk| tk.rights_detail.as_deref()),
            rights_checked: token
                .and_then(|tk| tk.rights_checked_at)
                .map(|at| t.format("rights-checked_at", &[("at", t.local_date_time(at).into())])),
            last_error: token
                .and_then(|tk| tk.last_error.clone())
                .map(|text| anaf_said(text, t)),
            refresh_code: refresh.map_or("stopped", |r| r.code()),
            refresh_note: refresh.and_then(|r| refresh_note(r, t)),
            has_refresh_token: token.is_some_and(|tk| tk.facts.has_refresh_token),
            can_manage: role == MemberRole::Admin,
        }
    }

    pub fn from_row(row: &'a CompanyRow, now: NaiveDateTime, t: &Catalog) -> TokenRowView<'a> {
        TokenRowView::new(&row.company, row.role, row.token.as_ref(), now, t)
    }

    pub fn status_class(&self) -> &'static str {
        self.status.badge_class()
    }

    /// ANAF no longer accepts the token: only a new Connect ANAF helps. (A token that must be
    /// reconnected before a date says so in its refresh note.)
    pub fn needs_reconnect(&self) -> bool {
        matches!(
            self.status,
            TokenStatus::ReconnectNeeded | TokenStatus::Expired
        )
    }

    pub fn no_rights(&self) -> bool {
        self.status == TokenStatus::NoRights
    }
}

/// ANAF's (or the network's) own words, quoted inside a sentence in the reader's language.
pub fn anaf_said(text: String, t: &Catalog) -> String {
    t.format("diagnosis-anaf_said", &[("text", text.into())])
}

/// `34:00:…:00:00:01` → `…00:00:01`; a serial of three bytes or fewer as it is.
pub fn short_serial(serial: &str) -> String {
    let bytes: Vec<&str> = serial.split(':').collect();
    match bytes.len() {
        0..=3 => serial.to_owned(),
        n => format!("…{}", bytes[n - 3..].join(":")),
    }
}

/// The refresh engine's state in a sentence; none when nothing will be tried (the status says
/// why).
fn refresh_note(state: RefreshState, t: &Catalog) -> Option<String> {
    let at = |at: NaiveDateTime| FluentValue::from(t.local_date_time(at));
    Some(match state {
        RefreshState::Scheduled { due } => t.format("refresh-scheduled", &[("due", at(due))]),
        RefreshState::Refreshing => t.get("refresh-refreshing"),
        RefreshState::Retrying { next, .. } => t.format("refresh-retrying", &[("next", at(next))]),
        RefreshState::Failing { since, next } => t.format(
            "refresh-failing",
            &[("since", at(since)), ("next", at(next))],
        ),
        RefreshState::ReconnectBefore { by } => {
            t.format("refresh-reconnect_before", &[("by", at(by))])
        }
        RefreshState::Stopped => return None,
    })
}

/// Page numbers for a list.
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub per_page: i64,
    /// The query string without `page`, to build links.
    pub base_query: String,
}

pub const PAGE_SIZE: i64 = 25;

/// `?page=N` of a paged list (read by `Pagination::parse_page`).
#[derive(serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub page: Option<String>,
}

impl Pagination {
    pub fn new(page: i64, total: i64, base_query: String) -> Pagination {
        Pagination::sized(page, PAGE_SIZE, total, base_query)
    }

    pub fn sized(page: i64, per_page: i64, total: i64, base_query: String) -> Pagination {
        let per_page = per_page.max(1);
        let pages = ((total + per_page - 1) / per_page).max(1);
        Pagination {
            page: page.clamp(1, pages),
            pages,
            total,
            per_page,
            base_query,
        }
    }

    /// A `?page=` value, or 1 when it is missing or not a sensible page number.
    pub fn parse_page(raw: Option<&str>) -> i64 {
        raw.and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..1_000_000).contains(p))
            .unwrap_or(1)
    }

    /// Rows before `page` at `per_page` rows a page.
    pub fn offset(page: i64, per_page: i64) -> i64 {
        (page.max(1) - 1) * per_page
    }

    /// Enough rows for a choice of page size to matter.
    pub fn offers_page_sizes(&self) -> bool {
        self.total > PAGE_SIZE
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }

    pub fn link(&self, page: i64) -> String {
        if self.base_query.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{}&page={page}", self.base_query)
        }
    }

    pub fn page_of(&self, t: &Catalog) -> String {
        t.format(
            "list-page_of",
            &[("page", self.page.into()), ("pages", self.pages.into())],
        )
    }

    pub fn previous_link(&self) -> String {
        self.link(self.page - 1)
    }

    pub fn next_link(&self) -> String {
        self.link(self.page + 1)
    }
}

/// An audit line's detail in the reader's language. The log keeps what the services wrote (plain
/// English, for operators and exports; parts joined by "; "); the known parts are said again
/// here, with ANAF's own text quoted. Others are shown as written.
pub fn history_detail(action: &str, detail: Option<&str>, t: &Catalog) -> String {
    let Some(detail) = detail else {
        return String::new();
    };
    detail
        .split("; ")
        .map(|part| member_part(action, part, t).unwrap_or_else(|| detail_part(part, t)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A membership change's detail: "ana@firma.ro is now admin", "… as viewer", "… removed".
fn member_part(action: &str, part: &str, t: &Catalog) -> Option<String> {
    let role = |name: &str| Some(t.get(name.parse::<MemberRole>().ok()?.message_key()));
    let say = |id: &str, who: &str, role: String| {
        t.format(id, &[("who", who.to_owned().into()), ("role", role.into())])
    };
    match action {
        "member.role_changed" => {
            let (who, name) = part.rsplit_once(" is now ")?;
            Some(say("history-detail-role_changed", who, role(name)?))
        }
        "member.invited" => {
            let (who, name) = part.rsplit_once(" as ")?;
            Some(say("history-detail-invited", who, role(name)?))
        }
        "member.added" => {
            let (who, name) = part.rsplit_once(" accepted the invitation as ")?;
            Some(say("history-detail-accepted", who, role(name)?))
        }
        "member.removed" => {
            let who = part.strip_suffix(" removed")?;
            Some(say("history-detail-removed", who, String::new()))
        }
        _ => None,
    }
}

fn detail_part(part: &str, t: &Catalog) -> String {
    let with = |id: &str, name: &'static str, value: &str| {
        t.format(id, &[(name, value.trim().to_owned().into())])
    };
    match part {
        "SPV rights confirmed" => t.get("history-detail-rights_confirmed"),
        "revoked at ANAF" => t.get("history-detail-revoked"),
        "ANAF did not confirm revocation" => t.get("history-detail-not_revoked"),
        "ANAF confirmed revoking the access token only" => {
            t.get("history-detail-revoked_access_only")
        }
        "ANAF confirmed revoking the refresh token only" => {
            t.get("history-detail-revoked_refresh_only")
        }
        crate::services::tokens::REVOCATION_PENDING => t.get("history-detail-revocation_pending"),
        "no refresh token" => t.get("history-detail-no_refresh_token"),
        other => {
            if let Some(anaf) = other.strip_prefix("no SPV rights:") {
                with("history-detail-no_rights", "anaf", anaf)
            } else if let Some(anaf) = other.strip_prefix("rights unknown:") {
                with("history-detail-rights_unknown", "anaf", anaf)
            } else if let Some(key) = other
                .strip_prefix("through the API (key ")
                .and_then(|rest| rest.strip_suffix(')'))
            {
                with("history-detail-through_api", "key", key)
            } else {
                other.to_owned()
            }
        }
    }
}

pub struct HistoryView {
    pub at: String,
    pub action: String,
    pub success: bool,
    pub detail: String,
}

/// A certificate as the pages name it: its holder, its serial and the serial's short form.
pub struct CertificateView {
    pub holder: String,
    pub serial: String,
    pub serial_short: String,
}

impl CertificateView {
    pub fn new(holder: Option<&str>, serial: Option<&str>, t: &Catalog) -> CertificateView {
        CertificateView {
            holder: holder.map_or_else(|| t.get("sharing-holder_unknown"), str::to_owned),
            serial: serial.unwrap_or_default().to_owned(),
            serial_short: serial.map(short_serial).unwrap_or_default(),
        }
    }
}

/// A company with a tick box in a form about several companies.
pub struct ChoosableCompany {
    pub id: CompanyId,
    pub cif: String,
    pub name: Option<String>,
    pub chosen: bool,
}

impl ChoosableCompany {
    /// `companies` as boxes, ticked where `chosen` (the form's values, ids as typed) names them.
    pub fn list(companies: &[Company], chosen: &[String]) -> Vec<ChoosableCompany> {
        let chosen: std::collections::HashSet<&str> = chosen.iter().map(|id| id.trim()).collect();
        companies
            .iter()
            .map(|c| ChoosableCompany {
                id: c.id,
                cif: c.cif.to_string(),
                name: c.name.clone().filter(|n| !n.is_empty()),
                chosen: chosen.contains(c.id.to_string().as_str()),
            })
            .collect()
    }
}

/// The message naming an audited action (stored by name; one this version does not know is
/// "other").
pub fn history_key(action: &str) -> &'static str {
    match AuditAction::parse(action) {
        Some(AuditAction::CompanyCreated | AuditAction::CompaniesBulkCreated) => {
            "history-company_created"
        }
        Some(AuditAction::CompanyRenamed) => "history-company_renamed",
        Some(AuditAction::CompanyNameFromRegistry) => "history-company_name_from_registry",
        Some(AuditAction::ConnectStarted) => "history-connect_started",
        Some(AuditAction::ConnectSucceeded) => "history-connect_succeeded",
        Some(AuditAction::ConnectFailed) => "history-connect_failed",
        Some(AuditAction::TokenRefreshed) => "history-token_refreshed",
        Some(AuditAction::TokenRefreshFailed) => "history-token_refresh_failed",
        Some(AuditAction::TokenDeleted) => "history-token_deleted",
        Some(AuditAction::TokenAttached) => "history-token_attached",
        Some(AuditAction::TokenRevealed) => "history-token_revealed",
        Some(AuditAction::TokenSavedViaApi) => "history-token_saved_via_api",
        Some(
            AuditAction::MemberAdded
            | AuditAction::MemberRoleChanged
            | AuditAction::MemberRemoved
            | AuditAction::MemberInvited
            | AuditAction::InvitationDeclined
            | AuditAction::InvitationCancelled,
        ) => "history-members_changed",
        Some(AuditAction::RefreshJobStarted) => "history-job_started",
        Some(
            AuditAction::UserRoleChanged
            | AuditAction::UserDisabled
            | AuditAction::UserEnabled
            | AuditAction::EmailVerified
            | AuditAction::PasswordResetRequested
            | AuditAction::PasswordResetLinkIssued
            | AuditAction::PasswordReset
            | AuditAction::PasswordChanged
            | AuditAction::EmailChangeRequested
            | AuditAction::EmailChanged
            | AuditAction::LanguageChanged
            | AuditAction::SessionEnded
            | AuditAction::SessionsEnded
            | AuditAction::TwoFactorEnabled
            | AuditAction::TwoFactorDisabled
            | AuditAction::RecoveryCodesRegenerated
            | AuditAction::RecoveryCodeUsed
            | AuditAction::SecondFactorRefused
            | AuditAction::TwoFactorPolicyChanged
            | AuditAction::PasskeyAdded
            | AuditAction::PasskeyRemoved,
        ) => "history-user_changed",
        Some(AuditAction::AuditViewed) => "history-audit_viewed",
        Some(
            AuditAction::WebhookCreated
            | AuditAction::WebhookDeleted
            | AuditAction::WebhookEnabled
            | AuditAction::WebhookRedelivered,
        ) => "history-webhooks_changed",
        Some(
            AuditAction::LinkCreated
            | AuditAction::LinkOpened
            | AuditAction::LinkCompleted
            | AuditAction::LinkRevoked,
        ) => "history-authorization_link",
        Some(AuditAction::ApiKeyCreated | AuditAction::ApiKeyRevoked) | None => "history-other",
    }
}

/// ANAF's failure in the reader's words.
pub fn error_text(error: &AnafError, t: &Catalog) -> String {
    match error {
        AnafError::Unreachable => t.get("anaf-unreachable"),
        AnafError::Timeout => t.get("anaf-timeout"),
        AnafError::Server(status) => t.count("anaf-server", "status", i64::from(*status)),
        AnafError::RateLimited(_) => t.get("anaf-rate_limited"),
        AnafError::Malformed => t.get("anaf-malformed"),
        AnafError::Dropped => t.get("anaf-dropped"),
        AnafError::InvalidClient => t.get("anaf-invalid_client"),
        AnafError::UnusableToken(_) => t.get("anaf-unusable_token"),
        // ANAF's own words, quoted as they came; a sentence of our own when it sent none.
        AnafError::InvalidGrant(said) if said.trim().is_empty() => {
            t.get("anaf-invalid_grant_silent")
        }
        AnafError::InvalidGrant(said) => {
            t.format("anaf-invalid_grant", &[("text", said.clone().into())])
        }
        AnafError::InvalidRequest(said) if said.trim().is_empty() => {
            t.get("anaf-invalid_request_silent")
        }
        AnafError::InvalidRequest(said) => {
            t.format("anaf-invalid_request", &[("text", said.clone().into())])
        }
    }
}

/// `text` (an address) as an inline SVG QR code: presentation attributes only (the CSP forbids inline
/// styles), no XML prolog.
pub fn qr_svg(url: &str, label: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(url.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let svg = match svg.find("<svg") {
        Some(at) => &svg[at..],
        None => svg.as_str(),
    };
    let label = escape_html(label);
    svg.replacen(
        "<svg ",
        &format!("<svg class=\"qr\" role=\"img\" aria-label=\"{label}\" "),
        1,
    )
}

/// `text` safe inside HTML text and attribute values.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
