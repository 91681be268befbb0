//! The account settings page: the address (changed through a link mailed to the new one), the
//! password, the language.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::{Email, Password};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::account::pages::SettingsPage;
use crate::http::web::page::{Page, html, no_referrer, see_other};
use crate::services::accounts::User;
use crate::services::accounts::changes::{EmailChangeAsked, EmailChangeDone, PasswordChange};

/// The page's errors, by field (catalog keys).
#[derive(Default)]
struct Errors {
    new_email: String,
    email: Option<&'static str>,
    email_password: Option<&'static str>,
    current: Option<&'static str>,
    password: Option<&'static str>,
    confirm: Option<&'static str>,
}

fn render(
    page: Page,
    user: &User,
    status: StatusCode,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let get = |key: Option<&'static str>| key.map(|k| page.t.get(k));
    let (email_error, email_password_error) = (get(errors.email), get(errors.email_password));
    let (current_error, password_error, confirm_error) = (
        get(errors.current),
        get(errors.password),
        get(errors.confirm),
    );
    html(
        status,
        &SettingsPage {
            email: user.email.clone(),
            verified: user.is_verified(),
            language: user.language.clone(),
            new_email: errors.new_email,
            email_error,
            email_password_error,
            current_error,
            password_error,
            confirm_error,
            page,
        },
    )
}

pub async fn show(user: CurrentUser, page: Page) -> Result<HttpResponse, AppError> {
    render(page, &user.0, StatusCode::OK, Errors::default())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn change_password(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mismatch = form.password != form.password_confirm;
    let password = Password::parse(SecretString::from(form.password));
    let missing_current = form.current_password.is_empty();
    let password = match (password, mismatch, missing_current) {
        (Ok(password), false, false) => password,
        (password, mismatch, missing_current) => {
            let errors = Errors {
                current: missing_current.then_some("account-current_missing"),
                password: password.err().map(|p| p.message_key()),
                confirm: mismatch.then_some("register-mismatch"),
                ..Errors::default()
            };
            let page = Page::build(&req).await?;
            return render(page, &user.0, StatusCode::UNPROCESSABLE_ENTITY, errors);
        }
    };
    let session = PortalSession::of(&req);
    let changed = state
        .accounts
        .change_password(
            &state.actor(&req, Some(user.0.id)),
            &user.0,
            SecretString::from(form.current_password),
            &password,
            session.public_id(),
            &state.client_ip(&req),
        )
        .await?;
    match changed {
        PasswordChange::Changed { ended } => {
            let page = Page::build(&req).await?;
            session.flash(
                FlashLevel::Success,
                page.t
                    .count("account-password_changed", "count", ended as i64),
            );
            Ok(see_other("/settings/account"))
        }
        PasswordChange::WrongCurrent => {
            tracing::info!(
                user_id = %user.0.id,
                "password change: wrong current password"
            );
            let page = Page::build(&req).await?;
            let errors = Errors {
                current: Some("account-current_wrong"),
                ..Errors::default()
            };
            render(page, &user.0, StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
        PasswordChange::Locked { wait } => Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }),
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

pub async fn change_email(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let refuse = async |errors: Errors| -> Result<HttpResponse, AppError> {
        let page = Page::build(&req).await?;
        render(page, &user.0, StatusCode::UNPROCESSABLE_ENTITY, errors)
    };
    let email = match (Email::parse(&form.email), form.current_password.is_empty()) {
        (Ok(email), false) => email,
        (email, missing) => {
            return refuse(Errors {
                new_email: form.email.clone(),
                email: email.err().map(|_| "account-email_invalid"),
                email_password: missing.then_some("account-current_missing"),
                ..Errors::default()
            })
            .await;
        }
    };
    let asked = state
        .accounts
        .request_email_change(
            &state.actor(&req, Some(user.0.id)),
            &user.0,
            SecretString::from(form.current_password),
            &email,
            &state.client_ip(&req),
        )
        .await?;
    let with_email = |key: &'static str| Errors {
        new_email: form.email.clone(),
        email: Some(key),
        ..Errors::default()
    };
    match asked {
        EmailChangeAsked::Sent => {
            let t = crate::i18n::Lang::from_request(&req).catalog();
            PortalSession::of(&req).flash(
                FlashLevel::Success,
                t.format(
                    "account-email_sent",
                    &[("email", email.as_str().to_owned().into())],
                ),
            );
            Ok(see_other("/settings/account"))
        }
        EmailChangeAsked::Same => refuse(with_email("account-email_same")).await,
        EmailChangeAsked::TooMany => refuse(with_email("account-email_too_many")).await,
        EmailChangeAsked::NoEmail => refuse(with_email("account-email_no_email")).await,
        EmailChangeAsked::WrongCurrent => {
            refuse(Errors {
                new_email: form.email.clone(),
                email_password: Some("account-current_wrong"),
                ..Errors::default()
            })
            .await
        }
        EmailChangeAsked::Locked { wait } => Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }),
    }
}

/// The link mailed to the new address. Only its account, logged in, can use it (as with the
/// address confirmation): whoever reads the new mailbox gains nothing else.
pub async fn confirm_email(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let done = state
        .accounts
        .confirm_email_change(&state.actor(&req, Some(user.0.id)), &user.0, &path)
        .await?;
    let t = crate::i18n::Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    match done {
        EmailChangeDone::Changed { new, .. } => session.flash(
            FlashLevel::Success,
            t.format("account-email_changed", &[("email", new.into())]),
        ),
        EmailChangeDone::Invalid => {
            tracing::info!(user_id = %user.0.id, "an address change link did not hold");
            session.flash(FlashLevel::Error, t.get("account-email_link_invalid"));
        }
        EmailChangeDone::Taken => session.flash(FlashLevel::Error, t.get("account-email_taken")),
    }
    // The address held the secret: no Referer from the redirect.
    Ok(no_referrer(see_other("/settings/account")))
}
