//! A person's answers to invitations to join companies (listed on their dashboard): accept, and
//! become a member with the offered role, or decline. Only invitations addressed to the
//! person's own email can be answered; any other id reads as "no longer pending".

use actix_web::{HttpRequest, HttpResponse, web};

use crate::domain::InvitationId;
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::see_other;
use crate::i18n::Lang;
use crate::services::companies::AcceptError;

pub async fn accept(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<InvitationId>,
) -> Result<HttpResponse, AppError> {
    let accepted = state
        .companies
        .accept_invitation(
            &state.actor(&req, Some(user.0.id)),
            &user.0,
            path.into_inner(),
        )
        .await?;
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    match accepted {
        Ok(company) => {
            session.flash(
                FlashLevel::Success,
                t.format(
                    "invitations-accepted",
                    &[("company", company.display_name().to_owned().into())],
                ),
            );
            Ok(see_other(&format!("/companies/{}", company.id)))
        }
        Err(AcceptError::HasThisCif(cif)) => {
            session.flash(
                FlashLevel::Error,
                t.format("invitations-has_cif", &[("cif", cif.to_string().into())]),
            );
            Ok(see_other("/"))
        }
        Err(AcceptError::NotFound) => {
            session.flash(FlashLevel::Error, t.get("invitations-gone"));
            Ok(see_other("/"))
        }
        Err(AcceptError::Database(e)) => Err(e.into()),
    }
}

/// Accepts every invitation waiting for the person (an accountant invited to 40 companies at
/// once answers once). One that clashes with a CIF already in their list stays pending, named.
pub async fn accept_all(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let waiting = state.companies.invitations_for(user.0.id).await?;
    let mut accepted = 0_i64;
    let mut clashes = Vec::new();
    for received in waiting {
        let answer = state
            .companies
            .accept_invitation(&actor, &user.0, received.invitation.id)
            .await?;
        match answer {
            Ok(_) => accepted += 1,
            Err(AcceptError::HasThisCif(cif)) => clashes.push(cif.to_string()),
            // Answered meanwhile (another tab): nothing left to do for it.
            Err(AcceptError::NotFound) => {}
            Err(AcceptError::Database(e)) => return Err(e.into()),
        }
    }
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    session.flash(
        FlashLevel::Success,
        t.count("invitations-accepted_all", "count", accepted),
    );
    if !clashes.is_empty() {
        session.flash(
            FlashLevel::Error,
            t.format("invitations-has_cif", &[("cif", clashes.join(", ").into())]),
        );
    }
    Ok(see_other("/"))
}

pub async fn decline(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<InvitationId>,
) -> Result<HttpResponse, AppError> {
    let declined = state
        .companies
        .decline_invitation(
            &state.actor(&req, Some(user.0.id)),
            user.0.id,
            path.into_inner(),
        )
        .await?;
    let t = Lang::from_request(&req).catalog();
    match declined {
        true => PortalSession::of(&req).flash(FlashLevel::Success, t.get("invitations-declined")),
        false => PortalSession::of(&req).flash(FlashLevel::Error, t.get("invitations-gone")),
    }
    Ok(see_other("/"))
}
