//! `ApiJson<T>`: the API's JSON body extractor. It requires a JSON content type, reads at most
//! `MAX_BODY_BYTES` within the body deadline, accepts only a JSON object and names what is wrong
//! with one (a field's type, a missing or repeated field) without ever repeating a value from
//! the body, which may hold a token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::http::error::AppError;
use crate::http::{body_deadline, read_body};

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(AppError::UnsupportedMediaType);
            }
            let deadline = body_deadline(&req);
            let body = read_body(&req, &mut payload, crate::MAX_BODY_BYTES, deadline).await?;
            parse(&body).map(ApiJson).map_err(AppError::BadRequest)
        })
    }
}

/// `application/json` or any `+json` type.
fn is_json(req: &HttpRequest) -> bool {
    use actix_web::mime;
    match req.mime_type() {
        Ok(Some(found)) => {
            found.type_() == mime::APPLICATION
                && (found.subtype() == mime::JSON || found.suffix() == Some(mime::JSON))
        }
        _ => false,
    }
}

/// The body as a `T`, or what is wrong with it in words that quote nothing from it.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let starts_an_object = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if !starts_an_object {
        // Serde would read an array positionally into a struct; the API takes objects only.
        return match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => Err("the body must be a JSON object".to_owned()),
            Err(e) => Err(describe(&e, "")),
        };
    }
    let mut reader = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut reader)
        .map_err(|e| describe(e.inner(), &e.path().to_string()))?;
    reader.end().map_err(|e| describe(&e, ""))?;
    Ok(value)
}

fn describe(error: &serde_json::Error, path: &str) -> String {
    use serde_json::error::Category;
    let message = error.to_string();
    match error.classify() {
        Category::Syntax | Category::Eof => format!(
            "malformed JSON (line {}, column {})",
            error.line(),
            error.column()
        ),
        Category::Io => "the request body could not be read".to_owned(),
        // These name fields of our own types, never a value.
        Category::Data if message.starts_with("missing field") => cut_position(&message),
        Category::Data if message.starts_with("duplicate field") => cut_position(&message),
        // "invalid type: string \"…\", expected …": the value is left out, the expectation kept.
        Category::Data => match message.split_once(", expected ") {
            Some((_, expected)) => {
                format!("`{path}`: expected {}", cut_position(expected))
            }
            None => format!("`{path}` has a value that cannot be used"),
        },
    }
}

/// serde_json's message without its " at line 1 column 9" suffix.
fn cut_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::api::tokens::CreateTokenRequest;

    fn problem(body: &str) -> String {
        parse::<CreateTokenRequest>(body.as_bytes())
            .err()
            .expect("refused")
    }

    #[test]
    fn refusals_name_the_problem_and_never_quote_the_body() {
        let secret = "eyJsecret.a.b";
        assert_eq!(
            problem(&format!("[\"{secret}\"]")),
            "the body must be a JSON object"
        );
        assert_eq!(
            problem(&format!("\"{secret}\"")),
            "the body must be a JSON object"
        );
        assert_eq!(problem("{}"), "missing field `token`");
        assert_eq!(
            problem(&format!("{{\"token\":\"{secret}\",\"token\":\"x\"}}")),
            "duplicate field `token`"
        );
        assert_eq!(problem("{\"token\":5}"), "`token`: expected a string");
        let text = problem(&format!("{{\"token\":\"x\",\"cif\":[\"{secret}\"]}}"));
        assert!(text.starts_with("`cif`: expected"), "{text}");
        assert!(problem("{\"token\":").starts_with("malformed JSON"));
        assert!(problem(&format!("{{\"token\":\"{secret}\"}} x")).starts_with("malformed JSON"));
        for body in [
            format!("[\"{secret}\"]"),
            format!("{{\"token\":\"{secret}\",\"token\":\"x\"}}"),
            format!("{{\"token\":\"x\",\"cif\":[\"{secret}\"]}}"),
            format!("{{\"token\":\"x\",\"cif\":{{\"{secret}\":1}}}}"),
        ] {
            assert!(!problem(&body).contains("secret"), "{body}");
        }
    }
}
