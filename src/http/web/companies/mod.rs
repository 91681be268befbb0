//! One company's page: its token, the actions on it, its name and address, and its recent
//! history; a company admin may type the name.

pub mod coverage;
pub mod efactura;
pub mod pages;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::anaf::client::RightsVerdict;
use crate::domain::{CompanyId, TokenId};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::access::{self, Need};
use crate::http::web::diagnosis::DiagnosisView;
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::views::{CertificateView, HistoryView};
use crate::http::web::views::{TokenRowView, history_detail, history_key};
use crate::i18n::{Catalog, Lang};
use crate::services::companies::{CompanyOverview, LookupState};
use crate::services::now;
use crate::services::tokens::AttachOutcome;
use efactura::EfacturaUsageView;
use pages::{CompanyLinkView, CompanyPage, OfferView};

pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<CompanyId>,
) -> Result<HttpResponse, AppError> {
    let (company, role) = access::company(&state, &user.0, path.into_inner(), Need::Member).await?;
    // Only a page without a name says where the lookup stands.
    let unnamed = company.name.as_deref().is_none_or(|n| n.trim().is_empty());
    let CompanyOverview {
        token,
        events,
        lookup,
        also_served,
        offers,
        mut newcomers,
    } = state
        .companies
        .overview(&company, user.0.id, unnamed)
        .await?;
    let at = now();
    let row = TokenRowView::new(&company, role, token.as_ref(), at, &page.t);
    let diagnosis = DiagnosisView::of(token.as_ref(), at, &page.t);
    let history = events
        .into_iter()
        .map(|e| HistoryView {
            at: page.t.local_date_time(e.at),
            action: page.t.get(history_key(&e.action)),
            success: e.outcome == "success",
            detail: history_detail(&e.action, e.detail.as_deref(), &page.t),
        })
        .collect();
    let lookup_note = lookup.and_then(|state| lookup_note(&state, &page.t));
    let efactura = EfacturaUsageView::load(&state, &company.cif, &page.t).await;
    let t = page.t;
    html(
        StatusCode::OK,
        &CompanyPage {
            page,
            efactura,
            raw_tokens: state.config.efactura.raw_tokens,
            company_name: company.display_name().to_owned(),
            typed_name: company.name.clone().unwrap_or_default(),
            address: company.address.clone().filter(|a| !a.trim().is_empty()),
            lookup_note,
            row,
            diagnosis,
            history,
            also_served: also_served
                .iter()
                .map(|other| CompanyLinkView {
                    id: other.id,
                    label: other.display_name().to_owned(),
                    cif: other.cif.to_string(),
                })
                .collect(),
            offers: offers
                .into_iter()
                .map(|offer| OfferView {
                    would_widen: newcomers
                        .remove(&offer.token_id)
                        .filter(|people| !people.is_empty())
                        .map(|people| {
                            t.format(
                                "sharing-offer_would_widen",
                                &[("people", people.join(", ").into())],
                            )
                        }),
                    token_id: offer.token_id,
                    certificate: CertificateView::new(
                        offer.certificate_holder.as_deref(),
                        offer.certificate_serial.as_deref(),
                        &t,
                    ),
                    checked: t.local_date_time(offer.checked_at),
                })
                .collect(),
        },
    )
}

/// Attaches a token offered to the company (its certificate has rights there), after ANAF
/// confirms the rights once more.
pub async fn attach(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(CompanyId, TokenId)>,
) -> Result<HttpResponse, AppError> {
    let (company_id, token_id) = path.into_inner();
    let (company, _) = access::company(&state, &user.0, company_id, Need::Admin).await?;
    let offered = state.companies.is_offered(company_id, token_id).await?;
    if !offered {
        return Err(AppError::NotFound);
    }
    let verdict = state
        .tokens
        .attach_offered(&state.actor(&req, Some(user.0.id)), token_id, &company)
        .await?;
    let t = Lang::from_request(&req).catalog();
    let (level, message) = match verdict {
        AttachOutcome::Checked(RightsVerdict::Granted) => {
            (FlashLevel::Success, t.get("sharing-attached"))
        }
        AttachOutcome::Checked(RightsVerdict::Denied(_)) => {
            (FlashLevel::Error, t.get("sharing-attach_no_rights"))
        }
        AttachOutcome::Checked(RightsVerdict::Unknown(_)) => {
            (FlashLevel::Info, t.get("sharing-attach_unknown"))
        }
        AttachOutcome::WouldWiden(newcomers) => (
            FlashLevel::Error,
            t.format(
                "sharing-attach_would_widen",
                &[("people", newcomers.join(", ").into())],
            ),
        ),
    };
    PortalSession::of(&req).flash(level, message);
    Ok(see_other(&format!("/companies/{company_id}")))
}

/// What the page says about a missing name while ANAF's registry is (or was) asked.
fn lookup_note(state: &LookupState, t: &Catalog) -> Option<String> {
    match (state.found, state.looked_up_at, state.attempts) {
        (Some(false), Some(_), _) => Some(t.get("company-lookup_not_found")),
        (_, None, 0) | (Some(true), Some(_), _) => Some(t.get("company-lookup_pending")),
        (_, None, _) => Some(t.format(
            "company-lookup_failing",
            &[("at", t.local_date_time(state.next_attempt_at).into())],
        )),
        _ => None,
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// A company admin types the company's name (it is then never replaced by ANAF's registry's).
pub async fn rename(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<CompanyId>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    let (company, _) = access::company(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    match crate::services::companies::parse_name(&form.name) {
        Err(problem) => session.flash(FlashLevel::Error, t.get(problem.message_key())),
        Ok(name) => {
            if company.name.as_deref() != Some(name.as_str()) {
                let actor = state.actor(&req, Some(user.0.id));
                state.companies.rename(&actor, company.id, name).await?;
            }
            session.flash(FlashLevel::Success, t.get("company-renamed"));
        }
    }
    Ok(see_other(&format!("/companies/{}", company.id)))
}
