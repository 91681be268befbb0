//! "Forgot password": asking for a link, and the link's page that sets a new password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::{Email, Password};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::account::pages::{ForgotPage, OutcomePage, ResetPage};
use crate::http::web::page::{Page, html, no_referrer, same_origin_referrer, see_other};
use crate::services::accounts::recovery::{ResetDone, ResetRequested};

#[derive(Deserialize)]
pub struct ForgotQuery {
    #[serde(default)]
    sent: Option<String>,
}

pub async fn forgot_form(
    page: Page,
    query: web::Query<ForgotQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if page.user.is_some() {
        // A person who is logged in changes the password on their settings page.
        return Ok(see_other("/settings/account"));
    }
    let notice = match (query.sent.is_some(), state.mailer.is_some()) {
        (_, false) => Some(page.t.get("forgot-no_email")),
        (true, true) => Some(page.t.get("forgot-sent")),
        (false, true) => None,
    };
    html(
        StatusCode::OK,
        &ForgotPage {
            page,
            email: String::new(),
            error: None,
            notice,
        },
    )
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let Ok(email) = Email::parse(&form.email) else {
        let page = Page::build(&req).await?;
        let error = Some(page.t.get("forgot-invalid_email"));
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ForgotPage {
                page,
                email: form.email.clone(),
                error,
                notice: None,
            },
        );
    };
    let actor = state.actor(&req, None);
    match state
        .accounts
        .request_password_reset(&actor, &email, &state.client_ip(&req))
        .await?
    {
        // The same answer whether or not the address has an account.
        ResetRequested::Answered | ResetRequested::NoEmail => {
            Ok(see_other("/password/forgot?sent=1"))
        }
        ResetRequested::TooMany { wait } => Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }),
    }
}

/// The page of a link that does not work (unknown, used, expired): 410, and no Referer.
async fn link_gone(req: &HttpRequest) -> Result<HttpResponse, AppError> {
    let page = Page::build(req).await?;
    let outcome = OutcomePage {
        title: page.t.get("reset-gone_title"),
        message: page.t.get("reset-gone"),
        link: "/password/forgot",
        link_label: page.t.get("reset-ask_again"),
        page,
    };
    Ok(no_referrer(html(StatusCode::GONE, &outcome)?))
}

pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(user) = state.accounts.reset_target(&path).await? else {
        tracing::info!("a password reset link that does not work was opened");
        return link_gone(&req).await;
    };
    let page = Page::build(&req).await?;
    let intro = page
        .t
        .format("reset-intro", &[("email", user.email.clone().into())]);
    // `same-origin`: the address holds the secret, and the form must still carry an Origin.
    Ok(same_origin_referrer(html(
        StatusCode::OK,
        &ResetPage {
            page,
            action: format!("/password/reset/{}", path.as_str()),
            email: user.email,
            intro,
            password_error: None,
            confirm_error: None,
        },
    )?))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let Some(user) = state.accounts.reset_target(&path).await? else {
        return link_gone(&req).await;
    };
    let mismatch = form.password != form.password_confirm;
    let password = Password::parse(SecretString::from(form.password));
    let password = match (password, mismatch) {
        (Ok(password), false) => password,
        (password, mismatch) => {
            let page = Page::build(&req).await?;
            let intro = page
                .t
                .format("reset-intro", &[("email", user.email.clone().into())]);
            let password_error = password.err().map(|p| page.t.get(p.message_key()));
            let confirm_error = mismatch.then(|| page.t.get("register-mismatch"));
            return Ok(same_origin_referrer(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ResetPage {
                    page,
                    action: format!("/password/reset/{}", path.as_str()),
                    email: user.email,
                    intro,
                    password_error,
                    confirm_error,
                },
            )?));
        }
    };
    let actor = state.actor(&req, None);
    match state
        .accounts
        .reset_password(&actor, &path, &password)
        .await?
    {
        ResetDone::Invalid => link_gone(&req).await,
        ResetDone::Done { .. } => {
            let page = Page::build(&req).await?;
            let outcome = OutcomePage {
                title: page.t.get("reset-done_title"),
                message: page.t.get("reset-done"),
                link: "/login",
                link_label: page.t.get("nav-login"),
                page,
            };
            Ok(no_referrer(html(StatusCode::OK, &outcome)?))
        }
    }
}
