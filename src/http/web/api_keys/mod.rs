//! Settings → API keys: create a key (shown once), list and revoke one's keys.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::{ApiKeyId, UserId};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, see_other};
use crate::i18n::Lang;
use crate::services::accounts::api_keys::{ApiKey, MAX_NAME_CHARS};

pub const PATH: &str = "/settings/api-keys";

pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
}

/// A key just created: its only appearance.
pub struct NewKey {
    pub name: String,
    pub key: SecretString,
}

impl NewKey {
    pub fn value(&self) -> &str {
        self.key.expose_secret()
    }
}

#[derive(Template)]
#[template(path = "api_keys/index.html")]
pub struct ApiKeysPage {
    pub page: Page,
    pub keys: Vec<ApiKeyRow>,
    pub new_key: Option<NewKey>,
    pub name: String,
    pub name_error: Option<String>,
}

async fn rows(state: &AppState, user_id: UserId, page: &Page) -> Result<Vec<ApiKeyRow>, AppError> {
    let keys: Vec<ApiKey> = state.accounts.active_api_keys(user_id).await?;
    Ok(keys
        .into_iter()
        .map(|k| ApiKeyRow {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created: page.t.local_date_time(k.created_at),
            last_used: k.last_used_at.map_or_else(
                || page.t.get("api_keys-never"),
                |at| page.t.local_date_time(at),
            ),
        })
        .collect())
}

pub async fn index(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let keys = rows(&state, user.0.id, &page).await?;
    html(
        StatusCode::OK,
        &ApiKeysPage {
            page,
            keys,
            new_key: None,
            name: String::new(),
            name_error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

pub async fn create(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let name = form.into_inner().name.trim().to_owned();
    let name_error = if name.is_empty() {
        Some("api_keys-name_missing")
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some("api_keys-name_too_long")
    } else {
        None
    };
    if let Some(key) = name_error {
        let keys = rows(&state, user.0.id, &page).await?;
        let error = page.t.get(key);
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ApiKeysPage {
                page,
                keys,
                new_key: None,
                name,
                name_error: Some(error),
            },
        );
    }
    let user_id = user.0.id;
    let (created, key) = state
        .accounts
        .create_api_key(&state.actor(&req, Some(user_id)), user_id, name.clone())
        .await?;
    let keys = rows(&state, user_id, &page).await?;
    html(
        StatusCode::OK,
        &ApiKeysPage {
            page,
            keys,
            new_key: Some(NewKey {
                name: created.name,
                key: SecretString::from(key),
            }),
            name: String::new(),
            name_error: None,
        },
    )
}

pub async fn revoke(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: ApiKeyId = path.parse().map_err(|_| AppError::NotFound)?;
    let user_id = user.0.id;
    let revoked = state
        .accounts
        .revoke_api_key(&state.actor(&req, Some(user_id)), user_id, id)
        .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    let t = Lang::from_request(&req).catalog();
    PortalSession::of(&req).flash(FlashLevel::Success, t.get("api_keys-revoked"));
    Ok(see_other(PATH))
}
