//! Settings → Security: two-factor with an authenticator app (enrol, confirm with a first
//! code, recovery codes, switch off), the sign-in's second step (`login`), re-authentication
//! before what gives a secret away (`reauth`) and the platform admin's policy (`policy`).

pub mod login;
pub mod pages;
pub mod passkeys;
pub mod policy;
pub mod reauth;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, see_other};
use crate::i18n::Catalog;
use crate::services::accounts::User;
use crate::services::two_factor::{Changed, Checked};
use pages::SecurityPage;

pub const PATH: &str = "/settings/security";

/// What one POST adds to the page it renders.
#[derive(Default)]
struct Shown {
    recovery_codes: Vec<String>,
    confirm_error: Option<String>,
    disable_error: Option<String>,
    regenerate_error: Option<String>,
    passkey_options: Option<String>,
    passkey_error: Option<String>,
}

async fn render(
    page: Page,
    state: &AppState,
    user: &User,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let current = state.two_factor.state(user).await?;
    let passkeys = state
        .two_factor
        .passkeys(user.id)
        .await?
        .into_iter()
        .map(|row| pages::PasskeyView {
            id: row.id,
            added: page.t.local_date_time(row.created_at),
            last_used: row
                .last_used_at
                .map_or_else(|| "—".to_owned(), |at| page.t.local_date_time(at)),
            name: row.name,
        })
        .collect();
    let qr_svg = current.enrolment.as_ref().map_or_else(String::new, |e| {
        crate::http::web::views::qr_svg(&e.uri, &page.t.get("security-qr_label"))
    });
    html(
        status,
        &SecurityPage {
            enabled: current.enabled,
            required: current.required,
            recovery_codes_left: current.recovery_codes_left,
            secret_text: current.enrolment.map(|e| e.secret_text),
            qr_svg,
            recovery_codes: shown.recovery_codes,
            confirm_error: shown.confirm_error,
            disable_error: shown.disable_error,
            regenerate_error: shown.regenerate_error,
            passkeys_available: state.two_factor.passkeys_available(),
            passkeys,
            passkey_options: shown.passkey_options,
            passkey_error: shown.passkey_error,
            page,
        },
    )
}

pub async fn show(
    user: CurrentUser,
    page: Page,
    session: PortalSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let shown = Shown {
        recovery_codes: session
            .take(passkeys::CODES_TO_SHOW_KEY)
            .unwrap_or_default(),
        ..Shown::default()
    };
    render(page, &state, &user.0, shown, StatusCode::OK).await
}

/// Starts an enrolment: a new secret, shown on the page until a code confirms it.
pub async fn start(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let started = state.two_factor.start(user.0.id).await?;
    if !started {
        let t = crate::i18n::Lang::from_request(&req).catalog();
        PortalSession::of(&req).flash(FlashLevel::Info, t.get("security-already_on"));
    }
    Ok(see_other(PATH))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The page again (422) with why the code was refused, where `place` puts it.
async fn refused(
    page: Page,
    state: &AppState,
    user: &User,
    checked: &Checked,
    place: fn(&mut Shown, String),
) -> Result<HttpResponse, AppError> {
    let mut shown = Shown::default();
    place(&mut shown, refusal(&page.t, checked)?);
    render(page, state, user, shown, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// Why a code was refused, in the reader's words; a lockout is its own answer (429).
pub fn refusal(t: &Catalog, checked: &Checked) -> Result<String, AppError> {
    match checked {
        Checked::Locked { wait } => Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }),
        Checked::Replayed => Ok(t.get("security-code_used")),
        _ => Ok(t.get("security-code_wrong")),
    }
}

pub async fn confirm(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let changed = state
        .two_factor
        .confirm(&actor, &user.0, &form.code, &state.client_ip(&req))
        .await?;
    let page = Page::build(&req).await?;
    match changed {
        Changed::Done { recovery_codes } => {
            PortalSession::of(&req).mark_reauthenticated()?;
            let mut page = page;
            page.flashes.push(crate::http::auth::session::Flash {
                level: FlashLevel::Success,
                text: page.t.get("security-enabled"),
            });
            let shown = Shown {
                recovery_codes,
                ..Shown::default()
            };
            render(page, &state, &user.0, shown, StatusCode::OK).await
        }
        Changed::Refused(checked) => {
            refused(page, &state, &user.0, &checked, |shown, e| {
                shown.confirm_error = Some(e)
            })
            .await
        }
        Changed::Nothing => Ok(see_other(PATH)),
    }
}

pub async fn disable(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let changed = state
        .two_factor
        .disable(&actor, &user.0, &form.code, &state.client_ip(&req))
        .await?;
    match changed {
        Changed::Done { .. } => {
            let session = PortalSession::of(&req);
            session.mark_reauthenticated()?;
            let t = crate::i18n::Lang::from_request(&req).catalog();
            session.flash(FlashLevel::Success, t.get("security-disabled"));
            Ok(see_other(PATH))
        }
        Changed::Refused(checked) => {
            let page = Page::build(&req).await?;
            refused(page, &state, &user.0, &checked, |shown, e| {
                shown.disable_error = Some(e)
            })
            .await
        }
        Changed::Nothing => Ok(see_other(PATH)),
    }
}

pub async fn regenerate(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let changed = state
        .two_factor
        .regenerate(&actor, &user.0, &form.code, &state.client_ip(&req))
        .await?;
    let page = Page::build(&req).await?;
    match changed {
        Changed::Done { recovery_codes } => {
            PortalSession::of(&req).mark_reauthenticated()?;
            let shown = Shown {
                recovery_codes,
                ..Shown::default()
            };
            render(page, &state, &user.0, shown, StatusCode::OK).await
        }
        Changed::Refused(checked) => {
            refused(page, &state, &user.0, &checked, |shown, e| {
                shown.regenerate_error = Some(e)
            })
            .await
        }
        Changed::Nothing => Ok(see_other(PATH)),
    }
}
