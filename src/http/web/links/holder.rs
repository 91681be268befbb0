//! The holder's page of an authorization link (`GET /l/{secret}`), and the page of a link that
//! can no longer be used.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::pages::{CompanyOutcomeView, GonePage, HolderPage, outcome_view};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, same_origin_referrer};
use crate::i18n::Catalog;
use crate::services::links::{GoneState, HolderView, LinkDetail};

/// The title and sentence of a link that can no longer be used. A disabled creator's email is
/// left out: the holder cannot ask them for anything, and needs to know no more about them.
pub fn gone_text(state: GoneState, creator_email: &str, t: &Catalog) -> (String, String) {
    let (title, message) = match state {
        GoneState::Completed => ("links-gone_used_title", "links-gone_used"),
        GoneState::Expired => ("links-gone_expired_title", "links-gone_expired"),
        GoneState::Revoked => ("links-gone_revoked_title", "links-gone_revoked"),
        GoneState::CreatorDisabled => {
            return (
                t.get("links-gone_disabled_title"),
                t.get("links-gone_disabled"),
            );
        }
    };
    (
        t.get(title),
        t.format(message, &[("email", creator_email.to_owned().into())]),
    )
}

pub fn gone_page(
    page: Page,
    state: GoneState,
    creator_email: &str,
) -> Result<HttpResponse, AppError> {
    let (title, message) = gone_text(state, creator_email, &page.t);
    Ok(same_origin_referrer(html(
        StatusCode::GONE,
        &GonePage {
            page,
            title,
            message,
        },
    )?))
}

pub fn gone_of(view: HolderView) -> Option<(GoneState, String)> {
    match view {
        HolderView::Gone {
            state,
            creator_email,
        } => Some((state, creator_email)),
        HolderView::Usable(_) => None,
    }
}

/// `GET /l/{secret}`: who asks, for which companies, what will and will not happen, what to
/// check first, and the Connect ANAF button. No account needed.
pub async fn holder(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let view = state
        .links
        .open(&state.actor(&req, None), &secret)
        .await?
        .ok_or(AppError::NotFound)?;
    let detail: LinkDetail = match view {
        HolderView::Usable(detail) => detail,
        gone => {
            let (gone, creator) = gone_of(gone).ok_or(AppError::NotFound)?;
            return gone_page(page, gone, &creator);
        }
    };
    let t = &page.t;
    let asks = t.format(
        "links-holder_asks",
        &[
            ("email", detail.creator_email.clone().into()),
            ("count", (detail.companies.len() as i64).into()),
        ],
    );
    let retried = detail.link.attempted_at.is_some();
    let companies = detail
        .companies
        .iter()
        .map(|c| CompanyOutcomeView {
            id: None,
            ..outcome_view(c, t)
        })
        .collect();
    let expires = t.format(
        "links-holder_expires",
        &[("at", t.local_date_time(detail.link.expires_at).into())],
    );
    Ok(same_origin_referrer(html(
        StatusCode::OK,
        &HolderPage {
            secret,
            asks,
            note: detail.link.note,
            companies,
            expires,
            retried,
            page,
        },
    )?))
}
