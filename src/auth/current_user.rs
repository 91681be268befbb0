//! The logged-in user, loaded once per request.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::auth::PortalSession;
use crate::db::models::users::{self, User};
use crate::error::AppError;
use crate::web::state::AppState;

/// Extracting it requires a live session of an enabled user; otherwise `LoginRequired`.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

/// The request's user, if any, looked up at most once per request (pages use it for the menu and
/// handlers for authorisation). A session whose user vanished or was disabled is ended.
pub async fn load(req: &HttpRequest) -> Result<Option<User>, AppError> {
    if let Some(cached) = req.extensions().get::<Option<User>>() {
        return Ok(cached.clone());
    }
    let session = PortalSession::of(req);
    let user = match session.user_id() {
        None => None,
        Some(id) => {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
            let found = state.db.run(move |conn| Ok(users::find(conn, id)?)).await?;
            match found {
                Some(user) if !user.is_disabled() => Some(user),
                _ => {
                    session.log_out();
                    None
                }
            }
        }
    };
    req.extensions_mut().insert(user.clone());
    Ok(user)
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
