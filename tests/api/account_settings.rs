//! The account settings and sessions pages: changing the password (current one required, the
//! other sessions end), moving the account to another address (proven by a link mailed there,
//! the old address told), the saved language, one's sessions, and a platform admin ending
//! someone's sessions.

use reqwest::StatusCode;

use crate::helpers::{
    STRONG_PASSWORD, TestApp, is_logged_in, location, login_from, sandbox_link, sandbox_subjects,
    spawn_app, user_id_of,
};

const NEW_PASSWORD: &str = "alt-munte-verde-2027";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

async fn change_password(
    app: &TestApp,
    current: &str,
    new: &str,
    confirm: &str,
) -> reqwest::Response {
    app.post_form(
        "/settings/account",
        "/settings/account/password",
        &[
            ("current_password", current),
            ("password", new),
            ("password_confirm", confirm),
        ],
    )
    .await
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions_only() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let phone = app.second_browser();
    phone.login("ana@firma.ro", STRONG_PASSWORD).await;
    let page = app.get_html("/settings/account").await;
    assert!(
        page.contains("action=\"/settings/account/password\""),
        "{page}"
    );
    assert!(
        app.get_html("/")
            .await
            .contains("href=\"/settings/account\""),
        "linked from the header"
    );

    let wrong = change_password(&app, "nu-este-parola-mea", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Parola actuală este greșită.")
    );
    let weak = change_password(&app, STRONG_PASSWORD, "parola123", "parola123").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        weak.text()
            .await
            .unwrap()
            .contains("printre cele mai folosite")
    );
    let mismatch = change_password(&app, STRONG_PASSWORD, NEW_PASSWORD, "altceva-2027-x").await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(is_logged_in(&phone).await, "nothing changed yet");

    let changed = change_password(&app, STRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(location(&changed), "/settings/account");
    let page = app.get_html("/settings/account").await;
    assert!(
        page.contains("Parola a fost schimbată, iar cealaltă sesiune a fost încheiată."),
        "{page}"
    );
    assert!(is_logged_in(&app).await, "this session stays");
    assert!(!is_logged_in(&phone).await, "the other one ended");
    assert_eq!(
        phone.login("ana@firma.ro", STRONG_PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        phone.login("ana@firma.ro", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    sandbox_link(&app, "ana@firma.ro", "Parola a fost schimbată").await;
    let actions = app.audit_actions().await;
    assert!(
        actions
            .iter()
            .filter(|a| *a == "user.password_changed")
            .count()
            == 2,
        "the failure and the change: {actions:?}"
    );
}

async fn change_email(app: &TestApp, email: &str, current: &str) -> reqwest::Response {
    app.post_form(
        "/settings/account",
        "/settings/account/email",
        &[("email", email), ("current_password", current)],
    )
    .await
}

#[tokio::test]
async fn a_new_address_is_proven_by_a_link_mailed_to_it_and_the_old_one_is_told() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let other = app.second_browser();
    other.register_logged_in("ocupat@firma.ro").await;

    let wrong = change_email(&app, "ana@nou.ro", "nu-este-parola-mea").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Parola actuală este greșită.")
    );
    let bad = change_email(&app, "ana@", STRONG_PASSWORD).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let same = change_email(&app, "Ana@Firma.ro", STRONG_PASSWORD).await;
    assert_eq!(same.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        same.text()
            .await
            .unwrap()
            .contains("Aceasta este deja adresa")
    );

    // An address another account has: the same answer, and no mail goes there.
    let taken = change_email(&app, "ocupat@firma.ro", STRONG_PASSWORD).await;
    assert_eq!(location(&taken), "/settings/account");
    let taken_page = app.get_html("/settings/account").await;
    assert!(taken_page.contains("Un link este pe drum către ocupat@firma.ro"));

    let asked = change_email(&app, "Ana@Nou.ro", STRONG_PASSWORD).await;
    assert_eq!(location(&asked), "/settings/account");
    let path = sandbox_link(&app, "ana@nou.ro", "Confirmați noua adresă").await;
    assert!(path.starts_with("/settings/account/email/"), "{path}");
    assert!(
        sandbox_subjects(&app, "ocupat@firma.ro")
            .await
            .iter()
            .all(|s| !s.contains("Confirmați noua adresă")),
        "nothing to the taken address"
    );
    assert!(
        app.get_html("/settings/account")
            .await
            .contains("<strong id=\"current-email\">ana@firma.ro</strong>"),
        "unchanged until the link is opened"
    );

    // Opened logged in to another account, it does nothing.
    other.get(&path).await;
    assert!(
        other
            .get_html("/settings/account")
            .await
            .contains("Acest link nu funcționează")
    );
    let opened = app.get(&path).await;
    assert_eq!(location(&opened), "/settings/account");
    assert_eq!(opened.headers()["referrer-policy"], "no-referrer");
    let page = app.get_html("/settings/account").await;
    assert!(
        page.contains("Adresa dumneavoastră este acum ana@nou.ro."),
        "{page}"
    );
    assert!(page.contains("<strong id=\"current-email\">ana@nou.ro</strong>"));
    sandbox_link(&app, "ana@firma.ro", "Adresa de email a fost schimbată").await;

    app.get(&path).await;
    assert!(
        app.get_html("/settings/account")
            .await
            .contains("Acest link nu funcționează"),
        "a link works once"
    );
    app.logout().await;
    assert_eq!(
        app.login("ana@firma.ro", STRONG_PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.login("ana@nou.ro", STRONG_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let actions = app.audit_actions().await;
    for action in ["user.email_change_requested", "user.email_changed"] {
        assert!(actions.iter().any(|a| a == action), "{actions:?}");
    }
}

#[tokio::test]
async fn the_saved_language_is_the_one_of_mail_and_of_new_sessions() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let r = app
        .post_form(
            "/settings/account",
            "/language",
            &[("lang", "en"), ("next", "/settings/account")],
        )
        .await;
    assert_eq!(location(&r), "/settings/account");
    assert!(
        app.get_html("/settings/account")
            .await
            .contains("Email address")
    );

    // A browser that never chose: Romanian until the login, then the saved English.
    let fresh = app.second_browser();
    assert!(fresh.get_html("/login").await.contains("Autentificare"));
    fresh.login("ana@firma.ro", STRONG_PASSWORD).await;
    let page = fresh.get_html("/settings/account").await;
    assert!(page.contains("Email address"), "{page}");
    // Mail speaks it too.
    let stranger = app.second_browser();
    stranger
        .post_form(
            "/password/forgot",
            "/password/forgot",
            &[("email", "ana@firma.ro")],
        )
        .await;
    sandbox_link(&app, "ana@firma.ro", "Set a new password").await;
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.language_changed")
    );
}

/// The sessions listed: (public id, whether it is this one, the row's text).
async fn sessions_listed(app: &TestApp) -> Vec<(String, bool, String)> {
    let html = app.get_html("/settings/sessions").await;
    html.split("<tr data-session=\"")
        .skip(1)
        .map(|row| {
            let (id, rest) = row.split_once('"').expect("an id");
            let row = rest.split("</tr>").next().unwrap_or_default();
            (
                id.to_owned(),
                rest.starts_with(" data-current=\"true\""),
                row.to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_sessions_page_lists_ones_sessions_and_ends_one_or_all_the_others() {
    let app = spawn_app().await;
    app.register_unverified("ana@firma.ro").await;
    app.logout().await;
    assert_eq!(
        login_from(&app, "ana@firma.ro", STRONG_PASSWORD, FIREFOX).await,
        StatusCode::SEE_OTHER
    );
    let phone = app.second_browser();
    login_from(&phone, "ana@firma.ro", STRONG_PASSWORD, SAFARI).await;
    let stranger = app.second_browser();
    stranger.register_logged_in("altcineva@firma.ro").await;

    let listed = sessions_listed(&app).await;
    assert_eq!(listed.len(), 2, "only one's own: {listed:?}");
    let (current, _, row) = listed.iter().find(|(_, c, _)| *c).expect("this one marked");
    assert!(
        row.contains("Firefox · Linux") && row.contains("127.0.0.1"),
        "{row}"
    );
    let (phone_id, _, row) = listed.iter().find(|(_, c, _)| !*c).expect("the phone");
    assert!(row.contains("Safari · iOS"), "{row}");
    // Neither the cookie's key nor anything it opens is shown.
    let html = app.get_html("/settings/sessions").await;
    let cookie = app.session_cookie().expect("a session cookie");
    assert!(!html.contains(&cookie));

    // Another account's session is not theirs to end.
    let foreign = stranger
        .post_form(
            "/settings/sessions",
            &format!("/settings/sessions/{phone_id}/end"),
            &[],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert!(is_logged_in(&phone).await);

    let ended = app
        .post_form(
            "/settings/sessions",
            &format!("/settings/sessions/{phone_id}/end"),
            &[],
        )
        .await;
    assert_eq!(location(&ended), "/settings/sessions");
    assert!(!is_logged_in(&phone).await);
    assert!(is_logged_in(&app).await);
    assert_eq!(sessions_listed(&app).await.len(), 1);

    // Two more, then all but this one.
    phone.login("ana@firma.ro", STRONG_PASSWORD).await;
    let tablet = app.second_browser();
    tablet.login("ana@firma.ro", STRONG_PASSWORD).await;
    let r = app
        .post_form("/settings/sessions", "/settings/sessions/end-others", &[])
        .await;
    assert_eq!(location(&r), "/settings/sessions");
    let page = app.get_html("/settings/sessions").await;
    assert!(page.contains("Alte 2 sesiuni au fost încheiate."), "{page}");
    assert!(!is_logged_in(&phone).await && !is_logged_in(&tablet).await);
    assert!(
        is_logged_in(&stranger).await,
        "another account's sessions stay"
    );
    let listed = sessions_listed(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(&listed[0].0, current);

    // Ending this one is logging out.
    let out = app
        .post_form(
            "/settings/sessions",
            &format!("/settings/sessions/{current}/end"),
            &[],
        )
        .await;
    assert!(location(&out).starts_with("/login"));
    assert!(!is_logged_in(&app).await);
    let actions = stranger.audit_actions().await;
    for action in ["user.session_ended", "user.sessions_ended"] {
        assert!(actions.iter().any(|a| a == action), "{actions:?}");
    }
}

#[tokio::test]
async fn a_platform_admin_ends_every_session_of_a_user() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let user = app.second_browser();
    user.register_logged_in("ana@firma.ro").await;
    let laptop = app.second_browser();
    laptop.login("ana@firma.ro", STRONG_PASSWORD).await;
    let id = user_id_of(&app, "ana@firma.ro").await;

    let r = app
        .post_form(
            "/admin/users",
            &format!("/admin/users/{id}/sessions/end"),
            &[],
        )
        .await;
    assert_eq!(location(&r), "/admin/users");
    let page = app.get_html("/admin/users").await;
    assert!(
        page.contains("2 sesiuni ale lui ana@firma.ro au fost încheiate."),
        "{page}"
    );
    assert!(!is_logged_in(&user).await && !is_logged_in(&laptop).await);
    assert!(is_logged_in(&app).await, "the admin's own stays");
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.sessions_ended")
    );
    let missing = app
        .post_form("/admin/users", "/admin/users/999999/sessions/end", &[])
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
