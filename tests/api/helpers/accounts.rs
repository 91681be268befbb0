//! An account's own journeys: the sandbox mailbox as its owner reads it, logging in from a
//! named browser, the operator's `user set-password`, and links made to expire.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::{TestApp, csrf_token, location};

/// The sandbox mailbox as a reader sees it: (mail id, recipient, subject), newest first.
pub async fn sandbox_mails(app: &TestApp) -> Vec<(i64, String, String)> {
    let html = app.get_html("/sandbox/mail").await;
    let mut mails = Vec::new();
    for row in html.split("<tr>").skip(2) {
        let cells: Vec<&str> = row
            .split("<td>")
            .skip(1)
            .map(|cell| cell.split("</td>").next().unwrap_or_default())
            .collect();
        let [_, recipient, subject] = cells[..] else {
            continue;
        };
        let Some(rest) = subject.strip_prefix("<a href=\"/sandbox/mail/") else {
            continue;
        };
        let (id, rest) = rest.split_once("\">").expect("a mail link");
        mails.push((
            id.parse().expect("mail id"),
            recipient.to_owned(),
            rest.trim_end_matches("</a>").to_owned(),
        ));
    }
    mails
}

/// The subjects of the sandbox mails to `to`, newest first.
pub async fn sandbox_subjects(app: &TestApp, to: &str) -> Vec<String> {
    sandbox_mails(app)
        .await
        .into_iter()
        .filter(|(_, recipient, _)| recipient == to)
        .map(|(_, _, subject)| subject)
        .collect()
}

/// Waits (mail goes out in the background) for a sandbox mail to `to` whose subject contains
/// `subject`, and answers the portal-relative path of its first link.
pub async fn sandbox_link(app: &TestApp, to: &str, subject: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        let found = sandbox_mails(app)
            .await
            .into_iter()
            .find(|(_, recipient, title)| recipient == to && title.contains(subject));
        if let Some((id, _, _)) = found {
            break id;
        }
        assert!(Instant::now() < deadline, "no mail to {to} about {subject}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let html = app.get_html(&format!("/sandbox/mail/{id}")).await;
    let marker = "class=\"sandbox-mail-link\">";
    let start = html.find(marker).expect("the mail holds a link") + marker.len();
    let url = &html[start..start + html[start..].find('<').expect("link end")];
    url.strip_prefix(&app.address)
        .expect("the link is on the portal")
        .to_owned()
}

/// The portal-relative path of the first line of `text` that is a link to the portal.
pub fn link_in_text(app: &TestApp, text: &str) -> String {
    text.lines()
        .find_map(|line| line.trim().strip_prefix(app.address.as_str()))
        .unwrap_or_else(|| panic!("a portal link in {text}"))
        .to_owned()
}

/// Logs in from a browser that names itself `agent`; the status.
pub async fn login_from(app: &TestApp, email: &str, password: &str, agent: &str) -> StatusCode {
    let token = csrf_token(&app.get_html("/login").await);
    app.client
        .post(app.url("/login"))
        .header("User-Agent", agent)
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("POST /login")
        .status()
}

/// Whether this browser is logged in (the dashboard is served, not the login page).
pub async fn is_logged_in(app: &TestApp) -> bool {
    let response = app.get("/").await;
    response.status() == StatusCode::OK && !location(&response).starts_with("/login")
}

/// `anaf-portal user set-password --email EMAIL`, with `password` on standard input.
pub fn set_password_command(app: &TestApp, email: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .args(["user", "set-password", "--email", email])
        .env("DATABASE_URL", &app.database_url)
        .env("ANAF_PORTAL_DATA_DIR", app.data_dir.path())
        .env_remove("ANAF_CLIENT_ID")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run anaf-portal");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write the password");
    child.wait_with_output().expect("its output")
}

/// Makes every password reset link of the test database expired.
pub async fn expire_reset_links(app: &TestApp) {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::password_resets;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().expect("connection");
        diesel::update(password_resets::table)
            .set(
                password_resets::expires_at
                    .eq(chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(1)),
            )
            .execute(&mut *conn)
            .expect("expired");
    })
    .await
    .expect("join");
}
