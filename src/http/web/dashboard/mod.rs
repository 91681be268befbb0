//! The start page: my companies with their token status, and adding a company.

pub mod pages;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::domain::{Attention, Cif, MemberRole};
use crate::http::auth::CurrentUser;
use crate::http::auth::PortalSession;
use crate::http::auth::session::{DRAFT_KEY, Flash, FlashLevel, HeldForm};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::company_list::{ListQuery, MemberList, MemberPage, status_counts_view};
use crate::http::web::page::{Page, html, see_other};
use crate::i18n::Catalog;
use crate::services::accounts::User;
use crate::services::companies::{BulkError, BulkReport, LineVerdict};
use crate::services::companies::{CreateCompanyError, ReceivedInvitation};
use crate::services::now;
use crate::services::tokens::queries::MemberToken;
use pages::{AttentionRowView, BulkLineView};
use pages::{DashboardPage, ReceivedInvitationView};

/// What the dashboard's forms show besides the list: the add-company form refilled after an
/// error, and the verdicts of a paste.
#[derive(Default)]
struct Forms {
    cif: String,
    name: String,
    cif_error: Option<String>,
    bulk: String,
    bulk_results: Vec<BulkLineView>,
    bulk_summary: Option<String>,
}

/// What a paste did, kept in the session from the POST to the dashboard it redirects to.
#[derive(serde::Serialize, Deserialize)]
struct BulkOutcome {
    added: usize,
    /// Only the lines that were not added, with why.
    rejected: Vec<BulkLineView>,
}

const BULK_OUTCOME: &str = "bulk_outcome";

impl BulkOutcome {
    /// The paste's box keeps only the rejected lines, under "27 added · 3 rejected".
    fn into_forms(self, t: &Catalog) -> Forms {
        Forms {
            bulk: self
                .rejected
                .iter()
                .map(|line| line.input.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            bulk_summary: Some(t.format(
                "bulk-summary",
                &[
                    ("added", self.added.into()),
                    ("rejected", self.rejected.len().into()),
                ],
            )),
            bulk_results: self.rejected,
            ..Forms::default()
        }
    }
}

/// Rows of the "needs attention" queue shown at most; the rest are counted.
const ATTENTION_SHOWN: usize = 50;

/// The person's companies that need them, most urgent first, and how many there are.
fn attention_queue(candidates: Vec<MemberToken>, t: &Catalog) -> (Vec<AttentionRowView>, usize) {
    let at = now();
    let mut queue: Vec<_> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let attention = Attention::of(&candidate.token.facts, &candidate.token.schedule, at)?;
            Some((attention, candidate))
        })
        .collect();
    queue.sort_by(|(a, a_row), (b, b_row)| {
        a.cmp(b).then_with(|| {
            a_row
                .company
                .display_name()
                .cmp(b_row.company.display_name())
        })
    });
    let total = queue.len();
    let rows = queue
        .into_iter()
        .take(ATTENTION_SHOWN)
        .map(
            |(
                attention,
                MemberToken {
                    token,
                    company,
                    role,
                },
            )| AttentionRowView {
                company_id: company.id,
                token_id: token.id,
                company: company.display_name().to_owned(),
                cif: company.cif.to_string(),
                code: attention.slug(),
                problem: match attention {
                    Attention::RefreshFailing { since } => t.format(
                        "attention-refresh_failing",
                        &[("since", t.local_date_time(since).into())],
                    ),
                    Attention::ReconnectBefore { by } => t.format(
                        "attention-reconnect_before",
                        &[("by", t.local_date_time(by).into())],
                    ),
                    other => t.get(&format!("attention-{}", other.slug())),
                },
                todo: t.get(&format!("attention-{}-todo", attention.slug())),
                reconnect: !matches!(
                    attention,
                    Attention::NoRights | Attention::RefreshFailing { .. }
                ),
                can_act: role == MemberRole::Admin,
            },
        )
        .collect();
    (rows, total)
}

async fn dashboard(
    page: Page,
    state: &AppState,
    user: &User,
    query: &ListQuery,
    status: StatusCode,
    forms: Forms,
) -> Result<HttpResponse, AppError> {
    let mut list = MemberPage::load(state, user.id, query, MemberList::Dashboard).await?;
    let (attention, attention_total) =
        attention_queue(std::mem::take(&mut list.attention), &page.t);
    let invitations: Vec<_> = state
        .companies
        .invitations_for(user.id)
        .await?
        .into_iter()
        .map(|received| received_invitation_view(received, &page.t))
        .collect();
    let accept_all = (invitations.len() > 1).then(|| {
        page.t
            .count("invitations-accept_all", "count", invitations.len() as i64)
    });
    html(
        status,
        &DashboardPage {
            counts: status_counts_view(list.counts.clone(), query, "/", &page.t),
            all_href: query.with_status("/", None),
            rows: list.rows(&page.t),
            pagination: query.pagination(list.total),
            search: query.q.clone(),
            status: query.status_filter().map(|s| s.code()).unwrap_or_default(),
            controls: query.controls("/", &page.t),
            cif: forms.cif,
            name: forms.name,
            cif_error: forms.cif_error,
            bulk: forms.bulk,
            bulk_results: forms.bulk_results,
            bulk_summary: forms.bulk_summary,
            invitations,
            accept_all,
            attention_title: page
                .t
                .count("attention-title", "count", attention_total as i64),
            attention_more: match attention_total.saturating_sub(attention.len()) {
                0 => None,
                more => Some(page.t.count("attention-more", "count", more as i64)),
            },
            attention,
            page,
        },
    )
}

fn received_invitation_view(received: ReceivedInvitation, t: &Catalog) -> ReceivedInvitationView {
    let role = t.get(received.invitation.role.message_key());
    let mut args: Vec<(&'static str, fluent_bundle::FluentValue<'static>)> = vec![
        ("company", received.company.display_name().to_owned().into()),
        ("cif", received.company.cif.to_string().into()),
        ("role", role.into()),
    ];
    let text = match received.invited_by {
        Some(inviter) => {
            args.push(("inviter", inviter.into()));
            t.format("invitations-offer", &args)
        }
        None => t.format("invitations-offer_anonymous", &args),
    };
    ReceivedInvitationView {
        id: received.invitation.id,
        text,
    }
}

pub async fn show(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    let mut forms = session
        .take::<BulkOutcome>(BULK_OUTCOME)
        .map(|outcome| outcome.into_forms(&page.t))
        .unwrap_or_default();
    let mut page = page;
    if let Some(draft) = session.take::<HeldForm>(DRAFT_KEY) {
        restore_draft(&mut forms, &draft);
        page.flashes.push(Flash {
            level: FlashLevel::Info,
            text: page.t.get("dashboard-draft_restored"),
        });
    }
    dashboard(page, &state, &user.0, &query, StatusCode::OK, forms).await
}

/// What was typed into a company form that arrived after the session ended, back in its box
/// (not submitted: the person presses Add again).
fn restore_draft(forms: &mut Forms, draft: &HeldForm) {
    let field = |name: &str| {
        draft
            .fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    match draft.path.as_str() {
        "/companies" => {
            forms.cif = field("cif");
            forms.name = field("name");
        }
        "/companies/bulk" => forms.bulk = field("cifs"),
        _ => {}
    }
}

#[derive(Deserialize)]
pub struct AddCompanyForm {
    #[serde(default)]
    cif: String,
    #[serde(default)]
    name: String,
}

pub async fn add_company(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<AddCompanyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let refill = |error_id: &str, page: &Page| Forms {
        cif_error: Some(page.t.get(error_id)),
        cif: form.cif.clone(),
        name: form.name.clone(),
        ..Forms::default()
    };
    let cif = match Cif::parse(&form.cif) {
        Ok(cif) => cif,
        Err(problem) => {
            let page = Page::build(&req).await?;
            let forms = refill(problem.message_key(), &page);
            return dashboard(
                page,
                &state,
                &user.0,
                &ListQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                forms,
            )
            .await;
        }
    };
    let actor = state.actor(&req, Some(user.0.id));
    match state
        .companies
        .create(&actor, user.0.id, cif, &form.name)
        .await?
    {
        Ok(company) => {
            let t = crate::i18n::Lang::from_request(&req).catalog();
            PortalSession::of(&req).flash(
                FlashLevel::Success,
                t.format("company-added", &[("cif", company.cif.to_string().into())]),
            );
            Ok(see_other(&format!("/companies/{}", company.id)))
        }
        Err(CreateCompanyError::AlreadyInYourList) => {
            let page = Page::build(&req).await?;
            let forms = refill("company-already_yours", &page);
            dashboard(
                page,
                &state,
                &user.0,
                &ListQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                forms,
            )
            .await
        }
        Err(CreateCompanyError::Database(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    cifs: String,
}

fn bulk_outcome(report: BulkReport, t: &Catalog) -> BulkOutcome {
    let mut outcome = BulkOutcome {
        added: 0,
        rejected: Vec::new(),
    };
    for line in report.lines {
        let verdict = match &line.verdict {
            LineVerdict::Added(_) => {
                outcome.added += 1;
                continue;
            }
            LineVerdict::Invalid(problem) => t.get(problem.message_key()),
            LineVerdict::DuplicateLine(_) => t.get("bulk-duplicate_line"),
            LineVerdict::AlreadyInYourList(_) => t.get("bulk-already_yours"),
        };
        outcome.rejected.push(BulkLineView {
            input: line.input,
            verdict,
        });
    }
    outcome
}

/// Adds the companies pasted one CIF per line (an optional name may follow after a comma, a
/// semicolon or a tab); every line gets its own verdict.
pub async fn add_companies_in_bulk(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let report = match state
        .companies
        .bulk_import(&actor, user.0.id, &form.cifs)
        .await
    {
        Ok(report) => report,
        Err(error @ BulkError::TooManyLines) => {
            return Err(AppError::BadRequest(error.to_string()));
        }
        Err(BulkError::Storage(e)) => return Err(e.into()),
    };
    let t = crate::i18n::Lang::from_request(&req).catalog();
    PortalSession::of(&req).insert(BULK_OUTCOME, &bulk_outcome(report, &t))?;
    Ok(see_other("/#bulk"))
}
