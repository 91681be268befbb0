use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;

use crate::http::state::AppState;

/// 200 when the database answers a query, 503 otherwise (for load balancers and monitors).
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let answered = state
        .db
        .run(|conn| Ok(diesel::sql_query("SELECT 1").execute(conn)?))
        .await;
    match answered {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"}))
        }
    }
}
