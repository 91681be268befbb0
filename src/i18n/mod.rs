//! Every user-facing sentence, in Romanian and English: Fluent messages in
//! `locales/{ro,en}/portal.ftl`, compiled into the binary. Plurals follow CLDR (Romanian: `1 zi`,
//! `2 zile`, `20 de zile`).
//!
//! The language comes from the `lang` cookie (set by the switcher) or else `Accept-Language`;
//! Romanian when neither says.

use std::borrow::Cow;
use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::http::header;
pub use fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

pub const LANG_COOKIE: &str = "lang";

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ro",
        // No Unicode isolation marks around values: the pages are left-to-right only.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static RO: LanguageIdentifier = langid!("ro");
static EN: LanguageIdentifier = langid!("en");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ro,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ro => "ro",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "ro" => Some(Lang::Ro),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn from_request(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::Ro)
    }

    /// The supported language with the highest quality in an `Accept-Language` header.
    fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?;
                Lang::parse(primary).map(|lang| (lang, quality))
            })
            .filter(|(_, q)| *q > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(lang, _)| lang)
    }

    pub fn catalog(self) -> Catalog {
        Catalog(self)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Ro => &RO,
            Lang::En => &EN,
        }
    }
}

/// The messages in one language; templates call `t.get("message-id")`.
#[derive(Debug, Clone, Copy)]
pub struct Catalog(Lang);

impl Catalog {
    pub fn lang(&self) -> Lang {
        self.0
    }

    /// A message without variables.
    pub fn get(&self, id: &str) -> String {
        self.lookup(id, None)
    }

    /// A message with its variables, e.g. `t.format("time-in_days", &[("days", 3.into())])`.
    pub fn format(&self, id: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        self.lookup(id, Some(&args))
    }

    /// A message whose one variable is a number (plural forms choose by it).
    pub fn count(&self, id: &str, name: &'static str, n: i64) -> String {
        self.format(id, &[(name, n.into())])
    }

    /// A moment in Romanian time (where the companies and ANAF are), as pages show it:
    /// `16.03.2026 12:30` in Romanian, `2026-03-16 12:30` in English.
    pub fn local_date_time(&self, at: chrono::NaiveDateTime) -> String {
        let local = at.and_utc().with_timezone(&chrono_tz::Europe::Bucharest);
        let pattern = match self.0 {
            Lang::Ro => "%d.%m.%Y %H:%M",
            Lang::En => "%Y-%m-%d %H:%M",
        };
        local.format(pattern).to_string()
    }

    /// The same with the zone named, for a reader who may be elsewhere (email).
    pub fn local_date_time_zoned(&self, at: chrono::NaiveDateTime) -> String {
        format!(
            "{} ({})",
            self.local_date_time(at),
            self.get("time-romania")
        )
    }

    fn lookup(&self, id: &str, args: Option<&HashMap<Cow<'static, str>, FluentValue>>) -> String {
        match LOCALES.try_lookup_complete(self.0.id(), id, args) {
            Some(text) => text,
            None => {
                tracing::warn!(id, "missing message");
                "⚠ missing text".to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("de;q=1, ro;q=0.8, en;q=0.5"),
            Some(Lang::Ro)
        );
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(
            Lang::from_accept_language("en;q=0, ro;q=0.1"),
            Some(Lang::Ro)
        );
    }

    #[test]
    fn plurals_follow_cldr() {
        let ro = Lang::Ro.catalog();
        let days = |n| ro.count("time-in_days", "days", n);
        assert_eq!(days(1), "peste o zi");
        assert_eq!(days(2), "peste 2 zile");
        assert_eq!(days(19), "peste 19 zile");
        assert_eq!(days(20), "peste 20 de zile");
        let en = Lang::En.catalog();
        assert_eq!(en.count("time-in_days", "days", 1), "in 1 day");
        assert_eq!(en.count("time-in_days", "days", 2), "in 2 days");
    }

    fn ftl_ids(lang: &str) -> std::collections::BTreeSet<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang)
            .join("portal.ftl");
        std::fs::read_to_string(path)
            .expect("ftl file")
            .lines()
            .filter_map(|line| {
                let (id, _) = line.split_once(" =")?;
                id.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    .then(|| id.to_owned())
            })
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let ro = ftl_ids("ro");
        assert!(
            ro.len() > 100,
            "the scan found too few messages to be working"
        );
        assert_eq!(ro, ftl_ids("en"));
    }

    /// Every `t.get("…")` / `t.format("…"` / `t.count("…"` in templates and source names a message.
    #[test]
    fn every_used_message_exists() {
        fn scan(dir: &std::path::Path, found: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    scan(&path, found);
                } else if path.ends_with("i18n/mod.rs") {
                    continue;
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    for marker in ["t.get(\"", "t.format(\"", "t.count(\"", "msg(\""] {
                        for (i, _) in text.match_indices(marker) {
                            // `created_at.format("%Y")` is not a catalog call.
                            let before = text[..i].chars().next_back();
                            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                                continue;
                            }
                            let rest = &text[i + marker.len()..];
                            if let Some(end) = rest.find('"') {
                                found.push((path.display().to_string(), rest[..end].to_owned()));
                            }
                        }
                    }
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = Vec::new();
        scan(&root.join("templates"), &mut found);
        scan(&root.join("src"), &mut found);
        assert!(found.len() > 20, "the scan found too few ids to be working");
        let ids = ftl_ids("ro");
        let missing: Vec<_> = found
            .iter()
            .filter(|(_, id)| {
                // Message ids are lower-case words joined by `-` and `_`; anything else is
                // another `format`.
                let is_id = !id.is_empty()
                    && id.contains('-')
                    && id.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    });
                is_id && !ids.contains(id.as_str())
            })
            .collect();
        assert!(missing.is_empty(), "messages missing: {missing:?}");
    }
}
