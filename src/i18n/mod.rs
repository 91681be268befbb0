//! Every user-facing sentence, in Romanian and English, from one catalog (`catalog.rs`).
//!
//! The language comes from the `lang` cookie (set by the switcher) or else `Accept-Language`;
//! Romanian when neither says.

mod catalog;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use actix_web::HttpRequest;
use actix_web::http::header;

pub const LANG_COOKIE: &str = "lang";

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
}

/// Keyed by a hash of the key's length and its first and last eight bytes: a page looks up a
/// few hundred short literal keys, and hashing every byte (SipHash, then FNV) showed in profiles.
/// Keys sharing both ends and the length only share a bucket; lookups still compare whole keys.
type Table = HashMap<&'static str, (&'static str, &'static str), BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let word = |part: &[u8]| {
            let mut buf = [0u8; 8];
            buf[..part.len()].copy_from_slice(part);
            u64::from_le_bytes(buf)
        };
        let head = word(&bytes[..bytes.len().min(8)]);
        let tail = word(&bytes[bytes.len().saturating_sub(8)..]);
        let mixed = (self.0 ^ head ^ tail.rotate_left(29) ^ bytes.len() as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = mixed ^ (mixed >> 32);
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        catalog::MESSAGES
            .iter()
            .map(|(key, en, ro)| (*key, (*en, *ro)))
            .collect()
    })
}

/// The catalog in one language; templates call `t.get("key")`.
#[derive(Debug, Clone, Copy)]
pub struct Catalog(Lang);

impl Catalog {
    pub fn lang(&self) -> Lang {
        self.0
    }

    pub fn get(&self, key: &str) -> &'static str {
        match table().get(key) {
            Some((en, ro)) => match self.0 {
                Lang::En => en,
                Lang::Ro => ro,
            },
            None => {
                tracing::warn!(key, "missing catalog entry");
                "⚠ missing text"
            }
        }
    }

    /// A message with `{}` placeholders filled in order.
    pub fn format(&self, key: &str, args: &[&dyn std::fmt::Display]) -> String {
        use std::fmt::Write;
        let text = self.get(key);
        let mut out = String::with_capacity(text.len() + 16);
        let mut args = args.iter();
        let mut pieces = text.split("{}").peekable();
        while let Some(piece) = pieces.next() {
            out.push_str(piece);
            if pieces.peek().is_some()
                && let Some(arg) = args.next()
            {
                let _ = write!(out, "{arg}");
            }
        }
        out
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
    fn catalog_keys_are_unique_and_complete() {
        let mut seen = std::collections::HashSet::new();
        for (key, en, ro) in catalog::MESSAGES {
            assert!(seen.insert(*key), "duplicate key {key}");
            assert!(
                !en.is_empty() && !ro.is_empty(),
                "{key} lacks a translation"
            );
            assert_eq!(
                en.matches("{}").count(),
                ro.matches("{}").count(),
                "{key} placeholders"
            );
        }
    }

    /// Every `t.get("…")` / `t.format("…"` in templates and source names a catalog entry.
    #[test]
    fn every_used_key_exists() {
        fn scan(dir: &std::path::Path, found: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    scan(&path, found);
                } else if path.ends_with("i18n/mod.rs") {
                    continue;
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    for marker in ["t.get(\"", "t.format(\"", "msg(\""] {
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
        assert!(
            found.len() > 20,
            "the scan found too few keys to be working"
        );
        let missing: Vec<_> = found
            .iter()
            .filter(|(_, key)| {
                // Catalog keys are dotted lower-case names; anything else is another `format`.
                let is_key = !key.is_empty()
                    && key.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'
                    });
                is_key && !table().contains_key(key.as_str())
            })
            .collect();
        assert!(
            missing.is_empty(),
            "keys missing from the catalog: {missing:?}"
        );
    }
}
