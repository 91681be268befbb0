//! `spawn_app()`: the real application on a real port with a fresh database (a new SQLite file, or
//! a new PostgreSQL database when `TEST_DATABASE_URL` is set), and a cookie-keeping HTTP client.

use std::sync::Arc;

use anaf_portal::cli::{Cli, Command};
use anaf_portal::config::{Config, ServeArgs};
use anaf_portal::startup::Application;
use clap::Parser;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Response, StatusCode, redirect};

pub const STRONG_PASSWORD: &str = "verde-munte-cafea-2026";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub database_url: String,
    pub data_dir: std::sync::Arc<TestData>,
    /// The running application's pool, for its query counter.
    pub app_db: anaf_portal::db::Db,
}

/// A test's own files, and the PostgreSQL database it created: both go when the test ends, so
/// that a suite of a few hundred tests does not fill the disk with databases nobody reads again.
pub struct TestData {
    dir: tempfile::TempDir,
    /// The server's admin URL and the database's name, when this test created one.
    postgres: Option<(String, String)>,
}

impl TestData {
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for TestData {
    fn drop(&mut self) {
        use diesel::{Connection, RunQueryDsl, pg::PgConnection};
        let Some((admin_url, name)) = &self.postgres else {
            return;
        };
        // FORCE ends the connections of the instances still running; a database left behind
        // only costs disk, so a failure here must not fail the test.
        if let Ok(mut conn) = PgConnection::establish(admin_url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// Settings as the command line would parse them, with test defaults.
pub fn test_args(existing_database: Option<&str>, extra: &[&str]) -> (ServeArgs, TestData, String) {
    let mut data_dir = TestData {
        dir: tempfile::tempdir().expect("temp dir"),
        postgres: None,
    };
    let database_url = match (existing_database, std::env::var("TEST_DATABASE_URL")) {
        (Some(url), _) => url.to_owned(),
        (None, Ok(admin_url)) if !admin_url.is_empty() => {
            let name = fresh_postgres_database(&admin_url);
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            data_dir.postgres = Some((admin_url, name));
            url.to_string()
        }
        (None, _) => data_dir.path().join("test.sqlite3").display().to_string(),
    };
    let mut argv = vec!["anaf-portal".to_owned(), "serve".to_owned()];
    // A test may choose the port (a server that must know the portal's callback first).
    if !extra.contains(&"--bind") {
        argv.extend(["--bind".to_owned(), "127.0.0.1:0".to_owned()]);
    }
    // The refresh engine runs only where a test asks for it: elsewhere a test's own ANAF call
    // counts must not include the engine's.
    if !extra.contains(&"--worker") {
        argv.extend(["--worker".to_owned(), "off".to_owned()]);
    }
    argv.extend([
        "--data-dir".to_owned(),
        data_dir.path().display().to_string(),
        "--database-url".to_owned(),
        database_url.clone(),
    ]);
    argv.extend(extra.iter().map(|s| (*s).to_owned()));
    let cli = Cli::try_parse_from(argv).expect("test arguments parse");
    let Some(Command::Serve(args)) = cli.command else {
        panic!("expected serve")
    };
    (args, data_dir, database_url)
}

/// A new, empty database on the PostgreSQL server named by `admin_url`; its name.
fn fresh_postgres_database(admin_url: &str) -> String {
    use diesel::{Connection, RunQueryDsl, pg::PgConnection};
    let name = format!(
        "anaf_test_{}",
        anaf_portal::secrets::random_token(12)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let mut conn = PgConnection::establish(admin_url).expect("connect to TEST_DATABASE_URL");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    name
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    let (args, data_dir, database_url) = test_args(None, extra);
    start(args, data_dir, database_url).await
}

/// Another application on an existing test database (a restart, or a second instance).
pub async fn spawn_app_on(database_url: &str, extra: &[&str]) -> TestApp {
    let (args, data_dir, _) = test_args(Some(database_url), extra);
    start(args, data_dir, database_url.to_owned()).await
}

/// `TEST_LOG=warn` (an `EnvFilter`) shows the apps' logs, which tests otherwise discard.
fn init_test_logs() {
    static LOGS: std::sync::Once = std::sync::Once::new();
    if let Ok(filter) = std::env::var("TEST_LOG") {
        LOGS.call_once(|| {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        });
    }
}

async fn start(args: ServeArgs, data_dir: TestData, database_url: String) -> TestApp {
    init_test_logs();
    let config = Config::from_args(args).expect("valid test config");
    let app = Application::build(config).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let app_db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    let jar = Arc::new(Jar::default());
    TestApp {
        client: client_with(jar.clone()),
        jar,
        address,
        database_url,
        data_dir: Arc::new(data_dir),
        app_db,
    }
}

pub fn client_with(jar: Arc<Jar>) -> reqwest::Client {
    anaf_portal::startup::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .cookie_provider(jar)
        .build()
        .expect("client")
}

/// The value of the first `name="csrf_token"` field in a page.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a csrf_token field") + marker.len();
    let end = html[start..].find('"').expect("closing quote");
    html[start..start + end].to_owned()
}

/// The value of query parameter `name` in `url`; panics when it is not there.
pub fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

impl TestApp {
    /// Another browser on the same application: its own cookie jar, nobody logged in.
    pub fn second_browser(&self) -> TestApp {
        let jar = Arc::new(Jar::default());
        TestApp {
            client: client_with(jar.clone()),
            jar,
            address: self.address.clone(),
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            app_db: self.app_db.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// Posts a form with the CSRF token taken from `form_page`.
    pub async fn post_form(
        &self,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let token = csrf_token(&self.get_html(form_page).await);
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.post_form(
            "/register",
            "/register",
            &[
                ("email", email),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_form(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn logout(&self) -> Response {
        self.post_form("/", "/logout", &[]).await
    }

    /// Registers, proves the address (as its owner would with the mailed link) and logs in;
    /// panics unless it worked.
    pub async fn register_logged_in(&self, email: &str) {
        self.register_unverified(email).await;
        let db = self.db();
        let address = email.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get_blocking().expect("connection");
            let email = anaf_portal::domain::Email::parse(&address).expect("email");
            let user = anaf_portal::db::models::users::find_by_email(&mut conn, &email)
                .expect("lookup")
                .expect("the account exists");
            anaf_portal::db::models::users::mark_verified(&mut conn, user.id).expect("verified");
        })
        .await
        .expect("join");
    }

    /// Registers and logs in without proving the address; panics unless it worked.
    pub async fn register_unverified(&self, email: &str) {
        let response = self.register(email, STRONG_PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "registration of {email} failed"
        );
        assert_eq!(location(&response), "/login?registered=1");
        let response = self.login(email, STRONG_PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "login of the new account {email} failed"
        );
    }

    /// The session cookie's value as the client would send it.
    pub fn session_cookie(&self) -> Option<String> {
        let url = self.address.parse().expect("url");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix("anaf_portal_session="))
            .map(str::to_owned)
    }

    /// A blocking connection to the test database, for arranging and checking state directly.
    pub fn db(&self) -> anaf_portal::db::Db {
        let url = anaf_portal::db::DatabaseUrl::parse(&self.database_url).expect("db url");
        anaf_portal::db::Db::connect(&url).expect("db connects")
    }

    /// Presses Refresh on the company page; returns the page the person lands on.
    pub async fn press_refresh(&self, company: i64, token: i64) -> String {
        let response = self
            .post_form(
                &format!("/companies/{company}"),
                &format!("/tokens/{token}/refresh"),
                &[],
            )
            .await;
        assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
        self.get_html(&format!("/companies/{company}")).await
    }

    /// `POST /api/v1/anaf/tokens/{token}/refresh?force=true` with API key `key`.
    pub async fn api_refresh(&self, key: &str, token: i64) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/anaf/tokens/{token}/refresh?force=true")))
            .bearer_auth(key)
            .send()
            .await
            .expect("refresh")
    }

    /// The actions of every audit line, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        let db = self.db();
        tokio::task::spawn_blocking(move || {
            use anaf_portal::db::schema::audit_events::dsl;
            use diesel::prelude::*;
            let mut conn = db.get_blocking().expect("connection");
            dsl::audit_events
                .order(dsl::id)
                .select(dsl::action)
                .load(&mut *conn)
                .expect("audit lines")
        })
        .await
        .expect("join")
    }
}

/// A port nobody listens on right now (for a server that must be told the portal's address
/// before the portal starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Says, past libtest's output capture, that a test could not run (so a plain `cargo test` shows
/// it), and fails the test instead when `variable` is `required` (as `.ci/run` sets it).
pub fn skip_unless_required(variable: &str, why: &str) {
    assert!(
        std::env::var(variable).as_deref() != Ok("required"),
        "{why}, but {variable}=required"
    );
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "\nSKIPPED: {why}");
}

/// True when the response sends the browser to the login page.
pub fn is_login_redirect(response: &Response) -> bool {
    response.status() == StatusCode::SEE_OTHER && location(response).starts_with("/login")
}
