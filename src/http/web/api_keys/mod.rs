//! Settings → API keys: create a key (shown once) limited to permissions and companies, list
//! what each key may do, revoke one's keys.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::{
    ApiKeyId, CompanyId, KeyCompanies, KeyScope, MemberRole, Permission, Permissions, UserId,
};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, see_other};
use crate::i18n::Lang;
use crate::services::accounts::api_keys::MAX_NAME_CHARS;

pub const PATH: &str = "/settings/api-keys";

/// How many of a person's companies the form offers to tick (by CIF); a key for more is a key
/// for all of them.
const COMPANY_CHOICES: i64 = 500;

pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    /// What the key may do, in words.
    pub permissions: Vec<String>,
    /// The CIFs it may act for; `None`: all of its owner's companies.
    pub cifs: Option<Vec<String>>,
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

/// One permission of the form, ticked or not.
pub struct PermissionChoice {
    pub name: &'static str,
    pub label: String,
    pub checked: bool,
}

/// One of the person's companies in the form.
pub struct CompanyChoice {
    pub id: CompanyId,
    pub cif: String,
    pub name: String,
    pub viewer: bool,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "api_keys/index.html")]
pub struct ApiKeysPage {
    pub page: Page,
    pub keys: Vec<ApiKeyRow>,
    pub new_key: Option<NewKey>,
    pub name: String,
    pub permissions: Vec<PermissionChoice>,
    pub all_companies: bool,
    pub companies: Vec<CompanyChoice>,
    pub error: Option<String>,
}

/// What the form asked for (every field as submitted, for showing it again).
struct KeyForm {
    name: String,
    permissions: BTreeSet<String>,
    all_companies: bool,
    companies: BTreeSet<CompanyId>,
}

impl KeyForm {
    /// A fresh form: reading e-Factura and the tokens' status, for every company.
    fn fresh() -> KeyForm {
        KeyForm {
            name: String::new(),
            permissions: [Permission::EfacturaRead, Permission::TokensRead]
                .map(|p| p.as_str().to_owned())
                .into(),
            all_companies: true,
            companies: BTreeSet::new(),
        }
    }

    fn of(pairs: Vec<(String, String)>) -> KeyForm {
        let mut form = KeyForm {
            name: String::new(),
            permissions: BTreeSet::new(),
            all_companies: true,
            companies: BTreeSet::new(),
        };
        for (field, value) in pairs {
            match field.as_str() {
                "name" => form.name = value.trim().to_owned(),
                "permission" => {
                    form.permissions.insert(value);
                }
                "companies" => form.all_companies = value != "some",
                // An id that is not a number names no company of theirs: ignored.
                "company" => {
                    if let Ok(id) = value.parse::<i64>() {
                        form.companies.insert(CompanyId(id));
                    }
                }
                _ => {}
            }
        }
        form
    }

    /// The scope asked for, or the catalogue key of what is wrong. `mine` are the person's
    /// companies: a company of someone else's is never granted.
    fn scope(&self, mine: &[(CompanyId, MemberRole)]) -> Result<KeyScope, &'static str> {
        if self.name.is_empty() {
            return Err("api_keys-name_missing");
        }
        if self.name.chars().count() > MAX_NAME_CHARS {
            return Err("api_keys-name_too_long");
        }
        let permissions = Permissions::parse(
            &self
                .permissions
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
        )
        .map_err(|_| "api_keys-permission_unknown")?;
        if permissions.is_empty() {
            return Err("api_keys-permission_missing");
        }
        if self.all_companies {
            return Ok(KeyScope {
                permissions,
                companies: KeyCompanies::All,
            });
        }
        if self.companies.is_empty() {
            return Err("api_keys-company_missing");
        }
        if !self
            .companies
            .iter()
            .all(|id| mine.iter().any(|(company, _)| company == id))
        {
            return Err("api_keys-company_unknown");
        }
        Ok(KeyScope {
            permissions,
            companies: KeyCompanies::Only(self.companies.clone()),
        })
    }
}

fn permission_label_key(permission: Permission) -> &'static str {
    match permission {
        Permission::EfacturaRead => "api_keys-permission-efactura_read",
        Permission::EfacturaWrite => "api_keys-permission-efactura_write",
        Permission::TokensRead => "api_keys-permission-tokens_read",
        Permission::TokensWrite => "api_keys-permission-tokens_write",
        Permission::TokensSecret => "api_keys-permission-tokens_secret",
    }
}

/// Renders the page: the person's keys and the form as `form` holds it.
async fn render(
    state: &AppState,
    user_id: UserId,
    page: Page,
    form: &KeyForm,
    status: StatusCode,
    new_key: Option<NewKey>,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let keys = state.accounts.active_api_keys(user_id).await?;
    let mine = state.companies.of_member(user_id, COMPANY_CHOICES).await?;
    let cif_of = |id: CompanyId| {
        mine.iter()
            .find(|(company, _)| company.id == id)
            .map(|(company, _)| company.cif.to_string())
    };
    let keys = keys
        .into_iter()
        .map(|(key, scope)| ApiKeyRow {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            created: page.t.local_date_time(key.created_at),
            last_used: key.last_used_at.map_or_else(
                || page.t.get("api_keys-never"),
                |at| page.t.local_date_time(at),
            ),
            permissions: scope
                .permissions
                .iter()
                .map(|p| page.t.get(permission_label_key(p)))
                .collect(),
            cifs: match &scope.companies {
                KeyCompanies::All => None,
                KeyCompanies::Only(ids) => Some(ids.iter().filter_map(|id| cif_of(*id)).collect()),
            },
        })
        .collect();
    let permissions = Permission::ALL
        .into_iter()
        .map(|p| PermissionChoice {
            name: p.as_str(),
            label: page.t.get(permission_label_key(p)),
            checked: form.permissions.contains(p.as_str()),
        })
        .collect();
    let companies = mine
        .iter()
        .map(|(company, role)| CompanyChoice {
            id: company.id,
            cif: company.cif.to_string(),
            name: company.name.clone().unwrap_or_default(),
            viewer: *role == MemberRole::Viewer,
            checked: form.companies.contains(&company.id),
        })
        .collect();
    let error = error.map(|key| page.t.get(key));
    html(
        status,
        &ApiKeysPage {
            page,
            keys,
            new_key,
            name: form.name.clone(),
            permissions,
            all_companies: form.all_companies,
            companies,
            error,
        },
    )
}

pub async fn index(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    render(
        &state,
        user.0.id,
        page,
        &KeyForm::fresh(),
        StatusCode::OK,
        None,
        None,
    )
    .await
}

pub async fn create(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = KeyForm::of(form.into_inner());
    let user_id = user.0.id;
    let mine: Vec<(CompanyId, MemberRole)> = state
        .companies
        .of_member(user_id, i64::MAX)
        .await?
        .into_iter()
        .map(|(company, role)| (company.id, role))
        .collect();
    let scope = match form.scope(&mine) {
        Ok(scope) => scope,
        Err(problem) => {
            return render(
                &state,
                user_id,
                page,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(problem),
            )
            .await;
        }
    };
    let (created, key) = state
        .accounts
        .create_api_key(
            &state.actor(&req, Some(user_id)),
            user_id,
            form.name.clone(),
            scope,
        )
        .await?;
    let new_key = NewKey {
        name: created.name,
        key: SecretString::from(key),
    };
    render(
        &state,
        user_id,
        page,
        &KeyForm::fresh(),
        StatusCode::OK,
        Some(new_key),
        None,
    )
    .await
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
