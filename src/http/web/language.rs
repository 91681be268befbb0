use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::http::auth::current_user;
use crate::http::error::AppError;
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

/// The cookie that remembers `lang` for this browser, for a year.
pub fn cookie(lang: Lang, secure: bool) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .max_age(Duration::days(365))
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(secure)
        .finish()
}

/// Remembers the chosen language and returns to the page it was chosen on. For a person logged
/// in it is also their saved preference: the language of their mail and of their next logins.
pub async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LanguageForm>,
) -> Result<HttpResponse, AppError> {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((actix_web::http::header::LOCATION, safe_next(&form.next)));
    if let Some(lang) = Lang::parse(&form.lang) {
        if let Some(user) = current_user::load(&req).await? {
            let actor = state.actor(&req, Some(user.id));
            state.accounts.set_language(&actor, &user, lang).await?;
        }
        response.cookie(cookie(lang, state.secure_cookies()));
    }
    Ok(response.finish())
}
