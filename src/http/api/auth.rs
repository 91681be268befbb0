//! `ApiCaller`: the user behind the request's `Authorization: Bearer <API key>`, after the key's
//! rate limit. One database query per request (key, revocation and the user's state together).

use crate::domain::UserId;
use std::future::Future;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::domain::{ApiKeyId, KeyScope, Permission};
use crate::http::api::ApiContext;
use crate::http::error::AppError;
use crate::http::state::AppState;

/// Who is calling: the key, what it may do, and the (enabled) user it belongs to.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub user_id: UserId,
    pub key_id: ApiKeyId,
    /// Support staff only look, through the API as everywhere else.
    pub read_only: bool,
    pub scope: KeyScope,
}

impl ApiCaller {
    /// Refuses (403, naming it) a call that needs a permission the key was not given.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        match self.scope.permissions.contains(permission) {
            true => Ok(()),
            false => Err(AppError::NotPermitted(format!(
                "this API key does not have the `{permission}` permission"
            ))),
        }
    }

    /// Who is acting, for the audit log: the key's user, through the API.
    pub fn actor(&self, req: &HttpRequest, state: &AppState) -> crate::domain::Actor {
        crate::domain::Actor {
            api_key_id: Some(self.key_id),
            ..state.actor(req, Some(self.user_id))
        }
    }
}

fn unauthenticated(detail: &str) -> AppError {
    AppError::Unauthenticated {
        detail: detail.to_owned(),
    }
}

/// The key from `Authorization: Bearer <key>` (scheme case-insensitive).
fn bearer(req: &HttpRequest) -> Result<&str, AppError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        unauthenticated("an API key is required: Authorization: Bearer <API key>")
    })?;
    let malformed = || unauthenticated("malformed Authorization header: expected Bearer <API key>");
    let text = value.to_str().map_err(|_| malformed())?;
    let (scheme, key) = text.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed());
    }
    let key = key.trim();
    if key.is_empty() {
        return Err(malformed());
    }
    Ok(key)
}

pub async fn authenticate(req: &HttpRequest) -> Result<ApiCaller, AppError> {
    if let Some(caller) = req.extensions().get::<ApiCaller>() {
        return Ok(caller.clone());
    }
    let key = bearer(req)?;
    let refused = || unauthenticated("the API key is unknown or revoked, or its user is disabled");
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
    let context = req
        .app_data::<web::Data<ApiContext>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("ApiContext missing")))?;
    let owner = state
        .accounts
        .api_key_owner(key)
        .await?
        .ok_or_else(refused)?;
    let key_id = owner.key_id;
    context
        .rate_limiter
        .check(key_id)
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;

    // `last_used_at` is written at most once a minute per key and process.
    if context.due_for_touch(key_id)
        && let Err(e) = state.accounts.touch_api_key(key_id).await
    {
        tracing::warn!(error = %e, key_id = key_id.get(), "could not record the API key's use");
    }
    let caller = ApiCaller {
        user_id: owner.user_id,
        key_id,
        read_only: owner.role == crate::domain::Role::Support,
        scope: owner.scope,
    };
    req.extensions_mut().insert(caller.clone());
    Ok(caller)
}

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// Middleware for `/api/v1`: every request there needs a key. Runs before the handler's
/// extractors, so an unauthenticated request is refused before its body is read (401, not 415).
pub async fn require_key(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match authenticate(req.request()).await {
        Ok(caller) if caller.read_only && !req.method().is_safe() => Ok(req
            .error_response(AppError::Forbidden)
            .map_into_right_body()),
        Ok(_) => Ok(next.call(req).await?.map_into_left_body()),
        // An Ok response carrying the error, so `crate::http::error::render` gives it its body.
        Err(error) => Ok(req.error_response(error).map_into_right_body()),
    }
}
