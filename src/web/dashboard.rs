use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::web::page::{Page, html};
use crate::web::templates::DashboardPage;

pub async fn show(user: CurrentUser, page: Page) -> Result<HttpResponse, AppError> {
    let member_since = user.0.created_at.format("%Y-%m-%d").to_string();
    html(StatusCode::OK, &DashboardPage { page, member_since })
}
