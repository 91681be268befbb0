//! Two-factor sign-in (TOTP and recovery codes), the policy that makes people enrol, the
//! re-authentication asked before what gives a secret away, and a form that outlives its
//! session. The authenticator is the test itself: it computes RFC 6238 codes with `totp-rs` from
//! the key the security page shows.

use anaf_portal::domain::UserId;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;

use crate::helpers::{
    STRONG_PASSWORD, TestApp, csrf_token, location, new_user, serial_with_rights, spawn_app,
    spawn_app_with, user_id_of,
};

/// The phone: the secret read off the page, and the last time step it gave a code for (a code
/// counts once, so each new code is of a later step).
struct Authenticator {
    secret: Vec<u8>,
    last: Option<u64>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

impl Authenticator {
    fn from_page(html: &str) -> Authenticator {
        let marker = "data-totp-secret>";
        let start = html.find(marker).expect("the page shows the key") + marker.len();
        let end = start + html[start..].find('<').expect("end of the key");
        let text: String = html[start..end].split_whitespace().collect();
        let secret = totp_rs::Secret::Encoded(text)
            .to_bytes()
            .expect("base32 key");
        Authenticator { secret, last: None }
    }

    fn code_at(&self, step: u64) -> String {
        totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, self.secret.clone())
            .generate(step * 30)
    }

    /// A code of a step not used yet, within the server's one step of drift.
    async fn next_code(&mut self) -> String {
        loop {
            let now = unix_now() / 30;
            let step = match self.last {
                Some(last) => (last + 1).max(now.saturating_sub(1)),
                None => now.saturating_sub(1),
            };
            // Never on the edge of a step: the server must see the same "now".
            let into_step = unix_now() % 30;
            if step <= now + 1 && into_step < 28 {
                self.last = Some(step);
                return self.code_at(step);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The code given last (to replay it).
    fn last_code(&self) -> String {
        self.code_at(self.last.expect("a code was given"))
    }

    /// A code that is wrong now (far from any accepted step).
    fn wrong_code(&self) -> String {
        self.code_at(unix_now() / 30 + 1000)
    }
}

/// The recovery codes a page shows.
fn recovery_codes(html: &str) -> Vec<String> {
    html.match_indices("data-recovery-code>")
        .map(|(at, marker)| {
            let rest = &html[at + marker.len()..];
            rest[..rest.find('<').expect("end of code")].to_owned()
        })
        .collect()
}

/// Switches two-factor on for the signed-in `browser`: the authenticator and the recovery codes.
async fn enrol(browser: &TestApp) -> (Authenticator, Vec<String>) {
    let r = browser
        .post_form("/settings/security", "/settings/security/totp/start", &[])
        .await;
    assert_eq!(location(&r), "/settings/security");
    let page = browser.get_html("/settings/security").await;
    assert!(page.contains("data-two-factor=\"enrolling\""), "{page}");
    assert!(page.contains("<svg"), "the QR code is drawn in the page");
    let mut phone = Authenticator::from_page(&page);
    let code = phone.next_code().await;
    let r = browser
        .post_form(
            "/settings/security",
            "/settings/security/totp/confirm",
            &[("code", &code)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("data-two-factor=\"on\""), "{page}");
    let codes = recovery_codes(&page);
    assert_eq!(codes.len(), 10, "ten recovery codes shown once");
    (phone, codes)
}

/// Password first: the answer must lead to the second-factor step.
async fn password_step(browser: &TestApp, email: &str) {
    let r = browser.login(email, STRONG_PASSWORD).await;
    assert_eq!(location(&r), "/login/second-factor");
}

async fn second_factor(browser: &TestApp, code: &str) -> reqwest::Response {
    browser
        .post_form(
            "/login/second-factor",
            "/login/second-factor",
            &[("code", code)],
        )
        .await
}

/// The people's sessions as if their last sign-in or re-authentication were an hour ago.
async fn age_reauthentication(app: &TestApp, user_id: UserId) {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::sessions::dsl;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        let rows: Vec<(String, String)> = dsl::sessions
            .filter(dsl::user_id.eq(user_id))
            .select((dsl::id, dsl::state))
            .load(&mut *conn)
            .unwrap();
        assert!(!rows.is_empty(), "the user has a session");
        for (id, state) in rows {
            let mut map: std::collections::HashMap<String, String> =
                serde_json::from_str(&state).unwrap();
            let old = unix_now() as i64 - 3600;
            map.insert("reauth_at".into(), old.to_string());
            diesel::update(dsl::sessions.filter(dsl::id.eq(id)))
                .set(dsl::state.eq(serde_json::to_string(&map).unwrap()))
                .execute(&mut *conn)
                .unwrap();
        }
    })
    .await
    .unwrap();
}

/// The person's sessions end (as the idle timeout would end them).
async fn end_sessions(app: &TestApp, user_id: UserId) {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::sessions::dsl;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        let ended = diesel::delete(dsl::sessions.filter(dsl::user_id.eq(user_id)))
            .execute(&mut *conn)
            .unwrap();
        assert!(ended > 0);
    })
    .await
    .unwrap();
}

/// How many mails about two-factor are queued for `user_id`.
async fn security_mails(app: &TestApp, user_id: UserId) -> Vec<String> {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::mail_outbox::dsl;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        dsl::mail_outbox
            .filter(dsl::user_id.eq(user_id))
            .filter(dsl::kind.eq("security"))
            .order(dsl::id)
            .select(dsl::body_text)
            .load(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn totp_enrolment_then_sign_in_with_codes_and_a_replay_is_refused() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let ana = user_id_of(&app, "ana@firma.ro").await;
    let page = app.get_html("/settings/security").await;
    assert!(page.contains("data-two-factor=\"off\""));

    // A wrong first code leaves two-factor off.
    app.post_form("/settings/security", "/settings/security/totp/start", &[])
        .await;
    let page = app.get_html("/settings/security").await;
    let phone = Authenticator::from_page(&page);
    let r = app
        .post_form(
            "/settings/security",
            "/settings/security/totp/confirm",
            &[("code", &phone.wrong_code())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Codul nu este corect"));
    let r = app.logout().await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.login("ana@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(
        location(&r),
        "/",
        "still one step: two-factor is not on yet"
    );

    let (mut phone, _) = enrol(&app).await;
    assert!(
        app.audit_actions()
            .await
            .contains(&"two_factor.enabled".to_owned())
    );
    let mails = security_mails(&app, ana).await;
    assert!(mails[0].contains("a fost activată"), "{mails:?}");

    // Signing in: the password alone opens nothing.
    app.logout().await;
    password_step(&app, "ana@firma.ro").await;
    let r = app.get("/tokens").await;
    assert!(
        location(&r).starts_with("/login"),
        "pending is not signed in"
    );
    let page = app.get_html("/login/second-factor").await;
    assert!(page.contains("6-digit code") || page.contains("6 cifre"));
    let code = phone.next_code().await;
    let r = second_factor(&app, &code).await;
    assert_eq!(location(&r), "/");
    assert!(app.get_html("/").await.contains("ana@firma.ro"));

    // The same code again is refused, the next one works.
    app.logout().await;
    password_step(&app, "ana@firma.ro").await;
    let r = second_factor(&app, &phone.last_code()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("already used") || body.contains("deja folosit"),
        "{body}"
    );
    assert!(location(&app.get("/tokens").await).starts_with("/login"));
    let code = phone.next_code().await;
    let r = second_factor(&app, &code).await;
    assert_eq!(location(&r), "/");
    assert!(
        app.audit_actions()
            .await
            .contains(&"two_factor.code_refused".to_owned())
    );
}

#[tokio::test]
async fn wrong_codes_count_toward_the_limit() {
    let app = spawn_app_with(&["--login-max-failures", "3"]).await;
    app.register_logged_in("ana@firma.ro").await;
    let (mut phone, _) = enrol(&app).await;
    app.logout().await;
    password_step(&app, "ana@firma.ro").await;
    for _ in 0..3 {
        let r = second_factor(&app, &phone.wrong_code()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Locked now: even the right code waits.
    let code = phone.next_code().await;
    let r = second_factor(&app, &code).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(location(&app.get("/tokens").await).starts_with("/login"));
}

#[tokio::test]
async fn recovery_codes_sign_in_once_say_how_many_are_left_and_can_be_regenerated() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let (mut phone, codes) = enrol(&app).await;

    app.logout().await;
    password_step(&app, "ana@firma.ro").await;
    let r = second_factor(&app, &codes[0].to_uppercase()).await;
    assert_eq!(location(&r), "/");
    let dashboard = app.get_html("/").await;
    assert!(
        dashboard.contains("Recovery code used. 9 left") || dashboard.contains("rămas 9"),
        "{dashboard}"
    );
    let page = app.get_html("/settings/security").await;
    assert!(page.contains("9 unused recovery codes left") || page.contains("9 coduri"));

    // Spent: refused the second time.
    app.logout().await;
    password_step(&app, "ana@firma.ro").await;
    let r = second_factor(&app, &codes[0]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = second_factor(&app, &codes[1]).await;
    assert_eq!(location(&r), "/");

    // New codes need a current factor; the old ones stop working.
    let r = app
        .post_form(
            "/settings/security",
            "/settings/security/recovery-codes",
            &[("code", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let code = phone.next_code().await;
    let r = app
        .post_form(
            "/settings/security",
            "/settings/security/recovery-codes",
            &[("code", &code)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let fresh = recovery_codes(&r.text().await.unwrap());
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    app.logout().await;
    password_step(&app, "ana@firma.ro").await;
    let r = second_factor(&app, &codes[2]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = second_factor(&app, &fresh[0]).await;
    assert_eq!(location(&r), "/");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"two_factor.recovery_code_used".to_owned()));
    assert!(actions.contains(&"two_factor.recovery_codes_regenerated".to_owned()));
}

#[tokio::test]
async fn turning_two_factor_off_needs_a_current_factor() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let ana = user_id_of(&app, "ana@firma.ro").await;
    let (phone, codes) = enrol(&app).await;
    for code in [String::new(), phone.wrong_code()] {
        let r = app
            .post_form(
                "/settings/security",
                "/settings/security/totp/disable",
                &[("code", &code)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("data-two-factor=\"on\""));
    }
    let r = app
        .post_form(
            "/settings/security",
            "/settings/security/totp/disable",
            &[("code", &codes[3])],
        )
        .await;
    assert_eq!(location(&r), "/settings/security");
    assert!(
        app.get_html("/settings/security")
            .await
            .contains("data-two-factor=\"off\"")
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"two_factor.disabled".to_owned())
    );
    let mails = security_mails(&app, ana).await;
    assert!(
        mails.iter().any(|m| m.contains("a fost oprită")),
        "{mails:?}"
    );
    app.logout().await;
    let r = app.login("ana@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(location(&r), "/", "a password is enough again");
}

#[tokio::test]
async fn the_policy_leads_company_admins_to_enrolment_before_anything_else() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let firm = new_user(&app, "firma@contabil.ro").await;
    let company = firm.add_company("18547290", "Alfa SRL").await;
    let viewer = new_user(&app, "strain@altfirma.ro").await;

    let page = app.get_html("/admin/security").await;
    assert!(page.contains("name=\"company_admins\""));
    let r = app
        .post_form(
            "/admin/security",
            "/admin/security",
            &[("company_admins", "on")],
        )
        .await;
    assert_eq!(location(&r), "/admin/security");
    assert!(
        app.get_html("/admin/security")
            .await
            .contains("name=\"company_admins\" value=\"on\" checked")
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"two_factor.policy_changed".to_owned())
    );

    // The company admin can do nothing but enrol (or leave).
    for path in ["/", "/tokens", &format!("/companies/{company}")] {
        let r = firm.get(path).await;
        assert_eq!(location(&r), "/settings/security", "{path}");
    }
    let r = firm
        .post_form("/settings/security", "/companies", &[("cif", "RO14399840")])
        .await;
    assert_eq!(location(&r), "/settings/security");
    let page = firm.get_html("/settings/security").await;
    assert!(page.contains("data-enrolment-required"));
    // Someone the policy does not cover goes on as before.
    assert_eq!(viewer.get("/tokens").await.status(), StatusCode::OK);

    enrol(&firm).await;
    assert_eq!(firm.get("/tokens").await.status(), StatusCode::OK);
    assert_eq!(
        firm.get(&format!("/companies/{company}")).await.status(),
        StatusCode::OK
    );
    let r = firm.logout().await;
    assert_eq!(location(&r), "/login?ended=logout");
}

#[tokio::test]
async fn revealing_a_token_asks_for_the_password_when_the_last_check_is_old() {
    let app = spawn_app().await;
    app.register_logged_in("firma@contabil.ro").await;
    let me = user_id_of(&app, "firma@contabil.ro").await;
    let company = app.add_company("18547290", "Alfa SRL").await;
    app.connect_with(company, &serial_with_rights()).await;
    let token = app.token_id_of(company).await;

    // A fresh sign-in counts as a check.
    let (status, page) = app.reveal(company, token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"access-token\""));

    age_reauthentication(&app, me).await;
    let r = app
        .post_form(
            &format!("/companies/{company}"),
            &format!("/tokens/{token}/reveal"),
            &[],
        )
        .await;
    assert_eq!(location(&r), "/reauth");
    let page = app.get_html("/reauth").await;
    assert!(page.contains("Your form is kept") || page.contains("Formularul este păstrat"));
    assert!(!page.contains("access-token"));
    let r = app
        .post_form("/reauth", "/reauth", &[("password", "not-my-password-1")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form("/reauth", "/reauth", &[("password", STRONG_PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let action = format!("action=\"/tokens/{token}/reveal\"");
    assert!(page.contains(&action), "{page}");
    assert!(
        !page.contains("id=\"access-token\""),
        "nothing replayed unseen"
    );

    // Continue is a new POST: without the CSRF token it is refused.
    let r = app
        .client
        .post(app.url(&format!("/tokens/{token}/reveal")))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .client
        .post(app.url(&format!("/tokens/{token}/reveal")))
        .form(&[("csrf_token", csrf_token(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("id=\"access-token\""));
}

#[tokio::test]
async fn creating_an_api_key_asks_for_a_code_when_the_last_check_is_old() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let me = user_id_of(&app, "ana@firma.ro").await;
    let (mut phone, _) = enrol(&app).await;
    age_reauthentication(&app, me).await;
    let r = app
        .post_form(
            "/settings/api-keys",
            "/settings/api-keys",
            &[("name", "Contabilitate CI")],
        )
        .await;
    assert_eq!(location(&r), "/reauth");
    let page = app.get_html("/reauth").await;
    assert!(
        page.contains("name=\"code\""),
        "an enrolled person may type a code"
    );
    let code = phone.next_code().await;
    let r = app
        .post_form("/reauth", "/reauth", &[("code", &code)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("value=\"Contabilitate CI\""), "{page}");
    let r = app
        .client
        .post(app.url("/settings/api-keys"))
        .form(&[
            ("name", "Contabilitate CI"),
            ("permission", "tokens:read"),
            ("companies", "all"),
            ("csrf_token", &csrf_token(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("id=\"new-api-key\""));
}

#[tokio::test]
async fn a_form_posted_after_the_session_ended_comes_back_filled_in_after_signing_in() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let me = user_id_of(&app, "ana@firma.ro").await;
    let dashboard = app.get_html("/").await;
    let token = csrf_token(&dashboard);
    end_sessions(&app, me).await;

    let typed = "RO 18547290\n14399840, Beta SRL";
    let r = app
        .client
        .post(app.url("/companies/bulk"))
        .header("referer", app.url("/"))
        .form(&[("cifs", typed), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?ended=session&next=%2F");
    let login = app.get_html(&location(&r)).await;
    assert!(login.contains("session has ended") || login.contains("Sesiunea a expirat"));
    assert!(login.contains("name=\"next\" value=\"/\""));
    let r = app
        .post_form(
            "/login",
            "/login",
            &[
                ("email", "ana@firma.ro"),
                ("password", STRONG_PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/");
    let dashboard = app.get_html("/").await;
    assert!(
        dashboard.contains("RO 18547290\n14399840, Beta SRL"),
        "{dashboard}"
    );
    assert!(dashboard.contains("nothing was added") || dashboard.contains("nu s-a adăugat nimic"));
    assert!(
        !app.get_html("/tokens").await.contains("18547290"),
        "nothing was added"
    );

    // The single company form, from a deeper page, keeps its CIF and name and returns there.
    let token = csrf_token(&app.get_html("/tokens?sort=name").await);
    end_sessions(&app, me).await;
    let r = app
        .client
        .post(app.url("/companies"))
        .header("referer", app.url("/tokens?sort=name"))
        .form(&[
            ("cif", "RO18547290"),
            ("name", "Alfa SRL"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&r),
        "/login?ended=session&next=%2Ftokens%3Fsort%3Dname"
    );
    let r = app
        .post_form(
            "/login",
            "/login",
            &[
                ("email", "ana@firma.ro"),
                ("password", STRONG_PASSWORD),
                ("next", "/tokens?sort=name"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/tokens?sort=name");
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains("value=\"RO18547290\""), "{dashboard}");
    assert!(dashboard.contains("value=\"Alfa SRL\""));
}

#[tokio::test]
async fn a_next_that_leaves_the_portal_is_refused() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let me = user_id_of(&app, "ana@firma.ro").await;
    for next in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        app.logout().await;
        let r = app
            .post_form(
                "/login",
                "/login",
                &[
                    ("email", "ana@firma.ro"),
                    ("password", STRONG_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&r), "/", "{next}");
    }
    // An expired form from another site's page goes back to the dashboard, not there.
    let token = csrf_token(&app.get_html("/").await);
    end_sessions(&app, me).await;
    let r = app
        .client
        .post(app.url("/companies"))
        .header("referer", "https://evil.example/tokens")
        .form(&[("cif", "RO18547290"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login?ended=session&next=%2F");
    // Through the second factor too.
    app.login("ana@firma.ro", STRONG_PASSWORD).await;
    let (mut phone, _) = enrol(&app).await;
    app.logout().await;
    let r = app
        .post_form(
            "/login",
            "/login",
            &[
                ("email", "ana@firma.ro"),
                ("password", STRONG_PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/login/second-factor");
    let code = phone.next_code().await;
    assert_eq!(location(&second_factor(&app, &code).await), "/");
    let r = app
        .post_form(
            "/reauth",
            "/reauth",
            &[("password", STRONG_PASSWORD), ("next", "//evil.example")],
        )
        .await;
    assert_eq!(location(&r), "/");
}

#[tokio::test]
async fn a_sign_in_waiting_too_long_for_its_code_starts_again() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let (mut phone, _) = enrol(&app).await;
    app.logout().await;
    password_step(&app, "ana@firma.ro").await;
    // Six minutes pass (the step waits five).
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::sessions::dsl;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        let rows: Vec<(String, String)> = dsl::sessions
            .select((dsl::id, dsl::state))
            .load(&mut *conn)
            .unwrap();
        let mut aged = 0;
        for (id, state) in rows {
            let mut map: std::collections::HashMap<String, String> =
                serde_json::from_str(&state).unwrap();
            let Some(pending) = map.get("factor_pending") else {
                continue;
            };
            let mut pending: serde_json::Value = serde_json::from_str(pending).unwrap();
            pending["until"] = serde_json::json!(unix_now() as i64 - 60);
            map.insert("factor_pending".into(), pending.to_string());
            diesel::update(dsl::sessions.filter(dsl::id.eq(id)))
                .set(dsl::state.eq(serde_json::to_string(&map).unwrap()))
                .execute(&mut *conn)
                .unwrap();
            aged += 1;
        }
        assert_eq!(aged, 1, "one sign-in waits for its code");
    })
    .await
    .unwrap();
    assert_eq!(
        location(&app.get("/login/second-factor").await),
        "/login?ended=factor"
    );
    // The right code, with the session's own CSRF token, no longer signs in.
    let code = phone.next_code().await;
    let r = app
        .post_form("/login", "/login/second-factor", &[("code", &code)])
        .await;
    assert_eq!(location(&r), "/login?ended=factor");
    let page = app.get_html("/login?ended=factor").await;
    assert!(page.contains("a așteptat prea mult"), "{page}");
    assert!(location(&app.get("/tokens").await).starts_with("/login"));
}
