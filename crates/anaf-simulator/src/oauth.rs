//! ANAF's OAuth server: `/anaf-oauth2/v1/{authorize,token,revoke}`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use sha2::{Digest, Sha256};

use super::faults;
use super::request::{
    Params, bad_request, basic_credentials, client_auth_style, draft_call, is_form_urlencoded,
};
use super::state::{CODE_LIFETIME_SECONDS, PendingCode, State, TokenKind, token_key};
use super::tokens::{issue_pair, random_token};
use super::{
    ClientAuthStyle, RefreshMode, RegisteredClient, RevokeMode, SimData, SimEndpoint, Simulator,
};

/// The value of `sim_certificate` (or of the auto-approve switch) that means "no certificate".
pub(crate) const NO_CERTIFICATE: &str = "none";

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/anaf-oauth2/v1/authorize", web::get().to(authorize))
        .route("/anaf-oauth2/v1/token", web::post().to(token))
        .route("/anaf-oauth2/v1/revoke", web::post().to(revoke))
        .route("/anaf-oauth2/v1/login", web::get().to(login_wall));
}

// ---------------------------------------------------------------------------------------------
// authorize

#[derive(Template)]
#[template(path = "authorize.html")]
struct AuthorizePage<'a> {
    client_id: &'a str,
    redirect_uri: &'a str,
    certificates: Vec<CertificateRow>,
    hidden: Vec<(String, String)>,
}

struct CertificateRow {
    input_id: String,
    serial: String,
    holder: String,
    issuer: String,
    cifs: String,
}

/// Parameters of the authorize request carried through the certificate page.
const CARRIED_PARAMS: &[&str] = &[
    "client_id",
    "response_type",
    "redirect_uri",
    "state",
    "token_content_type",
    "code_challenge",
    "code_challenge_method",
];

async fn authorize(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let sim = &data.0;
    let parsed = Params::parse(req.query_string().as_bytes());
    let params = parsed
        .as_ref()
        .map_or_else(|_| Params::default(), |p| Params(p.0.clone()));
    let call = draft_call(SimEndpoint::Authorize, &req, &params, ClientAuthStyle::None);
    faults::handle(sim, call, |sim| match parsed {
        Err(e) => bad_request("invalid_request", &e),
        Ok(params) => authorize_logic(sim, &params),
    })
    .await
}

fn authorize_logic(sim: &Simulator, params: &Params) -> HttpResponse {
    let mut st = sim.lock();
    if let Some(name) = params.repeated() {
        return bad_request("invalid_request", &format!("Parameter {name} is repeated."));
    }
    let client_id = params.get("client_id").unwrap_or_default();
    let Some(client) = st.find_client(client_id).cloned() else {
        return bad_request(
            "invalid_request",
            &format!("Client-ID ({client_id}) is not registered."),
        );
    };
    let redirect_uri = params.get("redirect_uri").unwrap_or_default();
    if redirect_uri != client.redirect_uri {
        return bad_request(
            "invalid_request",
            &format!("Redirect-URI ({redirect_uri}) does not match with client app configuration."),
        );
    }
    match params.get("response_type") {
        Some("code") => {}
        other => {
            return bad_request(
                "unsupported_response_type",
                &format!(
                    "Response type ({}) is not supported.",
                    other.unwrap_or_default()
                ),
            );
        }
    }
    let code_challenge = params.get("code_challenge").map(str::to_string);
    if let Some(challenge) = &code_challenge {
        if params.get("code_challenge_method") != Some("S256") {
            return bad_request(
                "invalid_request",
                "Only code_challenge_method=S256 is supported.",
            );
        }
        if !(43..=128).contains(&challenge.len()) {
            return bad_request("invalid_request", "Malformed code_challenge.");
        }
    }
    let state_param = params.get("state");

    let choice = params
        .get("sim_certificate")
        .map(str::to_string)
        .or_else(|| st.auto_approve.clone());
    let Some(choice) = choice else {
        return render_page(&st, &client, params);
    };
    if choice.eq_ignore_ascii_case(NO_CERTIFICATE) {
        return redirect_to_client(
            &client.redirect_uri,
            &[("error", "access_denied")],
            state_param,
        );
    }
    let Some(cert) = st.find_certificate(&choice).cloned() else {
        return bad_request(
            "invalid_request",
            &format!("Unknown test certificate serial ({choice})."),
        );
    };
    st.prune_codes();
    let code = random_token(24);
    let expires_at = st.now() + Duration::seconds(CODE_LIFETIME_SECONDS);
    st.codes.insert(
        token_key(&code),
        PendingCode {
            client_id: client.client_id.clone(),
            redirect_uri: client.redirect_uri.clone(),
            certificate_serial: cert.serial,
            expires_at,
            code_challenge,
        },
    );
    redirect_to_client(&client.redirect_uri, &[("code", &code)], state_param)
}

fn redirect_to_client(
    redirect_uri: &str,
    pairs: &[(&str, &str)],
    state_param: Option<&str>,
) -> HttpResponse {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return bad_request("invalid_request", "Registered redirect URI is not a URL.");
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(s) = state_param {
            query.append_pair("state", s);
        }
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn render_page(st: &State, client: &RegisteredClient, params: &Params) -> HttpResponse {
    let certificates = st
        .certificates
        .iter()
        .enumerate()
        .map(|(i, c)| CertificateRow {
            input_id: format!("cert-{i}"),
            serial: c.serial.clone(),
            holder: c.holder.clone(),
            issuer: c.issuer.clone(),
            cifs: if c.cifs.is_empty() {
                "none (niciun CIF)".to_string()
            } else {
                c.cifs.join(", ")
            },
        })
        .collect();
    let mut hidden: Vec<(String, String)> = CARRIED_PARAMS
        .iter()
        .filter_map(|name| params.get(name).map(|v| (name.to_string(), v.to_string())))
        .collect();
    // The portal's forms all carry one; the simulator ignores it.
    hidden.push(("csrf_token".to_string(), random_token(16)));
    let page = AuthorizePage {
        client_id: &client.client_id,
        redirect_uri: &client.redirect_uri,
        certificates,
        hidden,
    };
    match page.render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "ANAF simulator: authorize page failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// token

async fn token(data: web::Data<SimData>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let sim = &data.0;
    let form = is_form_urlencoded(&req);
    let parsed = if form {
        Params::parse(&body)
    } else {
        Err("Content-Type must be application/x-www-form-urlencoded.".to_string())
    };
    let params = parsed
        .as_ref()
        .map_or_else(|_| Params::default(), |p| Params(p.0.clone()));
    let call = draft_call(
        SimEndpoint::Token,
        &req,
        &params,
        client_auth_style(&req, &params),
    );
    faults::handle(sim, call, |sim| match parsed {
        Err(e) => bad_request("invalid_request", &e),
        Ok(params) => token_logic(sim, &req, &params),
    })
    .await
}

/// A refused client authentication: the OAuth error code and its description.
type Refusal = (&'static str, &'static str);

/// Authenticates the client by Basic header or body fields.
fn authenticate_client(
    st: &State,
    req: &HttpRequest,
    params: &Params,
) -> Result<RegisteredClient, Refusal> {
    let body_id = params.get("client_id");
    let (id, secret) = match basic_credentials(req) {
        Some(Err(())) => return Err(("invalid_client", "Malformed Basic authorization header.")),
        Some(Ok((id, secret))) => {
            if body_id.is_some_and(|b| b != id) {
                return Err((
                    "invalid_request",
                    "client_id in the body differs from the Basic authorization header.",
                ));
            }
            (id, secret)
        }
        None => match (body_id, params.get("client_secret")) {
            (Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
            _ => {
                return Err((
                    "invalid_client",
                    "Client authentication is required (Basic header or client_id and client_secret).",
                ));
            }
        },
    };
    match st.find_client(&id) {
        Some(client) if client.client_secret == secret => Ok(client.clone()),
        _ => Err(("invalid_client", "Bad client credentials")),
    }
}

fn token_logic(sim: &Simulator, req: &HttpRequest, params: &Params) -> HttpResponse {
    let mut st = sim.lock();
    if let Some(name) = params.repeated() {
        return bad_request("invalid_request", &format!("Parameter {name} is repeated."));
    }
    let client = match authenticate_client(&st, req, params) {
        Ok(c) => c,
        Err((error, description)) => return client_refused(&st, error, description),
    };
    match params.get("grant_type") {
        None => bad_request("invalid_request", "Missing grant type"),
        Some("authorization_code") => exchange_code(sim, &mut st, &client, params),
        Some("refresh_token") => refresh(sim, &mut st, &client, params),
        Some(other) => bad_request(
            "unsupported_grant_type",
            &format!("Unsupported grant type: {other}"),
        ),
    }
}

fn exchange_code(
    sim: &Simulator,
    st: &mut State,
    client: &RegisteredClient,
    params: &Params,
) -> HttpResponse {
    let Some(code) = params.get("code") else {
        return bad_request("invalid_request", "Missing authorization code.");
    };
    // Single use: the code is gone whatever happens next.
    let Some(pending) = st.codes.remove(&token_key(code)) else {
        return bad_request("invalid_grant", "Invalid authorization code.");
    };
    if pending.expires_at <= st.now() {
        return bad_request("invalid_grant", "Authorization code has expired.");
    }
    if pending.client_id != client.client_id {
        return bad_request(
            "invalid_grant",
            "Authorization code was issued to another client.",
        );
    }
    if params.get("redirect_uri") != Some(pending.redirect_uri.as_str()) {
        return bad_request(
            "invalid_grant",
            "Redirect URI does not match the one of the authorization request.",
        );
    }
    if let Some(challenge) = &pending.code_challenge {
        let Some(verifier) = params.get("code_verifier") else {
            return bad_request("invalid_grant", "Missing code_verifier.");
        };
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if &computed != challenge {
            return bad_request("invalid_grant", "Invalid code_verifier.");
        }
    }
    let Some(cert) = st.find_certificate(&pending.certificate_serial).cloned() else {
        return bad_request("invalid_grant", "The certificate is no longer valid.");
    };
    let jwt = params.get("token_content_type") == Some("jwt");
    let pair = issue_pair(st, sim.keys(), &cert, &client.client_id, jwt, None);
    token_answer(st, pair)
}

/// ANAF's answer for an expired, revoked or rotated refresh token.
const REFRESH_EXPIRED: &str = "Refresh Token status is expired";

fn refresh(
    sim: &Simulator,
    st: &mut State,
    client: &RegisteredClient,
    params: &Params,
) -> HttpResponse {
    let Some(refresh_token) = params.get("refresh_token") else {
        return bad_request("invalid_request", "Missing refresh token.");
    };
    let key = token_key(refresh_token);
    let now = st.now();
    let expired_error = st.variants.expired_refresh_error.clone();
    let (serial, old_jwt, old_expiry) = match st.tokens.get(&key) {
        Some(rec) if rec.kind == TokenKind::Refresh => {
            if rec.revoked || rec.expires_at <= now {
                return bad_request(&expired_error, REFRESH_EXPIRED);
            }
            if rec.client_id != client.client_id {
                return bad_request(
                    "invalid_grant",
                    "Refresh token was issued to another client.",
                );
            }
            (rec.certificate_serial.clone(), rec.jwt, rec.expires_at)
        }
        _ => return bad_request("invalid_grant", "Invalid refresh token."),
    };
    let Some(cert) = st.find_certificate(&serial).cloned() else {
        return bad_request(&expired_error, REFRESH_EXPIRED);
    };
    // Without token_content_type the new pair keeps the format of the refresh token (ANAF's own
    // page refreshes without the parameter and gets JWTs back).
    let jwt = params
        .get("token_content_type")
        .map_or(old_jwt, |v| v == "jwt");
    if st.refresh_mode == RefreshMode::Rotating
        && let Some(rec) = st.tokens.get_mut(&key)
    {
        rec.revoked = true;
    }
    let keep_expiry = (!st.variants.refresh_restarts_lifetime).then_some(old_expiry);
    let pair = issue_pair(st, sim.keys(), &cert, &client.client_id, jwt, keep_expiry);
    token_answer(st, pair)
}

fn token_answer(st: &State, pair: anyhow::Result<super::TokenPair>) -> HttpResponse {
    match pair.and_then(|p| Ok(serde_json::to_value(p)?)) {
        Ok(mut body) => {
            if st.variants.token_response_scope
                && let Some(map) = body.as_object_mut()
            {
                map.insert("scope".into(), super::tokens::SCOPE.into());
            }
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::PRAGMA, "no-cache"))
                .json(body)
        }
        Err(e) => {
            tracing::error!(error = %e, "ANAF simulator: could not issue tokens");
            super::request::oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Could not issue tokens.",
            )
        }
    }
}

/// A refused client authentication; `invalid_client` uses the configured status (400 or 401).
fn client_refused(st: &State, error: &str, description: &str) -> HttpResponse {
    if error == "invalid_client" && st.variants.invalid_client_status == 401 {
        let mut resp = super::request::oauth_error(StatusCode::UNAUTHORIZED, error, description);
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"oauth2/client\""),
        );
        resp
    } else {
        bad_request(error, description)
    }
}

// ---------------------------------------------------------------------------------------------
// revoke

async fn revoke(data: web::Data<SimData>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let sim = &data.0;
    let form = is_form_urlencoded(&req);
    let parsed = if form {
        Params::parse(&body)
    } else {
        Err("Content-Type must be application/x-www-form-urlencoded.".to_string())
    };
    let params = parsed
        .as_ref()
        .map_or_else(|_| Params::default(), |p| Params(p.0.clone()));
    let call = draft_call(
        SimEndpoint::Revoke,
        &req,
        &params,
        client_auth_style(&req, &params),
    );
    faults::handle(sim, call, |sim| {
        let mode = sim.lock().revoke_mode;
        match (mode, parsed) {
            // As ANAF reportedly answers: a redirect to a login wall, nothing revoked.
            (RevokeMode::AnafRedirect, _) => HttpResponse::Found()
                .insert_header((header::LOCATION, "login"))
                .finish(),
            (RevokeMode::Rfc7009, Err(e)) => bad_request("invalid_request", &e),
            (RevokeMode::Rfc7009, Ok(params)) => revoke_rfc7009(sim, &req, &params),
        }
    })
    .await
}

fn revoke_rfc7009(sim: &Simulator, req: &HttpRequest, params: &Params) -> HttpResponse {
    let mut st = sim.lock();
    let client = match authenticate_client(&st, req, params) {
        Ok(c) => c,
        Err((error, description)) => return client_refused(&st, error, description),
    };
    let Some(token) = params.get("token") else {
        return bad_request("invalid_request", "Missing token.");
    };
    match params.get("token_type_hint") {
        None | Some("access_token") | Some("refresh_token") => {}
        Some(other) => {
            return bad_request(
                "unsupported_token_type",
                &format!("Unsupported token type hint: {other}"),
            );
        }
    }
    let key = token_key(token);
    let (kind, grant_id) = match st.tokens.get(&key) {
        // RFC 7009 §2.2: an unknown token is answered with 200 too.
        None => return HttpResponse::Ok().finish(),
        Some(rec) if rec.client_id != client.client_id => {
            return bad_request(
                "unauthorized_client",
                "The token was issued to another client.",
            );
        }
        Some(rec) => (rec.kind, rec.grant_id),
    };
    for rec in st.tokens.values_mut() {
        // Revoking a refresh token also revokes the access token issued with it.
        let same_pair = kind == TokenKind::Refresh && rec.grant_id == grant_id;
        if same_pair {
            rec.revoked = true;
        }
    }
    if let Some(rec) = st.tokens.get_mut(&key) {
        rec.revoked = true;
    }
    HttpResponse::Ok().finish()
}

/// Where ANAF's `/revoke` reportedly sends clients: a login wall (HTML, 200).
async fn login_wall() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            "<!DOCTYPE html>\n<html lang=\"ro\"><head><meta charset=\"utf-8\"><title>ANAF SIMULATOR - Autentificare</title>\
             <link rel=\"stylesheet\" href=\"../../__sim/simulator.css\"></head>\
             <body><main><p class=\"sim-banner\">ANAF SIMULATOR (sandbox)</p><h1>Autentificare</h1>\
             <p>This is where ANAF's <code>/revoke</code> reportedly redirects: a login page. Nothing was revoked.</p>\
             </main></body></html>\n",
        )
}
