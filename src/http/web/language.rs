use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::http::state::AppState;
use crate::http::web::page::safe_next;
use crate::i18n::{LANG_COOKIE, Lang};

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: String,
}

/// Remembers the chosen language for a year and returns to the page it was chosen on.
pub async fn switch(state: web::Data<AppState>, form: web::Form<LanguageForm>) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((actix_web::http::header::LOCATION, safe_next(&form.next)));
    if let Some(lang) = Lang::parse(&form.lang) {
        response.cookie(
            Cookie::build(LANG_COOKIE, lang.code())
                .path("/")
                .max_age(Duration::days(365))
                .same_site(SameSite::Lax)
                .http_only(true)
                .secure(state.secure_cookies())
                .finish(),
        );
    }
    response.finish()
}
