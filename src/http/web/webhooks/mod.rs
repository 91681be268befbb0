//! A company's webhook endpoints (company admins only): list and register them (the signing
//! secret is shown once, on the page that answers the registration), look at one endpoint's
//! deliveries and send one again, enable a disabled endpoint, delete one.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::EventKind;
use crate::domain::{CompanyId, DeliveryId, EndpointId};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::access::{self, Need};
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::views::{PAGE_SIZE, PageQuery, Pagination};
use crate::i18n::{Catalog, Lang};
use crate::services::companies::Company;
use crate::services::webhooks::{DeliveryRow, Endpoint, EndpointState};
use crate::services::webhooks::{RegisterError, SigningSecret, SubscriptionProblem, UrlProblem};

/// One endpoint as the pages show it.
pub struct EndpointView {
    pub id: EndpointId,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<&'static str>,
    /// `active`, `failing` or `disabled` (`data-state`).
    pub state: &'static str,
    pub state_label: String,
    pub disabled_reason: Option<String>,
    pub created: String,
}

impl EndpointView {
    fn new(endpoint: Endpoint, t: &Catalog) -> EndpointView {
        let state = endpoint.state();
        let state_label = match state {
            EndpointState::Active => t.get("webhooks-state_active"),
            EndpointState::Failing { since } => t.format(
                "webhooks-state_failing",
                &[("since", t.local_date_time(since).into())],
            ),
            EndpointState::Disabled { at } => t.format(
                "webhooks-state_disabled",
                &[("at", t.local_date_time(at).into())],
            ),
        };
        EndpointView {
            id: endpoint.id,
            events: endpoint
                .kinds()
                .into_iter()
                .map(EventKind::as_str)
                .collect(),
            state: state.code(),
            state_label,
            disabled_reason: endpoint.disabled_reason,
            created: t.local_date_time(endpoint.created_at),
            description: endpoint.description,
            url: endpoint.url,
        }
    }

    pub fn is_disabled(&self) -> bool {
        self.state == "disabled"
    }
}

/// A checkbox of the registration form.
pub struct KindOption {
    pub name: &'static str,
    pub label: String,
    pub checked: bool,
}

/// An endpoint just registered, with its secret: its only appearance.
pub struct Created {
    pub url: String,
    secret: SigningSecret,
}

impl Created {
    pub fn secret(&self) -> &str {
        self.secret.expose()
    }
}

#[derive(Template)]
#[template(path = "webhooks/index.html")]
pub struct WebhooksPage {
    pub page: Page,
    pub company_id: CompanyId,
    pub company_name: String,
    pub endpoints: Vec<EndpointView>,
    pub kinds: Vec<KindOption>,
    pub url: String,
    pub description: String,
    pub error: Option<String>,
    pub created: Option<Created>,
}

/// One delivery on an endpoint's page.
pub struct DeliveryView {
    pub id: DeliveryId,
    pub kind: &'static str,
    pub message_id: String,
    /// `pending`, `delivered` or `failed` (`data-status`).
    pub status: String,
    pub status_label: String,
    pub attempts: i32,
    pub created: String,
    pub next_attempt: Option<String>,
    pub http_status: Option<i32>,
    pub duration_ms: Option<i32>,
    pub error: Option<String>,
    pub excerpt: Option<String>,
}

impl DeliveryView {
    fn new(row: DeliveryRow, t: &Catalog) -> DeliveryView {
        let status_label = t.get(match row.status.as_str() {
            "delivered" => "webhooks-delivery_delivered",
            "failed" => "webhooks-delivery_failed",
            _ => "webhooks-delivery_pending",
        });
        let last = row.last_attempt;
        DeliveryView {
            id: row.id,
            kind: row.kind.as_str(),
            message_id: row.message_id,
            next_attempt: (row.status == "pending").then(|| t.local_date_time(row.next_attempt_at)),
            status: row.status,
            status_label,
            attempts: row.attempts,
            created: t.local_date_time(row.created_at),
            http_status: last.as_ref().and_then(|a| a.http_status),
            duration_ms: last.as_ref().map(|a| a.duration_ms),
            error: last.as_ref().and_then(|a| a.error.clone()),
            excerpt: last.and_then(|a| a.response_excerpt),
        }
    }
}

#[derive(Template)]
#[template(path = "webhooks/show.html")]
pub struct EndpointPage {
    pub page: Page,
    pub company_id: CompanyId,
    pub company_name: String,
    pub endpoint: EndpointView,
    pub deliveries: Vec<DeliveryView>,
    pub pagination: Pagination,
}

fn kind_options(t: &Catalog, checked: &[String]) -> Vec<KindOption> {
    EventKind::FOR_WEBHOOKS
        .into_iter()
        .map(|kind| KindOption {
            name: kind.as_str(),
            label: t.get(&format!("webhooks-kind-{}", kind.slug())),
            checked: checked.iter().any(|c| c == kind.as_str()),
        })
        .collect()
}

async fn endpoint_views(
    state: &AppState,
    company_id: CompanyId,
    t: &Catalog,
) -> Result<Vec<EndpointView>, AppError> {
    let endpoints = state.webhooks.endpoints_of(company_id).await?;
    Ok(endpoints
        .into_iter()
        .map(|e| EndpointView::new(e, t))
        .collect())
}

/// The company's webhooks page, with the form filled as given.
async fn list_page(
    state: &AppState,
    page: Page,
    company: &Company,
    form: FormValues,
    error: Option<String>,
    created: Option<Created>,
) -> Result<WebhooksPage, AppError> {
    let endpoints = endpoint_views(state, company.id, &page.t).await?;
    let kinds = kind_options(&page.t, &form.events);
    Ok(WebhooksPage {
        company_id: company.id,
        company_name: company.display_name().to_owned(),
        endpoints,
        kinds,
        url: form.url,
        description: form.description,
        error,
        created,
        page,
    })
}

pub async fn index(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<CompanyId>,
) -> Result<HttpResponse, AppError> {
    let (company, _) = access::company(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let body = list_page(&state, page, &company, FormValues::fresh(), None, None).await?;
    html(StatusCode::OK, &body)
}

/// The registration form: repeated `events` fields, so read as pairs.
#[derive(Default)]
struct FormValues {
    url: String,
    description: String,
    events: Vec<String>,
}

impl FormValues {
    /// An empty form: every event is ticked until the person says otherwise.
    fn fresh() -> FormValues {
        FormValues {
            events: EventKind::FOR_WEBHOOKS
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
            ..FormValues::default()
        }
    }

    fn of(pairs: Vec<(String, String)>) -> FormValues {
        let mut form = FormValues::default();
        for (name, value) in pairs {
            match name.as_str() {
                "url" => form.url = value,
                "description" => form.description = value,
                "events" => form.events.push(value),
                _ => {}
            }
        }
        form
    }
}

/// The message for a refused registration, in the reader's language.
fn refusal(t: &Catalog, error: &RegisterError) -> Option<String> {
    Some(match error {
        RegisterError::Url(UrlProblem::Empty) => t.get("webhooks-url_missing"),
        RegisterError::Url(UrlProblem::TooLong) => t.get("webhooks-url_too_long"),
        RegisterError::Url(UrlProblem::Malformed(_) | UrlProblem::NoHost) => {
            t.get("webhooks-url_malformed")
        }
        RegisterError::Url(UrlProblem::Scheme) => t.get("webhooks-url_scheme"),
        RegisterError::Url(UrlProblem::Userinfo) => t.get("webhooks-url_userinfo"),
        RegisterError::Url(UrlProblem::NonPublicAddress(ip)) => t.format(
            "webhooks-url_private",
            &[("address", ip.to_string().into())],
        ),
        RegisterError::Subscription(SubscriptionProblem::Empty) => t.get("webhooks-events_missing"),
        RegisterError::Subscription(SubscriptionProblem::Unknown(_)) => {
            t.get("webhooks-events_unknown")
        }
        RegisterError::Description(_) => t.get("webhooks-description_too_long"),
        RegisterError::TooMany => t.get("webhooks-too_many"),
        RegisterError::Duplicate => t.get("webhooks-duplicate"),
        RegisterError::Internal(_) => return None,
    })
}

pub async fn create(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<CompanyId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (company, _) = access::company(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let form = FormValues::of(form.into_inner());
    let actor = state.actor(&req, Some(user.0.id));
    let registered = async {
        let registration = state.webhooks.parse(
            &form.url,
            form.events.iter().map(String::as_str),
            Some(&form.description),
        )?;
        state
            .webhooks
            .register(&actor, company.id, registration)
            .await
    }
    .await;
    match registered {
        Ok((endpoint, secret)) => {
            let created = Created {
                url: endpoint.url,
                secret,
            };
            let body = list_page(
                &state,
                page,
                &company,
                FormValues::fresh(),
                None,
                Some(created),
            )
            .await?;
            html(StatusCode::OK, &body)
        }
        Err(RegisterError::Internal(e)) => Err(AppError::Internal(e)),
        Err(refused) => {
            let message = refusal(&page.t, &refused);
            let status = match refused {
                RegisterError::TooMany | RegisterError::Duplicate => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let body = list_page(&state, page, &company, form, message, None).await?;
            html(status, &body)
        }
    }
}

/// The company (the user administers it) and its endpoint `endpoint_id`; 404 when the company
/// has no such endpoint.
async fn endpoint_of(
    state: &AppState,
    user: &CurrentUser,
    company_id: CompanyId,
    endpoint_id: EndpointId,
) -> Result<(Company, Endpoint), AppError> {
    let (company, _) = access::company(state, &user.0, company_id, Need::Admin).await?;
    let endpoint = state
        .webhooks
        .endpoint_in(company_id, endpoint_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((company, endpoint))
}

pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(CompanyId, EndpointId)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (company_id, endpoint_id) = path.into_inner();
    let (company, endpoint) = endpoint_of(&state, &user, company_id, endpoint_id).await?;
    let number = Pagination::parse_page(query.page.as_deref());
    let (rows, total) = state
        .webhooks
        .deliveries(
            endpoint_id,
            Pagination::offset(number, PAGE_SIZE),
            PAGE_SIZE,
        )
        .await?;
    let deliveries = rows
        .into_iter()
        .map(|row| DeliveryView::new(row, &page.t))
        .collect();
    html(
        StatusCode::OK,
        &EndpointPage {
            company_id: company.id,
            company_name: company.display_name().to_owned(),
            endpoint: EndpointView::new(endpoint, &page.t),
            deliveries,
            pagination: Pagination::new(number, total, String::new()),
            page,
        },
    )
}

pub async fn delete(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(CompanyId, EndpointId)>,
) -> Result<HttpResponse, AppError> {
    let (company_id, endpoint_id) = path.into_inner();
    let (company, endpoint) = endpoint_of(&state, &user, company_id, endpoint_id).await?;
    let deleted = state
        .webhooks
        .delete(&state.actor(&req, Some(user.0.id)), company.id, endpoint.id)
        .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    let t = Lang::from_request(&req).catalog();
    PortalSession::of(&req).flash(FlashLevel::Success, t.get("webhooks-deleted"));
    Ok(see_other(&format!("/companies/{}/webhooks", company.id)))
}

pub async fn enable(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(CompanyId, EndpointId)>,
) -> Result<HttpResponse, AppError> {
    let (company_id, endpoint_id) = path.into_inner();
    let (company, endpoint) = endpoint_of(&state, &user, company_id, endpoint_id).await?;
    let enabled = state
        .webhooks
        .enable(&state.actor(&req, Some(user.0.id)), company.id, endpoint.id)
        .await?;
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    match enabled {
        true => session.flash(FlashLevel::Success, t.get("webhooks-enabled")),
        false => session.flash(FlashLevel::Info, t.get("webhooks-already_enabled")),
    }
    Ok(see_other(&format!(
        "/companies/{}/webhooks/{}",
        company.id, endpoint.id
    )))
}

pub async fn redeliver(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(CompanyId, EndpointId, DeliveryId)>,
) -> Result<HttpResponse, AppError> {
    let (company_id, endpoint_id, delivery_id) = path.into_inner();
    let (company, endpoint) = endpoint_of(&state, &user, company_id, endpoint_id).await?;
    let queued = state
        .webhooks
        .redeliver(&state.actor(&req, Some(user.0.id)), &endpoint, delivery_id)
        .await?;
    if !queued {
        return Err(AppError::NotFound);
    }
    let t = Lang::from_request(&req).catalog();
    let message = match endpoint.state() {
        EndpointState::Disabled { .. } => t.get("webhooks-redelivered_when_enabled"),
        _ => t.get("webhooks-redelivered"),
    };
    PortalSession::of(&req).flash(FlashLevel::Success, message);
    Ok(see_other(&format!(
        "/companies/{}/webhooks/{}",
        company.id, endpoint.id
    )))
}
