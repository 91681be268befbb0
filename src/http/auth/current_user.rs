//! The logged-in user, loaded once per request.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::http::auth::PortalSession;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::services::accounts::User;

/// Extracting it requires a live session of an enabled user; otherwise `LoginRequired`.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

/// The request's user, if any, looked up at most once per request (pages use it for the menu and
/// handlers for authorisation; actix resolves both extractors concurrently, so they share one
/// lookup through a cell). A session whose user vanished or was disabled is ended.
pub async fn load(req: &HttpRequest) -> Result<Option<User>, AppError> {
    Ok(signed_in(req).await?.map(|(user, _)| user))
}

/// Whether the person signed in must enrol a second factor before anything else (the policy
/// requires one of them and they have none).
pub async fn must_enrol(req: &HttpRequest) -> Result<bool, AppError> {
    Ok(signed_in(req).await?.is_some_and(|(_, must)| must))
}

async fn signed_in(req: &HttpRequest) -> Result<Option<(User, bool)>, AppError> {
    let cell = {
        let mut extensions = req.extensions_mut();
        match extensions.get::<UserCell>() {
            Some(cell) => cell.clone(),
            None => {
                let cell = UserCell::default();
                extensions.insert(cell.clone());
                cell
            }
        }
    };
    cell.0.get_or_try_init(|| lookup(req)).await.cloned()
}

#[derive(Clone, Default)]
struct UserCell(Rc<tokio::sync::OnceCell<Option<(User, bool)>>>);

async fn lookup(req: &HttpRequest) -> Result<Option<(User, bool)>, AppError> {
    let session = PortalSession::of(req);
    session.check_available()?;
    let Some(id) = session.user_id() else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
    let found = state.two_factor.session_user(id).await?;
    match found {
        Some(found) => Ok(Some((found.user, found.must_enrol))),
        None => {
            session.log_out();
            Ok(None)
        }
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            load(&req)
                .await?
                .map(CurrentUser)
                .ok_or(AppError::LoginRequired)
        })
    }
}

/// A logged-in platform administrator; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct PlatformAdmin(pub User);

/// A logged-in member of the support staff (or a platform admin); anyone else gets 403.
#[derive(Debug, Clone)]
pub struct SupportStaff(pub User);

fn with_role<T: 'static>(
    req: &HttpRequest,
    allowed: fn(crate::domain::Role) -> bool,
    wrap: fn(User) -> T,
) -> Pin<Box<dyn Future<Output = Result<T, AppError>>>> {
    let req = req.clone();
    Box::pin(async move {
        let user = load(&req).await?.ok_or(AppError::LoginRequired)?;
        if allowed(user.role) {
            Ok(wrap(user))
        } else {
            Err(AppError::Forbidden)
        }
    })
}

impl FromRequest for PlatformAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        with_role(
            req,
            |role| role == crate::domain::Role::Admin,
            PlatformAdmin,
        )
    }
}

impl FromRequest for SupportStaff {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        with_role(
            req,
            |role| {
                matches!(
                    role,
                    crate::domain::Role::Support | crate::domain::Role::Admin
                )
            },
            SupportStaff,
        )
    }
}

/// Middleware for the portal's pages: support staff only look. Any unsafe request of theirs is
/// refused with 403, except logging in or out, choosing a language, and what concerns only their
/// own account (password, address, sessions). (The API checks the same for their keys.)
pub async fn support_is_read_only(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    // Their own sign-in, second factor, password, address and sessions are theirs to change.
    let path = req.path();
    let exempt = matches!(
        path,
        "/logout"
            | "/language"
            | "/login"
            | "/login/second-factor"
            | "/login/second-factor/passkey"
            | "/login/passkey"
            | "/reauth"
    ) || [
        "/settings/account/",
        "/settings/sessions/",
        "/settings/security/",
        "/password/",
    ]
    .iter()
    .any(|own| path.starts_with(own));
    if !req.method().is_safe() && !exempt {
        let user = load(req.request()).await?;
        if user.is_some_and(|u| u.role == crate::domain::Role::Support) {
            tracing::warn!(path = %crate::telemetry::loggable_path(req.path()), "support staff attempted a change");
            return Ok(req
                .error_response(AppError::Forbidden)
                .map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}
