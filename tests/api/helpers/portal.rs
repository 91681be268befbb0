//! Journeys through the portal's pages that several test modules take: adding a company,
//! authorization links (created by an accountant, followed by a certificate holder), members and
//! their invitations, support accounts, and the catalog messages only the English pages show.

use reqwest::StatusCode;

use super::{TestApp, location};

impl TestApp {
    /// Presses Reveal for `token` on `company`'s page: the answer's status and page.
    pub async fn reveal(&self, company: i64, token: i64) -> (StatusCode, String) {
        let response = self
            .post_form(
                &format!("/companies/{company}"),
                &format!("/tokens/{token}/reveal"),
                &[],
            )
            .await;
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    /// Adds a company and returns its id.
    pub async fn add_company(&self, cif: &str, name: &str) -> i64 {
        let response = self
            .post_form("/", "/companies", &[("cif", cif), ("name", name)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "adding {cif}");
        location(&response)
            .trim_start_matches("/companies/")
            .parse()
            .expect("company id in the redirect")
    }
}

/// The link just created: its id and the holder's path (`/l/<secret>`).
pub struct NewLink {
    pub id: i64,
    pub path: String,
    pub page: String,
}

impl TestApp {
    /// Posts the link form; the response.
    pub async fn post_link_form(
        &self,
        companies: &[i64],
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let ids: Vec<String> = companies.iter().map(i64::to_string).collect();
        let mut form: Vec<(&str, &str)> = ids.iter().map(|id| ("company", id.as_str())).collect();
        form.extend_from_slice(fields);
        self.post_form("/links/new", "/links", &form).await
    }

    /// Creates a link for `companies`, valid 7 days; panics unless it was created.
    pub async fn create_link(&self, companies: &[i64]) -> NewLink {
        let response = self.post_link_form(companies, &[("days", "7")]).await;
        assert_eq!(response.status(), StatusCode::OK, "link created");
        let page = response.text().await.unwrap();
        let marker = "data-link-url>";
        let start = page.find(marker).expect("the page shows the link") + marker.len();
        let end = page[start..].find("</textarea>").unwrap();
        let url = page[start..start + end].trim().to_owned();
        let path = url
            .strip_prefix(&self.address)
            .expect("the link is on the portal's base URL")
            .to_owned();
        assert!(path.starts_with("/l/"), "{path}");
        let marker = "href=\"/links/";
        let start = page.find(marker).expect("a link to follow it") + marker.len();
        let id = page[start..]
            .split('"')
            .next()
            .unwrap()
            .parse()
            .expect("link id");
        NewLink { id, path, page }
    }

    /// The holder presses Connect ANAF on the link's page; the authorize URL.
    pub async fn press_link_connect(&self, path: &str) -> String {
        let response = self.post_form(path, &format!("{path}/connect"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "connect starts");
        assert_eq!(response.headers()["referrer-policy"], "same-origin");
        location(&response)
    }

    /// GETs a link's callback URL and follows the 303 to its outcome page: status and HTML.
    pub async fn link_callback(&self, callback: &str) -> (StatusCode, String) {
        let response = self.client.get(callback).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "callback redirects"
        );
        let to = location(&response);
        assert!(to.starts_with("/l/done/"), "{to}");
        assert_eq!(response.headers()["referrer-policy"], "same-origin");
        let page = self.get(&to).await;
        let status = page.status();
        (status, page.text().await.unwrap())
    }

    /// The whole journey of a holder: open, Connect ANAF, choose a certificate, come back.
    pub async fn holder_connects(&self, path: &str, serial: &str) -> (StatusCode, String) {
        let authorize = self.press_link_connect(path).await;
        let callback = self.choose_certificate(&authorize, serial).await;
        self.link_callback(&callback).await
    }
}

pub async fn user_id_of(app: &TestApp, email: &str) -> anaf_portal::domain::UserId {
    let db = app.db();
    let email = anaf_portal::domain::Email::parse(email).unwrap();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        anaf_portal::db::models::users::find_by_email(&mut conn, &email)
            .unwrap()
            .expect("user exists")
            .id
    })
    .await
    .unwrap()
}

/// A browser of a newly registered user.
pub async fn new_user(app: &TestApp, email: &str) -> TestApp {
    let browser = app.second_browser();
    browser.register_logged_in(email).await;
    browser
}

/// The ids of the invitations waiting on `browser`'s dashboard.
pub async fn invitations_on_dashboard(browser: &TestApp) -> Vec<i64> {
    let html = browser.get_html("/").await;
    html.match_indices("action=\"/invitations/")
        .filter_map(|(at, marker)| {
            let rest = &html[at + marker.len()..];
            let (id, action) = rest.split_once('/')?;
            action
                .starts_with("accept")
                .then(|| id.parse().ok())
                .flatten()
        })
        .collect()
}

/// `admin` invites `email` to `company` as `role`, and `member` (logged in as `email`) accepts
/// on their dashboard.
pub async fn add_member(admin: &TestApp, company: i64, member: &TestApp, email: &str, role: &str) {
    let members = format!("/companies/{company}/members");
    let r = admin
        .post_form(&members, &members, &[("email", email), ("role", role)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let waiting = invitations_on_dashboard(member).await;
    let id = waiting.first().expect("the invitation is on the dashboard");
    let r = member
        .post_form("/", &format!("/invitations/{id}/accept"), &[])
        .await;
    assert_eq!(location(&r), format!("/companies/{company}"));
}

pub async fn make_support(admin: &TestApp, email: &str) -> TestApp {
    let support = new_user(admin, email).await;
    let id = user_id_of(admin, email).await;
    let response = admin
        .post_form(
            "/admin/users",
            &format!("/admin/users/{id}/role"),
            &[("role", "support")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    support
}

/// Every simple message of the English catalog (no variables, long enough to be a sentence or a
/// label of its own) that the Romanian catalog says differently.
pub fn english_only_messages() -> Vec<String> {
    let read = |lang: &str| -> std::collections::BTreeMap<String, String> {
        let path = format!("{}/locales/{lang}/portal.ftl", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path)
            .expect("catalog")
            .lines()
            .filter_map(|line| {
                let (id, value) = line.split_once(" = ")?;
                let simple = !id.starts_with(' ') && !value.contains('{') && !value.is_empty();
                simple.then(|| (id.to_owned(), value.trim().to_owned()))
            })
            .collect()
    };
    let (en, ro) = (read("en"), read("ro"));
    en.into_iter()
        .filter(|(id, value)| value.len() >= 12 && ro.get(id) != Some(value))
        .map(|(_, value)| value)
        .collect()
}
