//! The account pages: forgot password, the reset link's page, account settings, sessions.

use askama::Template;

use crate::http::web::page::Page;
use crate::i18n::Catalog;

#[derive(Template)]
#[template(path = "account/forgot.html")]
pub struct ForgotPage {
    pub page: Page,
    pub email: String,
    pub error: Option<String>,
    /// After a request: what the person is told, whatever the address.
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "account/reset.html")]
pub struct ResetPage {
    pub page: Page,
    /// The form's own address (it carries the secret; the page sends no Referer elsewhere).
    pub action: String,
    pub email: String,
    pub intro: String,
    pub password_error: Option<String>,
    pub confirm_error: Option<String>,
}

/// A link that does not work, or the end of a reset: a title, a sentence and where to go.
#[derive(Template)]
#[template(path = "account/outcome.html")]
pub struct OutcomePage {
    pub page: Page,
    pub title: String,
    pub message: String,
    pub link: &'static str,
    pub link_label: String,
}

#[derive(Template)]
#[template(path = "account/settings.html")]
pub struct SettingsPage {
    pub page: Page,
    pub email: String,
    pub verified: bool,
    pub language: String,
    pub new_email: String,
    pub email_error: Option<String>,
    pub email_password_error: Option<String>,
    pub current_error: Option<String>,
    pub password_error: Option<String>,
    pub confirm_error: Option<String>,
}

pub struct SessionView {
    pub public_id: String,
    pub browser: String,
    pub ip: String,
    pub started: String,
    pub last_seen: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
pub struct SessionsPage {
    pub page: Page,
    pub sessions: Vec<SessionView>,
    pub others: usize,
}

/// "Firefox · Linux" from a User-Agent header: enough for a person to recognise a device.
pub fn browser_label(agent: Option<&str>, t: &Catalog) -> String {
    let Some(agent) = agent.filter(|a| !a.trim().is_empty()) else {
        return t.get("sessions-unknown_browser");
    };
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find_map(|(marker, name)| agent.contains(marker).then_some(name));
    let system = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find_map(|(marker, name)| agent.contains(marker).then_some(name));
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} · {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("{} · {s}", t.get("sessions-unknown_browser")),
        (None, None) => {
            // Unrecognised: its first word, which names the program.
            let first: String = agent
                .split_whitespace()
                .next()
                .unwrap_or(agent)
                .chars()
                .take(40)
                .collect();
            first
        }
    }
}

#[cfg(test)]
mod tests {
    use super::browser_label;
    use crate::i18n::Lang;

    #[test]
    fn browsers_are_named_by_what_their_agent_says_first() {
        let t = Lang::En.catalog();
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(browser_label(Some(firefox), &t), "Firefox · Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(browser_label(Some(edge), &t), "Edge · Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_label(Some(safari), &t), "Safari · iOS");
        assert_eq!(browser_label(Some("reqwest/0.12"), &t), "reqwest/0.12");
        assert_eq!(browser_label(None, &t), t.get("sessions-unknown_browser"));
    }
}
