//! Register, log in, log out.

pub mod pages;

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::config::Registration;
use crate::domain::{Email, Password};
use crate::http::auth::PortalSession;
use crate::http::auth::session::FlashLevel;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, safe_next, see_other};
use crate::http::web::security::passkeys;
use crate::i18n::Lang;
use crate::services::accounts::Registered;
use crate::services::accounts::login_limiter::{DEVICE_COOKIE, DEVICE_COOKIE_DAYS, Subjects};
use crate::services::accounts::profile::LoginLookup;
use pages::{LoginPage, RegisterPage};

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    ended: Option<String>,
    /// Set after a registration: the page says to check the mailbox.
    #[serde(default)]
    registered: Option<String>,
}

pub async fn login_form(
    req: HttpRequest,
    page: Page,
    query: web::Query<LoginQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if page.user.is_some() {
        return Ok(see_other(safe_next(&query.next)));
    }
    let notice = match (query.ended.as_deref(), &query.registered) {
        (_, Some(_)) => Some(page.t.get("register-check_mailbox")),
        (Some("logout"), None) => Some(page.t.get("logout-done")),
        (Some("factor"), None) => Some(page.t.get("login-factor_expired")),
        (Some(_), None) => Some(page.t.get("login-session_ended")),
        (None, None) => None,
    };
    let next = safe_next(&query.next).to_owned();
    let passkey_options = passkeys::sign_in_options(&state, &PortalSession::of(&req), &next)?;
    html(
        StatusCode::OK,
        &LoginPage {
            page,
            email: String::new(),
            next,
            error: None,
            notice,
            registration_open: state.config.registration == Registration::Open,
            passkey_options,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    // A malformed address cannot match an account but is still counted and timed like one.
    let email = Email::parse(&form.email).ok();
    let account = email
        .as_ref()
        .map_or(form.email.trim(), Email::as_str)
        .to_owned();
    let device_cookie = req.cookie(DEVICE_COOKIE);
    let device = device_cookie
        .as_ref()
        .and_then(|c| state.login_limiter.known_device(&account, c.value()));
    let subjects = Subjects::new(&state.client_ip(&req), &account, device);

    let LoginLookup {
        locked_for,
        credentials,
    } = state
        .accounts
        .login_lookup(subjects.clone(), email.clone())
        .await?;
    if let Some(wait) = locked_for {
        tracing::warn!("login refused: too many failures");
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }

    let (user, hash) = match credentials {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let password_matches = state
        .passwords
        .verify(SecretString::from(form.password), hash)
        .await?;

    let limiter = state.login_limiter.clone();
    match user.filter(|u| password_matches && !u.is_disabled()) {
        Some(user) => {
            state
                .db
                .run(move |conn| Ok(limiter.record_success(conn, &subjects)?))
                .await?;
            let session = PortalSession::of(&req);
            let factors = state.two_factor.factors(user.id).await?;
            let mut response = if factors.is_empty() {
                session.log_in(user.id)?;
                tracing::info!(user_id = %user.id, "login succeeded");
                let page_lang = crate::i18n::Lang::from_request(&req).catalog();
                session.flash(FlashLevel::Success, page_lang.get("login-welcome"));
                see_other(safe_next(&form.next))
            } else {
                // The password was right: the second factor completes the sign-in.
                session.begin_second_factor(user.id, safe_next(&form.next))?;
                tracing::info!(user_id = %user.id, "password accepted; second factor asked");
                see_other("/login/second-factor")
            };
            // This browser is now known to the account: it gets a failure budget of its own.
            let cookie = Cookie::build(DEVICE_COOKIE, state.login_limiter.device_cookie(&account))
                .path("/")
                .http_only(true)
                .secure(state.secure_cookies())
                .same_site(SameSite::Lax)
                .max_age(CookieDuration::days(DEVICE_COOKIE_DAYS))
                .finish();
            response
                .add_cookie(&cookie)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("device cookie: {e}")))?;
            // The saved language preference is the new session's; a cookie only where this
            // browser would otherwise get another one, so that its own choice keeps working for
            // people whose preference is what their browser asks for anyway.
            if let Some(lang) =
                Lang::parse(&user.language).filter(|saved| *saved != Lang::from_request(&req))
            {
                response
                    .add_cookie(&crate::http::web::language::cookie(
                        lang,
                        state.secure_cookies(),
                    ))
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("language cookie: {e}")))?;
            }
            Ok(response)
        }
        None => {
            let left = state
                .db
                .run(move |conn| Ok(limiter.record_failure_left(conn, &subjects)?))
                .await?;
            tracing::info!("login failed");
            let page = Page::build(&req).await?;
            let error = Some(lockout_warning(&page.t, &state, left));
            let next = safe_next(&form.next).to_owned();
            let passkey_options =
                passkeys::sign_in_options(&state, &PortalSession::of(&req), &next)?;
            html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &LoginPage {
                    page,
                    email: form.email,
                    next,
                    error,
                    notice: None,
                    registration_open: state.config.registration == Registration::Open,
                    passkey_options,
                },
            )
        }
    }
}

/// "Wrong email or password.", and, when few attempts are left, how many and how long the lock
/// that follows lasts.
fn lockout_warning(t: &crate::i18n::Catalog, state: &AppState, left: u32) -> String {
    use crate::services::accounts::login_limiter::WARN_WHEN_LEFT;
    let minutes = state
        .login_limiter
        .lock_duration()
        .as_secs()
        .div_ceil(60)
        .max(1) as i64;
    let failed = t.get("login-failed");
    match left {
        0 => format!(
            "{failed} {}",
            t.count("login-locked_now", "minutes", minutes)
        ),
        left if left <= WARN_WHEN_LEFT => format!(
            "{failed} {}",
            t.format(
                "login-attempts_left",
                &[
                    ("count", i64::from(left).into()),
                    ("minutes", minutes.into())
                ],
            )
        ),
        _ => failed,
    }
}

pub async fn logout(session: PortalSession) -> HttpResponse {
    session.log_out();
    see_other("/login?ended=logout")
}

pub async fn register_form(
    page: Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if page.user.is_some() {
        return Ok(see_other("/"));
    }
    let open = state.config.registration == Registration::Open;
    html(
        if open {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        },
        &RegisterPage {
            page,
            open,
            email: String::new(),
            email_error: None,
            password_error: None,
            confirm_error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    if state.config.registration == Registration::Closed {
        return Err(AppError::Forbidden);
    }
    let form = form.into_inner();
    let email = Email::parse(&form.email);
    let confirm_error = (form.password != form.password_confirm).then_some("register-mismatch");
    let password = Password::parse(SecretString::from(form.password));

    let (email, password) = match (email, password, confirm_error) {
        (Ok(email), Ok(password), None) => (email, password),
        (email, password, confirm_error) => {
            return render_register_errors(
                &req,
                form.email,
                email.err(),
                password.err().map(|p| p.message_key()),
                confirm_error,
            )
            .await;
        }
    };

    let registered = state
        .accounts
        .register(
            &email,
            &password,
            Lang::from_request(&req),
            &state.client_ip(&req),
        )
        .await?;
    if let Registered::TooMany { wait } = registered {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    // The same answer whether the address was new or had an account.
    Ok(see_other("/login?registered=1"))
}

async fn render_register_errors(
    req: &HttpRequest,
    email: String,
    email_error: Option<&'static str>,
    password_error: Option<&'static str>,
    confirm_error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let page = Page::build(req).await?;
    html(
        StatusCode::UNPROCESSABLE_ENTITY,
        &RegisterPage {
            email_error: email_error.map(|k| page.t.get(k)),
            password_error: password_error.map(|k| page.t.get(k)),
            confirm_error: confirm_error.map(|k| page.t.get(k)),
            page,
            open: true,
            email,
        },
    )
}
