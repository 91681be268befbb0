//! A forgotten password: the link mailed from the login page (through a real SMTP server and
//! the sandbox mailbox), the same answer for every address, links that expire and work once,
//! the limits, the platform admin's link to hand over, the operator's `user set-password`, and
//! the login page's warning before a lockout.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{
    STRONG_PASSWORD, SmtpSink, expire_reset_links, is_logged_in, link_in_text, location,
    sandbox_link, sandbox_subjects, set_password_command, spawn_app, spawn_app_with, user_id_of,
};

const NEW_PASSWORD: &str = "alt-munte-verde-2027";

/// Asks for a reset link for `email` from a browser nobody is logged in to; the redirect.
async fn ask_for_link(app: &crate::helpers::TestApp, email: &str) -> reqwest::Response {
    app.post_form("/password/forgot", "/password/forgot", &[("email", email)])
        .await
}

/// Sets `password` through reset link `path`, from a browser nobody is logged in to (its
/// CSRF token taken from a page that has a form whatever the link's state).
async fn set_through(
    app: &crate::helpers::TestApp,
    path: &str,
    password: &str,
    confirm: &str,
) -> reqwest::Response {
    app.post_form(
        "/password/forgot",
        path,
        &[("password", password), ("password_confirm", confirm)],
    )
    .await
}

#[tokio::test]
async fn a_reset_link_mailed_through_smtp_sets_a_new_password_and_ends_every_session() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = spawn_app_with(&[
        "--smtp-url",
        &sink.url(),
        "--mail-from",
        "ANAF Portal <portal@example.ro>",
    ])
    .await;
    app.register_logged_in("ana@firma.ro").await;
    let laptop = app.second_browser();
    assert_eq!(
        laptop.login("ana@firma.ro", STRONG_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    // The login page offers it.
    let stranger = app.second_browser();
    assert!(
        stranger
            .get_html("/login")
            .await
            .contains("href=\"/password/forgot\"")
    );
    let asked = ask_for_link(&stranger, "Ana@Firma.ro").await;
    assert_eq!(location(&asked), "/password/forgot?sent=1");
    let page = stranger.get_html("/password/forgot?sent=1").await;
    assert!(page.contains("este pe drum"), "{page}");

    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails[0]["rcpt_tos"][0], "ana@firma.ro");
    assert!(
        mails[0]["headers"]["subject"]
            .as_str()
            .unwrap()
            .contains("Setați o parolă nouă"),
        "{mails:#?}"
    );
    let path = link_in_text(&app, mails[0]["text"].as_str().unwrap());
    assert!(path.starts_with("/password/reset/"), "{path}");

    let form = stranger.get(&path).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert_eq!(
        form.headers()["referrer-policy"],
        "same-origin",
        "the address holds the secret: no Referer to another site"
    );
    assert!(form.text().await.unwrap().contains("ana@firma.ro"));

    // Every input can be wrong, and changes nothing.
    let mismatch = set_through(&stranger, &path, NEW_PASSWORD, "altceva-cu-totul-2027").await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mismatch
            .text()
            .await
            .unwrap()
            .contains("Cele două parole diferă")
    );
    let weak = set_through(&stranger, &path, "parola123", "parola123").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(is_logged_in(&app).await, "nothing changed yet");

    let done = set_through(&stranger, &path, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("Parola a fost schimbată")
    );
    assert!(!is_logged_in(&app).await, "every session ended");
    assert!(!is_logged_in(&laptop).await, "every session ended");
    assert_eq!(
        app.login("ana@firma.ro", STRONG_PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.login("ana@firma.ro", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    // The owner is told; the link works once.
    let mails = sink.wait_for(2, Duration::from_secs(10)).await;
    assert!(
        mails[1]["headers"]["subject"]
            .as_str()
            .unwrap()
            .contains("Parola a fost schimbată"),
        "{mails:#?}"
    );
    let again = stranger.get(&path).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Acest link nu funcționează")
    );
    let reused = set_through(
        &stranger,
        &path,
        "a-treia-parola-2028",
        "a-treia-parola-2028",
    )
    .await;
    assert_eq!(reused.status(), StatusCode::GONE);
    assert_eq!(
        app.second_browser()
            .login("ana@firma.ro", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "the reused link changed nothing"
    );
    let actions = app.audit_actions().await;
    for action in ["user.password_reset_requested", "user.password_reset"] {
        assert!(actions.iter().any(|a| a == action), "{actions:?}");
    }
    // The secret is nowhere in the audit log.
    let secret = path.trim_start_matches("/password/reset/");
    let audit = app.get_html("/admin/audit").await;
    assert!(!audit.contains(secret));
}

#[tokio::test]
async fn asking_for_a_link_answers_the_same_whether_or_not_the_address_has_an_account() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;

    let stranger = app.second_browser();
    let known = ask_for_link(&stranger, "ana@firma.ro").await;
    let unknown = ask_for_link(&stranger, "nimeni@firma.ro").await;
    assert_eq!(known.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&known), location(&unknown));
    sandbox_link(&app, "ana@firma.ro", "Setați o parolă nouă").await;
    assert!(sandbox_subjects(&app, "nimeni@firma.ro").await.is_empty());

    // Not an address: the form says so, and nothing is sent.
    let typo = ask_for_link(&stranger, "ana@").await;
    assert_eq!(typo.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        typo.text()
            .await
            .unwrap()
            .contains("Scrieți o adresă de email întreagă")
    );
}

#[tokio::test]
async fn expired_and_unknown_links_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let stranger = app.second_browser();
    ask_for_link(&stranger, "ana@firma.ro").await;
    let path = sandbox_link(&app, "ana@firma.ro", "Setați o parolă nouă").await;
    expire_reset_links(&app).await;

    assert_eq!(stranger.get(&path).await.status(), StatusCode::GONE);
    let token = crate::helpers::csrf_token(&stranger.get_html("/password/forgot").await);
    let posted = stranger
        .client
        .post(stranger.url(&path))
        .form(&[
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::GONE);
    assert_eq!(
        stranger.get("/password/reset/not-a-link").await.status(),
        StatusCode::GONE
    );
    assert!(is_logged_in(&app).await, "the sessions stay");
    assert_eq!(
        stranger.login("ana@firma.ro", NEW_PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        stranger
            .login("ana@firma.ro", STRONG_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn links_are_limited_per_account_and_requests_per_client() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let stranger = app.second_browser();
    for _ in 0..4 {
        let r = ask_for_link(&stranger, "ana@firma.ro").await;
        assert_eq!(location(&r), "/password/forgot?sent=1", "the same answer");
    }
    // Three links an hour for the account; the fourth request is answered alike, unmailed.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let resets = sandbox_subjects(&app, "ana@firma.ro")
            .await
            .into_iter()
            .filter(|s| s.contains("Setați o parolă nouă"))
            .count();
        assert!(resets <= 3, "{resets} links mailed");
        if resets == 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "three links expected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let resets = sandbox_subjects(&app, "ana@firma.ro")
        .await
        .into_iter()
        .filter(|s| s.contains("Setați o parolă nouă"))
        .count();
    assert_eq!(resets, 3);

    // Ten requests per client address within the window.
    for n in 0..6 {
        let r = ask_for_link(&stranger, &format!("cineva{n}@firma.ro")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let refused = ask_for_link(&stranger, "ultimul@firma.ro").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_platform_admin_issues_a_one_time_link_to_hand_over() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let user = app.second_browser();
    user.register_logged_in("ana@firma.ro").await;
    let id = user_id_of(&app, "ana@firma.ro").await;

    let users = app.get_html("/admin/users").await;
    assert!(users.contains(&format!("/admin/users/{id}/reset-link")));
    let issued = app
        .post_form(
            "/admin/users",
            &format!("/admin/users/{id}/reset-link"),
            &[],
        )
        .await;
    assert_eq!(issued.status(), StatusCode::OK);
    assert_eq!(issued.headers()["referrer-policy"], "no-referrer");
    let html = issued.text().await.unwrap();
    assert!(html.contains("ana@firma.ro"), "{html}");
    let start = html.find("<code id=\"reset-link\">").expect("the link") + 22;
    let url = &html[start..start + html[start..].find('<').unwrap()];
    let path = url.strip_prefix(&app.address).expect("on the portal");
    assert!(
        sandbox_subjects(&app, "ana@firma.ro")
            .await
            .iter()
            .all(|s| !s.contains("Setați o parolă nouă")),
        "handed over, not mailed"
    );

    let holder = app.second_browser();
    let done = set_through(&holder, path, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(!is_logged_in(&user).await);
    assert_eq!(
        holder.login("ana@firma.ro", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let actions = app.audit_actions().await;
    assert!(
        actions
            .iter()
            .any(|a| a == "user.password_reset_link_issued"),
        "{actions:?}"
    );
    assert_eq!(holder.get(path).await.status(), StatusCode::GONE);
    // Anyone but a platform admin is refused.
    user.login("ana@firma.ro", NEW_PASSWORD).await;
    let other = user
        .post_form("/", &format!("/admin/users/{id}/reset-link"), &[])
        .await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn user_set_password_command_sets_the_password_and_ends_every_session() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;

    let weak = set_password_command(&app, "ana@firma.ro", "parola123");
    assert_eq!(weak.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password from stdin"));
    assert!(
        is_logged_in(&app).await,
        "a refused password changes nothing"
    );
    let unknown = set_password_command(&app, "nimeni@firma.ro", NEW_PASSWORD);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account with"));

    let output = set_password_command(&app, "Ana@Firma.ro", NEW_PASSWORD);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("ana@firma.ro") && said.contains("1 session(s) ended"),
        "{said}"
    );
    assert!(!is_logged_in(&app).await);
    assert_eq!(
        app.login("ana@firma.ro", STRONG_PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.login("ana@firma.ro", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.password_reset")
    );
}

#[tokio::test]
async fn the_login_page_warns_before_the_lockout_and_says_how_long_it_lasts() {
    let app = spawn_app_with(&["--login-max-failures", "4", "--login-failure-window", "10m"]).await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;

    let wrong = async || {
        let r = app.login("ana@firma.ro", "nu-este-parola-mea").await;
        (r.status(), r.text().await.unwrap())
    };
    let (status, first) = wrong().await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(first.contains("Email sau parolă greșită."));
    assert!(
        !first.contains("Mai aveți"),
        "no warning while many are left"
    );
    let (_, second) = wrong().await;
    assert!(
        second.contains("Mai aveți 2 încercări") && second.contains("10 minute"),
        "{second}"
    );
    let (_, third) = wrong().await;
    assert!(third.contains("Mai aveți o încercare"), "{third}");
    let (_, fourth) = wrong().await;
    assert!(
        fourth.contains("este blocată acum pentru 10 minute"),
        "{fourth}"
    );
    let (status, _) = wrong().await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
