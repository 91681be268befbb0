//! What every page's layout needs: language, the user, the CSRF token, flash messages.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};

use crate::http::auth::PortalSession;
use crate::http::auth::current_user;
use crate::http::auth::session::Flash;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::i18n::{Catalog, Lang};
use crate::services::accounts::User;

pub struct Page {
    pub t: Catalog,
    pub user: Option<User>,
    pub csrf_token: String,
    pub flashes: Vec<Flash>,
    pub sandbox: bool,
    /// Sandbox mode without SMTP: mails go to the sandbox mailbox (the banner links to it).
    pub sandbox_mail: bool,
    /// Path and query of this page, where the language switcher returns to.
    pub here: String,
    /// The user's unread notifications (the bell).
    pub unread: i64,
}

impl Page {
    pub async fn build(req: &HttpRequest) -> Result<Page, AppError> {
        PortalSession::of(req).check_available()?;
        let user = current_user::load(req).await?;
        let session = PortalSession::of(req);
        let state = req.app_data::<web::Data<AppState>>();
        let sandbox = state.is_some_and(|s| s.sandbox());
        let sandbox_mail = state
            .is_some_and(|s| s.sandbox() && s.mailer.as_ref().is_some_and(|m| m.is_simulated()));
        let unread = match (&user, state) {
            (Some(user), Some(state)) => state.accounts.unread_notifications(user.id).await?,
            _ => 0,
        };
        Ok(Page {
            t: Lang::from_request(req).catalog(),
            user,
            csrf_token: session.csrf_token(),
            flashes: session.take_flashes(),
            sandbox,
            sandbox_mail,
            unread,
            here: req
                .uri()
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
        })
    }

    /// For a logged-in person whose email is not proven yet, what the layout asks of them.
    pub fn verification_banner(&self) -> Option<String> {
        self.user.as_ref().filter(|u| !u.is_verified()).map(|u| {
            self.t
                .format("verify-banner", &[("email", u.email.clone().into())])
        })
    }

    pub fn lang_code(&self) -> &'static str {
        self.t.lang().code()
    }

    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == crate::domain::Role::Admin)
    }

    /// Support staff and platform admins see the support area.
    pub fn is_support(&self) -> bool {
        self.user.as_ref().is_some_and(|u| {
            matches!(
                u.role,
                crate::domain::Role::Support | crate::domain::Role::Admin
            )
        })
    }

    /// The bell's accessible name: "Notifications" or "3 unread notifications".
    pub fn bell_label(&self) -> String {
        match self.unread {
            0 => self.t.get("nav-notifications"),
            n => self.t.count("nav-notifications_unread", "count", n),
        }
    }

    pub fn role_label(&self) -> String {
        match &self.user {
            Some(user) => self.t.get(match user.role {
                crate::domain::Role::Admin => "role-admin",
                crate::domain::Role::Support => "role-support",
                crate::domain::Role::User => "role-user",
            }),
            None => String::new(),
        }
    }
}

impl FromRequest for Page {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Page::build(&req).await })
    }
}

/// Renders a template as an HTML response with the given status.
pub fn html(
    status: StatusCode,
    template: &impl askama::Template,
) -> Result<HttpResponse, AppError> {
    let body = template
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A 303 to `location` (after a successful form POST).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// Keeps only local paths, so `?next=` cannot send anyone to another site.
pub fn safe_next(next: &str) -> &str {
    if crate::http::is_local_path(next) {
        next
    } else {
        "/"
    }
}

/// For a response whose address carries a secret (the callback's code): no Referer at all.
pub fn no_referrer(response: HttpResponse) -> HttpResponse {
    referrer_policy(response, "no-referrer")
}

/// For an authorization link's pages, whose address is the link: no Referer to another site.
/// `same-origin`, not `no-referrer`: without a Referer the browser sends `Origin: null` with the
/// page's own form, which the CSRF check rightly refuses.
pub fn same_origin_referrer(response: HttpResponse) -> HttpResponse {
    referrer_policy(response, "same-origin")
}

fn referrer_policy(mut response: HttpResponse, policy: &'static str) -> HttpResponse {
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static(policy),
    );
    response
}
