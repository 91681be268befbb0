//! Company members, bulk add, the dashboard for many companies, the bulk refresh job, the support
//! area, user administration, the audit log, and the authorization matrix over every route.

use anaf_portal::domain::UserId;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    TestApp, add_member, csrf_token, english_only_messages, location, make_support, new_user,
    serial_with_rights, spawn_app, user_id_of,
};

/// The id of `company`'s one pending invitation.
async fn pending_invitation_id(app: &TestApp, company: i64) -> i64 {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        anaf_portal::db::models::invitations::pending_for_company(
            &mut conn,
            anaf_portal::domain::CompanyId(company),
        )
        .unwrap()
        .first()
        .expect("a pending invitation")
        .id
        .get()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn company_admins_manage_members_and_viewers_only_look() {
    let app = spawn_app().await;
    app.register_logged_in("firma@contabil.ro").await;
    let company = app.add_company("18547290", "Alfa SRL").await;
    app.connect_with(company, &serial_with_rights()).await;
    let viewer = new_user(&app, "viewer@contabil.ro").await;
    assert_eq!(
        viewer.get(&format!("/companies/{company}")).await.status(),
        StatusCode::NOT_FOUND
    );

    let members = format!("/companies/{company}/members");
    let r = app
        .post_form(
            &members,
            &members,
            &[("email", "VIEWER@contabil.ro"), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        app.get_html(&members)
            .await
            .contains("Invitația pentru viewer@contabil.ro a fost salvată")
    );
    // Invited, not added: nothing changes until the person accepts.
    assert_eq!(
        viewer.get(&format!("/companies/{company}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let waiting = crate::helpers::invitations_on_dashboard(&viewer).await;
    assert_eq!(waiting.len(), 1);
    let r = viewer
        .post_form("/", &format!("/invitations/{}/accept", waiting[0]), &[])
        .await;
    assert_eq!(location(&r), format!("/companies/{company}"));

    // The viewer sees status and expiry, and no action.
    let page = viewer.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-status=\"connected\""));
    assert!(
        !page.contains("/connect\"") && !page.contains("/refresh\"") && !page.contains("/reveal\"")
    );
    let token = app.token_id_of(company).await;
    let r = viewer
        .post_form("/", &format!("/tokens/{token}/reveal"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = viewer
        .post_form("/", &format!("/companies/{company}/connect"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The last admin can neither leave nor be demoted.
    let me = user_id_of(&app, "firma@contabil.ro").await;
    app.post_form(
        &members,
        &format!("{members}/{me}/role"),
        &[("role", "viewer")],
    )
    .await;
    assert!(
        app.get_html(&members)
            .await
            .contains("cel puțin un administrator")
    );
    app.post_form(&members, &format!("{members}/{me}/remove"), &[])
        .await;
    assert!(
        app.get_html(&members)
            .await
            .contains("cel puțin un administrator")
    );

    // Promote the viewer; now the first admin may step down.
    let viewer_id = user_id_of(&app, "viewer@contabil.ro").await;
    app.post_form(
        &members,
        &format!("{members}/{viewer_id}/role"),
        &[("role", "admin")],
    )
    .await;
    assert!(
        viewer
            .get_html(&format!("/companies/{company}"))
            .await
            .contains("/reveal\"")
    );
    app.post_form(&members, &format!("{members}/{me}/remove"), &[])
        .await;
    assert_eq!(
        app.get(&format!("/companies/{company}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let history = viewer.get_html(&format!("/companies/{company}")).await;
    assert!(
        history.contains("firma@contabil.ro a fost eliminat(ă)")
            && history.contains("are acum rolul administrator firmă"),
        "the history names people by email, roles in Romanian: {history}"
    );
    assert!(!history.contains("user "), "{history}");
    assert!(
        history.contains("Membri modificați"),
        "membership changes are audited"
    );
}

#[tokio::test]
async fn bulk_add_reads_as_a_result_and_keeps_only_the_rejected_lines() {
    let app = spawn_app().await;
    app.register_logged_in("firma@contabil.ro").await;
    app.add_company("14399840", "").await;
    let pasted = "RO 18547290, Alfa SRL\n12345678\n14399840\nRO12A\n1590082\n18547290\n";
    let r = app
        .post_form("/", "/companies/bulk", &[("cifs", pasted)])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a result page, not a re-post"
    );
    assert_eq!(location(&r), "/#bulk");
    let html = app.get_html("/").await;
    assert!(html.contains("2 adăugate · 4 respinse"), "{html}");
    for expected in [
        "<code>12345678</code> — Cifra de control",
        "<code>14399840</code> — deja în lista dumneavoastră",
        "<code>RO12A</code> — ",
        "<code>18547290</code> — repetată în această listă",
    ] {
        assert!(
            html.contains(expected),
            "missing verdict «{expected}»: {html}"
        );
    }
    // Only the rejected lines stay in the box; the list and its counts include the new ones.
    let textarea = &html[html.find("id=\"cifs\"").expect("the box")..];
    let boxed = &textarea[textarea.find('>').unwrap() + 1..textarea.find("</textarea>").unwrap()];
    assert_eq!(boxed, "12345678\n14399840\nRO12A\n18547290");
    assert!(html.contains("Alfa SRL") && html.contains("1590082"));
    assert_eq!(
        html.matches(">1590082<").count(),
        1,
        "a company without a name shows its CIF once"
    );
    assert!(html.contains("<span class=\"muted\">(3)</span>"), "{html}");
    // Shown once: the next visit is a plain dashboard.
    assert!(!app.get_html("/").await.contains("respinse"));
}

#[tokio::test]
async fn the_dashboard_opens_on_the_companies_that_need_a_person_most_urgent_first() {
    let app = spawn_app().await;
    app.register_logged_in("firma@contabil.ro").await;
    let key = app.key_from_page("ERP").await;
    let healthy = app.add_company("22732040", "Sanatos SRL").await;
    app.connect_with(healthy, &crate::helpers::serial_with_rights_for("22732040"))
        .await;
    let troubled = crate::helpers::three_companies_in_trouble(&app, &key).await;

    let html = app.get_html("/").await;
    assert!(
        html.contains("3 firme au nevoie de dumneavoastră"),
        "{html}"
    );
    let queue = &html[html.find("id=\"attention\"").expect("the queue")..];
    let queue = &queue[..queue.find("</section>").unwrap()];
    let order: Vec<&str> = queue
        .match_indices("data-attention=\"")
        .map(|(at, marker)| {
            let rest = &queue[at + marker.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(order, ["reconnect_needed", "no_rights", "reconnect_before"]);
    assert!(
        !queue.contains("Sanatos SRL"),
        "a healthy company is not queued"
    );
    // Each row carries the action that fixes it.
    let row = |company: i64| {
        let marker = format!("data-company=\"{company}\"");
        let start = queue.find(&marker).expect("a row");
        let rest = &queue[start..];
        rest[..rest.find("</li>").unwrap()].to_owned()
    };
    assert!(
        row(troubled.beta).contains(&format!("action=\"/companies/{}/connect\"", troubled.beta))
    );
    assert!(
        row(troubled.alfa).contains("/refresh\""),
        "rights: refresh after enrolling"
    );
    assert!(
        row(troubled.gama).contains(&format!("action=\"/companies/{}/connect\"", troubled.gama))
    );
}

#[tokio::test]
async fn the_token_table_exports_as_csv_with_its_filters() {
    let app = spawn_app().await;
    app.register_logged_in("firma@contabil.ro").await;
    let alfa = app
        .add_company("18547290", "=HYPERLINK(\"http://x\")")
        .await;
    let beta = app.add_company("14399840", "Beta Țară SRL").await;
    app.add_company("1590082", "Fără token SRL").await;
    app.connect_with(alfa, &serial_with_rights()).await;
    app.connect_with(beta, &serial_with_rights()).await;
    let page = app.get_html("/tokens?q=Beta").await;
    assert!(page.contains("href=\"/tokens.csv?q=Beta\""), "{page}");

    let all = app.get("/tokens.csv").await;
    assert_eq!(all.status(), StatusCode::OK);
    assert_eq!(all.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        all.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"anaf-tokens-"),
    );
    let text = all.text().await.unwrap();
    assert!(
        text.starts_with('\u{feff}'),
        "a byte-order mark for spreadsheets"
    );
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "a header and the two tokens: {text}");
    assert!(lines[0].starts_with("CIF,Firmă,Stare"), "{}", lines[0]);
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "a formula is defused: {text}"
    );
    assert!(
        text.contains("Beta Țară SRL") && !text.contains("Fără token"),
        "{text}"
    );
    assert!(!text.contains("eyJ"), "no token value");

    let filtered = app.get_html("/tokens.csv?q=Beta").await;
    assert_eq!(filtered.lines().count(), 2, "{filtered}");
    assert!(filtered.contains("14399840"));
}

#[tokio::test]
async fn the_dashboard_counts_and_filters_by_status() {
    let app = spawn_app().await;
    app.register_logged_in("firma@contabil.ro").await;
    let connected = app.add_company("18547290", "Alfa SRL").await;
    app.add_company("12345674", "Beta SRL").await;
    app.add_company("1590082", "Gama SRL").await;
    app.connect_with(connected, &serial_with_rights()).await;

    let html = app.get_html("/").await;
    let count = |code: &str| {
        let marker = format!("data-count=\"{code}\">");
        let start = html.find(&marker).unwrap() + marker.len();
        let rest = &html[start..];
        let strong = rest.find("<strong>").unwrap() + "<strong>".len();
        rest[strong..rest.find("</strong>").unwrap()].to_owned()
    };
    assert_eq!(count("not_connected"), "2");
    assert_eq!(count("connected"), "1");
    assert_eq!(count("expiring_soon"), "0");

    let filtered = app.get_html("/?status=not_connected").await;
    assert!(filtered.contains("Beta SRL") && filtered.contains("Gama SRL"));
    assert!(!filtered.contains(">Alfa SRL<"));
    let filtered = app.get_html("/?status=connected&q=alfa").await;
    assert!(filtered.contains(">Alfa SRL<") && !filtered.contains("Beta SRL"));

    // The counters follow the search, keep it in their links, and a zero is muted.
    let searched = app.get_html("/?q=beta").await;
    let count = |code: &str| {
        let marker = format!("data-count=\"{code}\">");
        let start = searched.find(&marker).unwrap() + marker.len();
        let rest = &searched[start..];
        let strong = rest.find("<strong>").unwrap() + "<strong>".len();
        rest[strong..rest.find("</strong>").unwrap()].to_owned()
    };
    assert_eq!(count("not_connected"), "1");
    assert_eq!(count("connected"), "0");
    assert!(
        searched.contains("href=\"/?q=beta&#38;status=not_connected\""),
        "{searched}"
    );
    assert!(
        searched.contains("class=\"count zero\" data-count=\"connected\""),
        "{searched}"
    );
}

#[tokio::test]
async fn refresh_all_expiring_runs_one_job_with_one_anaf_call_per_token() {
    // The engine on, with its default tick: starting the job wakes it at once.
    let app = crate::helpers::spawn_app_with(&["--worker", "on"]).await;
    app.register_logged_in("firma@contabil.ro").await;
    // Tokens that live 10 days, issued (on the simulator's clock) 9 days ago: 1 day left, past
    // their due date (a fifth of the lifetime before expiry), so "expiring soon" from the start.
    app.sim_post("settings", json!({"access_token_lifetime_days": 10}))
        .await;
    app.sim_post("clock", json!({"offset_seconds": -9 * 86_400}))
        .await;
    let a = app.add_company("18547290", "Alfa SRL").await;
    let b = app.add_company("14399840", "Beta SRL").await;
    app.add_company("1590082", "Fără token").await;
    app.connect_with(a, &serial_with_rights()).await;
    app.connect_with(b, &serial_with_rights()).await;
    assert!(
        app.get_html("/?status=expiring_soon")
            .await
            .contains("Alfa SRL")
    );
    app.client
        .delete(app.sim_url("calls"))
        .send()
        .await
        .unwrap();
    // One of the two refreshes fails: the job's page names its company and why.
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "status", "status": 503, "count": 1}),
    )
    .await;

    let r = app.post_form("/", "/tokens/refresh-expiring", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let job = location(&r);
    assert!(job.starts_with("/jobs/"));
    let mut page = String::new();
    for _ in 0..100 {
        page = app.get_html(&job).await;
        if page.contains("data-job-state=\"finished\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(page.contains("2 din 2 procesate"), "{page}");
    let failures = &page[page
        .find("id=\"job-failures\"")
        .expect("the failures are listed")..];
    assert!(
        failures.contains("Alfa SRL") ^ failures.contains("Beta SRL"),
        "the company that failed: {page}"
    );
    assert!(failures.contains("HTTP 503"), "and why: {page}");
    let refreshes = app
        .sim_calls("token")
        .await
        .into_iter()
        .filter(|c| c["grant_type"] == "refresh_token")
        .count();
    assert_eq!(refreshes, 2, "one ANAF call per token");
    // Someone else cannot look at the job.
    let other = new_user(&app, "altcineva@contabil.ro").await;
    assert_eq!(other.get(&job).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn support_sees_everything_read_only_and_never_a_secret() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let client = new_user(&app, "firma@contabil.ro").await;
    let company = client.add_company("18547290", "Alfa SRL").await;
    client.connect_with(company, &serial_with_rights()).await;
    let token = client.token_id_of(company).await;
    // A refresh that fails (ANAF answers 503), then one that succeeds.
    client
        .sim_post(
            "faults",
            json!({"endpoint": "token", "kind": "status", "status": 503}),
        )
        .await;
    client
        .post_form("/", &format!("/tokens/{token}/refresh"), &[])
        .await;
    client
        .post_form("/", &format!("/tokens/{token}/refresh"), &[])
        .await;
    let support = make_support(&app, "suport@portal.ro").await;

    for query in [
        "",
        "?q=18547",
        "?q=alfa",
        "?q=firma%40contabil",
        "?status=connected",
    ] {
        let html = support.get_html(&format!("/support{query}")).await;
        assert!(html.contains("Alfa SRL"), "support search {query}");
        assert!(!html.contains("eyJ"), "no token in the support list");
    }
    assert!(
        !support
            .get_html("/support?q=beta")
            .await
            .contains("Alfa SRL")
    );
    let detail = support
        .get_html(&format!("/support/companies/{company}"))
        .await;
    assert!(detail.contains("Token reîmprospătat"), "refresh history");
    assert!(detail.contains("HTTP 503"), "and why a refresh failed");
    assert!(detail.contains("firma@contabil.ro"), "who did it");
    assert!(
        !detail.contains("eyJ")
            && !detail.contains("/reveal")
            && !detail.contains("<form method=\"post\" action=\"/tokens")
    );

    for (path, fields) in [
        (format!("/tokens/{token}/refresh"), vec![]),
        (format!("/tokens/{token}/delete"), vec![]),
        ("/companies".to_owned(), vec![("cif", "14399840")]),
        (format!("/companies/{company}/connect"), vec![]),
    ] {
        let r = support.post_form("/support", &path, &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "support POST {path}");
    }
    assert_eq!(
        support.get("/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(client.get("/support").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admins_manage_users_and_the_last_admin_stays() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let user = new_user(&app, "ion@firma.ro").await;
    let ion = user_id_of(&app, "ion@firma.ro").await;
    let me = user_id_of(&app, "admin@portal.ro").await;

    let list = app.get_html("/admin/users?q=ion").await;
    assert!(list.contains("<td>ion@firma.ro") && !list.contains("<td>admin@portal.ro"));

    // Disabling ends the user's session at once.
    assert_eq!(user.get("/").await.status(), StatusCode::OK);
    app.post_form("/admin/users", &format!("/admin/users/{ion}/disable"), &[])
        .await;
    assert!(crate::helpers::is_login_redirect(&user.get("/").await));
    assert_eq!(
        user.login("ion@firma.ro", crate::helpers::STRONG_PASSWORD)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.post_form("/admin/users", &format!("/admin/users/{ion}/enable"), &[])
        .await;
    assert_eq!(
        user.login("ion@firma.ro", crate::helpers::STRONG_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // The last admin can neither be demoted nor disabled.
    app.post_form(
        "/admin/users",
        &format!("/admin/users/{me}/role"),
        &[("role", "user")],
    )
    .await;
    assert!(
        app.get_html("/admin/users")
            .await
            .contains("Ultimul administrator activ")
    );
    app.post_form("/admin/users", &format!("/admin/users/{me}/disable"), &[])
        .await;
    assert!(
        app.get_html("/admin/users")
            .await
            .contains("Ultimul administrator activ")
    );
    assert_eq!(
        app.get("/admin/users").await.status(),
        StatusCode::OK,
        "still admin"
    );

    // With a second admin, the first may step down.
    app.post_form(
        "/admin/users",
        &format!("/admin/users/{ion}/role"),
        &[("role", "admin")],
    )
    .await;
    app.post_form(
        "/admin/users",
        &format!("/admin/users/{me}/role"),
        &[("role", "user")],
    )
    .await;
    assert_eq!(
        app.get("/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(user.get("/admin/users").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_audit_log_filters_and_viewing_it_is_audited() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let client = new_user(&app, "firma@contabil.ro").await;
    let company = client.add_company("18547290", "Alfa SRL").await;
    client.connect_with(company, "none").await;
    client.connect_with(company, &serial_with_rights()).await;

    let all = app.get_html("/admin/audit").await;
    assert!(all.contains("connect.failed") && all.contains("connect.succeeded"));
    let failures = app.get_html("/admin/audit?outcome=failure").await;
    assert!(failures.contains("connect.failed") && !failures.contains("connect.succeeded"));
    let by_actor = app.get_html("/admin/audit?actor=firma%40").await;
    assert!(
        by_actor.contains("connect.started") && !by_actor.contains("<code>audit.viewed</code>")
    );
    let by_company = app
        .get_html("/admin/audit?company=RO18547290&action=connect.")
        .await;
    assert!(by_company.contains("connect.started") && !by_company.contains("company.created"));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let dated = app
        .get_html(&format!("/admin/audit?from={today}&until={today}"))
        .await;
    assert!(dated.contains("connect.started"));
    let future = app.get_html("/admin/audit?from=2999-01-01").await;
    assert!(!future.contains("connect.started"));
    let viewed = app.get_html("/admin/audit?action=audit.viewed").await;
    assert!(
        viewed.contains("<code>audit.viewed</code>"),
        "viewing the log is audited"
    );
    assert!(!all.contains("eyJ"));
}

/// Fans out the events written so far (no engine runs here) and returns the id of one of
/// `user_id`'s notifications.
async fn first_notification_of(app: &TestApp, user_id: UserId) -> i64 {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::notifications;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        anaf_portal::services::notify::dispatch::dispatch_batch(&mut conn, None, 100).unwrap();
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .select(notifications::id)
            .first::<i64>(&mut conn)
            .expect("the connection's notification")
    })
    .await
    .unwrap()
}

/// What a caller gets from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Served (a page, a redirect elsewhere, or a handled form error).
    Ok,
    /// Sent to log in (303 to /login, or 401).
    Login,
    Forbidden,
    NotFound,
}

fn classify(response: &reqwest::Response) -> Seen {
    let status = response.status();
    assert!(
        !status.is_server_error(),
        "{} gave {status}",
        response.url()
    );
    match status {
        StatusCode::FORBIDDEN => Seen::Forbidden,
        StatusCode::NOT_FOUND => Seen::NotFound,
        StatusCode::UNAUTHORIZED => Seen::Login,
        StatusCode::SEE_OTHER if location(response).starts_with("/login") => Seen::Login,
        _ => Seen::Ok,
    }
}

/// Every HTML route and who may call it: anonymous, logged-in non-member, company viewer,
/// company admin, support staff, platform admin. `O` served, `L` login, `F` 403, `N` 404.
const MATRIX: &[(&str, &str, &str)] = &[
    ("get", "/", "LOOOOO"),
    ("get", "/healthz", "OOOOOO"),
    // Without ANAF_PORTAL_METRICS_TOKEN there is nothing there, for anyone.
    ("get", "/metrics", "NNNNNN"),
    ("get", "/static/{name}", "OOOOOO"),
    ("get", "/login", "OOOOOO"),
    ("post", "/login", "OOOOOO"),
    ("get", "/register", "OOOOOO"),
    ("post", "/register", "OOOOFO"),
    // Logged in, the form is the settings page's (a 303); an empty address is a handled 422.
    ("get", "/password/forgot", "OOOOOO"),
    ("post", "/password/forgot", "OOOOOO"),
    // A link that is not one: 410, for anyone.
    ("get", "/password/reset/{secret}", "OOOOOO"),
    ("post", "/password/reset/{secret}", "OOOOOO"),
    // One's own account: support staff too may change their password and address.
    ("get", "/settings/account", "LOOOOO"),
    ("post", "/settings/account/password", "LOOOOO"),
    ("post", "/settings/account/email", "LOOOOO"),
    ("get", "/settings/account/email/{secret}", "LOOOOO"),
    ("get", "/settings/sessions", "LOOOOO"),
    // Nobody has a session by that name (a 404); ending the others leaves the caller's.
    ("post", "/settings/sessions/{id}/end", "LNNNNN"),
    ("post", "/settings/sessions/end-others", "LOOOOO"),
    // Without a sign-in waiting for its code: back to the login page; signed in: the dashboard.
    ("get", "/login/second-factor", "LOOOOO"),
    ("post", "/login/second-factor", "LOOOOO"),
    // An empty form is a handled error (422).
    ("get", "/reauth", "LOOOOO"),
    ("post", "/reauth", "LOOOOO"),
    // Everyone's own two-factor, support staff included; with nothing to confirm, disable or
    // regenerate, a 303 back to the page.
    ("get", "/settings/security", "LOOOOO"),
    ("post", "/settings/security/totp/start", "LOOOOO"),
    ("post", "/settings/security/totp/confirm", "LOOOOO"),
    ("post", "/settings/security/totp/disable", "LOOOOO"),
    ("post", "/settings/security/recovery-codes", "LOOOOO"),
    // Passkeys: this portal is on an IP address, so adding one leads back to the page; the
    // answers are JSON (a form is 415); nobody has a passkey by that id (404).
    ("post", "/settings/security/passkeys", "LOOOOO"),
    ("post", "/settings/security/passkeys/finish", "LOOOOO"),
    ("post", "/settings/security/passkeys/{id}/remove", "LNNNNN"),
    ("post", "/login/second-factor/passkey", "OOOOOO"),
    ("post", "/login/passkey", "OOOOOO"),
    ("get", "/admin/security", "LFFFFO"),
    ("post", "/admin/security", "LFFFFO"),
    ("post", "/language", "OOOOOO"),
    ("post", "/companies", "LOOOFO"),
    ("post", "/companies/bulk", "LOOOFO"),
    ("get", "/companies/{id}", "LNOONN"),
    ("post", "/companies/{id}/name", "LNFOFN"),
    ("post", "/companies/{id}/connect", "LNFOFN"),
    // Only a token offered to the company can be attached (its own is not); support never writes.
    ("post", "/companies/{id}/attach/{token_id}", "LNFNFN"),
    ("get", "/coverage", "LOOOOO"),
    // Only one's own companies are looked at (none offered here: nothing to do, a 303).
    ("post", "/coverage/attach", "LOOOFO"),
    ("get", "/companies/{id}/members", "LNOONN"),
    ("post", "/companies/{id}/members", "LNFOFN"),
    ("post", "/companies/{id}/members/{user_id}/role", "LNFOFN"),
    ("get", "/companies/{id}/members/{user_id}/remove", "LNFONN"),
    ("get", "/members/invite", "LOOOOO"),
    // Without a role the form is refused (400) before any company is looked at.
    ("post", "/members/invite", "LOOOFO"),
    ("post", "/invitations/accept-all", "LOOOFO"),
    // Only the invitee's own invitations can be answered; any other id reads "no longer pending".
    ("post", "/invitations/{id}/accept", "LOOOFO"),
    ("post", "/invitations/{id}/decline", "LOOOFO"),
    // Every answer is a 303: to the page, or away from the code to what went wrong.
    ("get", "/anaf/callback", "OOOOOO"),
    // Only the session's own last failure is there: any other id is unknown.
    ("get", "/anaf/connect-failed/{id}", "NNNNNN"),
    ("get", "/tokens", "LOOOOO"),
    ("get", "/tokens.csv", "LOOOOO"),
    ("post", "/tokens/refresh-expiring", "LOOOFO"),
    ("get", "/jobs/{id}", "LNNONN"),
    ("post", "/tokens/{id}/refresh", "LNFOFN"),
    ("get", "/tokens/{id}/delete", "LNFONN"),
    ("post", "/tokens/{id}/reveal", "LNFOFN"),
    ("get", "/support", "LFFFOO"),
    ("get", "/support/companies/{id}", "LFFFOO"),
    ("get", "/support/lifecycle", "LFFFOO"),
    ("get", "/admin/users", "LFFFFO"),
    ("post", "/admin/users/{id}/role", "LFFFFO"),
    ("post", "/admin/users/{id}/disable", "LFFFFO"),
    ("post", "/admin/users/{id}/enable", "LFFFFO"),
    ("post", "/admin/users/{id}/verify", "LFFFFO"),
    ("post", "/admin/users/{id}/reset-link", "LFFFFO"),
    ("post", "/admin/users/{id}/sessions/end", "LFFFFO"),
    // A link that is not the caller's own (or not a link) is refused on the dashboard, a 303.
    ("get", "/verify-email/{secret}", "LOOOOO"),
    ("post", "/verify-email", "LOOOFO"),
    // The sandbox without SMTP: simulated mail, readable by anyone who reaches the sandbox.
    ("get", "/sandbox/mail", "OOOOOO"),
    ("get", "/sandbox/mail/{id}", "OOOOOO"),
    ("get", "/admin/audit", "LFFFFO"),
    ("get", "/settings/api-keys", "LOOOOO"),
    ("post", "/settings/api-keys", "LOOOFO"),
    ("post", "/settings/api-keys/{id}/revoke", "LNNOFN"),
    ("get", "/notifications", "LOOOOO"),
    ("post", "/notifications/read-all", "LOOOFO"),
    // Only one's own notification: the company admin's here.
    ("post", "/notifications/{id}/read", "LNNOFN"),
    ("get", "/settings/notifications", "LOOOOO"),
    // An empty form is a handled error (422); the test email says email is off.
    ("post", "/settings/notifications", "LOOOFO"),
    ("post", "/settings/notifications/test", "LOOOFO"),
    ("get", "/companies/{id}/webhooks", "LNFONN"),
    ("post", "/companies/{id}/webhooks", "LNFOFN"),
    ("get", "/companies/{id}/webhooks/{endpoint_id}", "LNFONN"),
    (
        "post",
        "/companies/{id}/webhooks/{endpoint_id}/enable",
        "LNFOFN",
    ),
    (
        "post",
        "/companies/{id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        "LNFOFN",
    ),
    ("get", "/links", "LOOOOO"),
    ("get", "/links/new", "LOOOOO"),
    // Without a company ticked the form is a handled error (422).
    ("post", "/links", "LOOOFO"),
    // Only the link's creator (the company admin) sees it.
    ("get", "/links/{id}", "LNNONN"),
    // The certificate holder needs no account: anyone with the link opens it (410 once revoked).
    ("get", "/l/{secret}", "OOOOOO"),
    ("post", "/l/{secret}/connect", "OOOOFO"),
    // Only the browser's own last outcome is there: any other id is unknown.
    ("get", "/l/done/{id}", "NNNNNN"),
    // Destructive: checked last for each caller.
    ("post", "/links/{id}/revoke", "LNNOFN"),
    (
        "post",
        "/companies/{id}/webhooks/{endpoint_id}/delete",
        "LNFOFN",
    ),
    ("post", "/companies/{id}/members/{user_id}/remove", "LNFOFN"),
    (
        "post",
        "/companies/{id}/invitations/{invitation_id}/cancel",
        "LNFOFN",
    ),
    ("post", "/tokens/{id}/delete", "LNFOFN"),
    ("post", "/logout", "LLLLLL"),
];

#[tokio::test]
async fn authorization_matrix_covers_every_route_and_caller() {
    // The table lists exactly the routes the application registers.
    let registered: std::collections::BTreeSet<_> = anaf_portal::http::web::ROUTES
        .iter()
        .chain(anaf_portal::http::web::ROUTES_OUTSIDE_SESSIONS)
        .map(|(m, p)| (*m, *p))
        .collect();
    let listed: std::collections::BTreeSet<_> = MATRIX.iter().map(|(m, p, _)| (*m, *p)).collect();
    assert_eq!(
        registered, listed,
        "every route needs a row in the matrix, and only routes do"
    );

    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let company_admin = new_user(&app, "firma@contabil.ro").await;
    let company = company_admin.add_company("18547290", "Alfa SRL").await;
    company_admin
        .connect_with(company, &serial_with_rights())
        .await;
    let token = company_admin.token_id_of(company).await;
    let job = location(
        &company_admin
            .post_form("/", "/tokens/refresh-expiring", &[])
            .await,
    );
    let viewer = new_user(&app, "viewer@contabil.ro").await;
    let members = format!("/companies/{company}/members");
    add_member(
        &company_admin,
        company,
        &viewer,
        "viewer@contabil.ro",
        "viewer",
    )
    .await;
    // An invitation nobody can answer but the owner of an email without an account.
    company_admin
        .post_form(
            &members,
            &members,
            &[("email", "pending@altfirma.ro"), ("role", "viewer")],
        )
        .await;
    let invitation = pending_invitation_id(&app, company).await;
    let viewer_id = user_id_of(&app, "viewer@contabil.ro").await;
    let non_member = new_user(&app, "strain@altfirma.ro").await;
    let support = make_support(&app, "suport@portal.ro").await;
    new_user(&app, "victim@altfirma.ro").await;
    let victim = user_id_of(&app, "victim@altfirma.ro").await;
    let anonymous = app.second_browser();
    let admin_id = user_id_of(&company_admin, "firma@contabil.ro").await;
    let (spare_key, _) = api_key(&app, admin_id).await;
    let notification = first_notification_of(&app, admin_id).await;
    let (endpoint, delivery) = webhook_with_delivery(&app, company, admin_id).await;
    let link = company_admin.create_link(&[company]).await;

    let concrete = |path: &str| {
        let with_id = if path.starts_with("/l/{secret}") {
            path.replace("/l/{secret}", &link.path)
        } else if path.starts_with("/links/{id}") {
            path.replace("{id}", &link.id.to_string())
        } else if path.starts_with("/tokens/{id}") {
            path.replace("{id}", &token.to_string())
        } else if path.starts_with("/jobs/{id}") {
            job.clone()
        } else if path.starts_with("/notifications/{id}") {
            path.replace("{id}", &notification.to_string())
        } else if path.starts_with("/settings/api-keys/{id}") {
            path.replace("{id}", &spare_key.to_string())
        } else if path.starts_with("/admin/users/{id}") {
            path.replace("{id}", &victim.to_string())
        } else if path.starts_with("/sandbox/mail/{id}") {
            // The first mail: the platform admin's confirmation link.
            path.replace("{id}", "1")
        } else if path.starts_with("/verify-email/{secret}") {
            path.replace("{secret}", "not-a-link-of-anyone")
        } else if path.starts_with("/invitations/{id}") {
            path.replace("{id}", &invitation.to_string())
        } else {
            path.replace("{id}", &company.to_string())
        };
        with_id
            .replace("{user_id}", &viewer_id.to_string())
            .replace("{invitation_id}", &invitation.to_string())
            .replace("{token_id}", &token.to_string())
            .replace("{endpoint_id}", &endpoint.to_string())
            .replace("{delivery_id}", &delivery.to_string())
            .replace("{name}", "app.css")
            .replace("{secret}", "not-a-link-of-anyone")
    };
    // Forms carry what a browser would send; empty or wrong values still show who may call.
    let fields = |path: &str| -> Vec<(&'static str, &'static str)> {
        if path.ends_with("/role") {
            vec![("role", "viewer")]
        } else if path == "/language" {
            vec![("lang", "ro"), ("next", "/")]
        } else {
            vec![]
        }
    };

    let callers = [
        ("anonymous", &anonymous),
        ("non-member", &non_member),
        ("viewer", &viewer),
        ("company admin", &company_admin),
        ("support", &support),
        ("platform admin", &app),
    ];
    let mut wrong = Vec::new();
    for (index, (who, caller)) in callers.iter().enumerate() {
        let form_page = if index == 0 { "/login" } else { "/tokens" };
        let token_for_forms = csrf_token(&caller.get_html(form_page).await);
        for (method, path, expected) in MATRIX {
            let url = caller.url(&concrete(path));
            let response = if *method == "get" {
                caller.client.get(&url).send().await.unwrap()
            } else {
                let mut form = fields(path);
                form.push(("csrf_token", token_for_forms.as_str()));
                caller.client.post(&url).form(&form).send().await.unwrap()
            };
            let seen = classify(&response);
            let want = match expected.as_bytes()[index] {
                b'O' => Seen::Ok,
                b'L' => Seen::Login,
                b'F' => Seen::Forbidden,
                _ => Seen::NotFound,
            };
            if seen != want {
                wrong.push(format!(
                    "{who}: {method} {path} gave {seen:?} ({}), expected {want:?}",
                    response.status()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "authorization matrix:\n{}",
        wrong.join("\n")
    );

    // The REST API, called with each caller's API key (anonymous: none), on a fresh token (the
    // HTML matrix deleted the first, and logged everyone out).
    company_admin
        .login("firma@contabil.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    company_admin
        .connect_with(company, &serial_with_rights())
        .await;
    let token = company_admin.token_id_of(company).await;
    let (api_endpoint, _) = webhook_with_delivery(&app, company, admin_id).await;
    viewer
        .login("viewer@contabil.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    add_member(
        &company_admin,
        company,
        &viewer,
        "viewer@contabil.ro",
        "viewer",
    )
    .await;
    let api_registered: std::collections::BTreeSet<_> = anaf_portal::http::api::ROUTES
        .iter()
        .map(|(m, p)| (*m, *p))
        .collect();
    let api_listed: std::collections::BTreeSet<_> =
        API_MATRIX.iter().map(|(m, p, _)| (*m, *p)).collect();
    assert_eq!(
        api_registered, api_listed,
        "every API route needs a row in the API matrix"
    );
    let openapi: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let documented: std::collections::BTreeSet<(String, String)> = openapi["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let versioned: std::collections::BTreeSet<(String, String)> = anaf_portal::http::api::ROUTES
        .iter()
        .filter(|(_, p)| p.starts_with("/api/v1/"))
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        documented, versioned,
        "the OpenAPI document describes exactly the API routes"
    );

    let mut keys = vec![None];
    for email in [
        "strain@altfirma.ro",
        "viewer@contabil.ro",
        "firma@contabil.ro",
        "suport@portal.ro",
        "admin@portal.ro",
    ] {
        keys.push(Some(api_key(&app, user_id_of(&app, email).await).await.1));
    }
    let http = crate::helpers::client_with(std::sync::Arc::new(reqwest::cookie::Jar::default()));
    let mut wrong = Vec::new();
    // The company admin goes last: its DELETE removes the token.
    for index in [0, 1, 2, 4, 5, 3] {
        let key = &keys[index];
        for (method, path, expected) in API_MATRIX {
            let id = match path.starts_with("/api/v1/webhooks/") {
                true => api_endpoint,
                false => token,
            };
            let url = app.url(
                &path
                    .replace("{id}", &id.to_string())
                    .replace("{file}", "swagger-ui.css"),
            );
            let mut request = match *method {
                "get" => http.get(&url),
                "delete" => http.delete(&url),
                _ => http.post(&url).json(&json!({})),
            };
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            let response = request.send().await.unwrap();
            let seen = classify(&response);
            let want = match expected.as_bytes()[index] {
                b'O' => Seen::Ok,
                b'L' => Seen::Login,
                b'F' => Seen::Forbidden,
                _ => Seen::NotFound,
            };
            if seen != want {
                wrong.push(format!(
                    "caller {index}: {method} {path} gave {seen:?} ({}), expected {want:?}",
                    response.status()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "API authorization matrix:\n{}",
        wrong.join("\n")
    );
}

/// Every API route by caller, as `MATRIX` (`L` here is 401 for a missing key). As the API
/// contract says, a token of a company the caller does not administer is 403, an unknown id 404.
const API_MATRIX: &[(&str, &str, &str)] = &[
    ("get", "/api/openapi.json", "OOOOOO"),
    ("get", "/api/docs", "OOOOOO"),
    ("get", "/api/docs/{file}", "OOOOOO"),
    ("get", "/api/v1/anaf/tokens", "LOOOOO"),
    ("post", "/api/v1/anaf/tokens", "LOOOFO"),
    ("get", "/api/v1/anaf/tokens/{id}", "LFOOFF"),
    ("post", "/api/v1/anaf/tokens/{id}/refresh", "LFFOFF"),
    ("get", "/api/v1/anaf/tokens/{id}/access-token", "LFFOFF"),
    ("get", "/api/v1/api-keys", "LOOOOO"),
    ("get", "/api/v1/webhooks", "LOOOOO"),
    // `{}` lacks `url`: 400 for whoever may register.
    ("post", "/api/v1/webhooks", "LOOOFO"),
    // Destructive: last. An endpoint of a company the caller is not a member of is not revealed.
    ("delete", "/api/v1/webhooks/{id}", "LNFOFN"),
    ("delete", "/api/v1/anaf/tokens/{id}", "LFFOFF"),
];

/// A webhook endpoint of `company` registered by `user` (its secret is never used here), and a
/// delivery of the company's first event to it: (endpoint id, delivery id).
async fn webhook_with_delivery(app: &TestApp, company: i64, user: UserId) -> (i64, i64) {
    use anaf_portal::db::models::webhooks::{NewEndpoint, create_endpoint};
    use anaf_portal::db::schema::{events, webhook_deliveries};
    use diesel::prelude::*;
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        let url = format!(
            "https://erp.example.ro/hooks/{}",
            anaf_portal::secrets::random_token(6)
        );
        let endpoint = create_endpoint(
            &mut conn,
            NewEndpoint {
                company_id: anaf_portal::domain::CompanyId(company),
                url: &url,
                events: "token.connected",
                description: None,
                created_by: user,
            },
            |_| Ok::<_, std::convert::Infallible>(("unused".to_owned(), "unused".to_owned())),
        )
        .unwrap();
        let event: i64 = events::table
            .select(events::id)
            .order(events::id)
            .first(&mut *conn)
            .unwrap();
        let at = chrono::Utc::now().naive_utc();
        let delivery = diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::endpoint_id.eq(endpoint.id),
                webhook_deliveries::event_id.eq(event),
                webhook_deliveries::message_id.eq(format!("evt_{event}")),
                webhook_deliveries::status.eq("failed"),
                webhook_deliveries::next_attempt_at.eq(at),
                webhook_deliveries::created_at.eq(at),
            ))
            .returning(webhook_deliveries::id)
            .get_result::<i64>(&mut *conn)
            .unwrap();
        (endpoint.id.get(), delivery)
    })
    .await
    .unwrap()
}

/// Every permission, for every company.
fn all_scope() -> anaf_portal::domain::KeyScope {
    use anaf_portal::domain::{KeyCompanies, KeyScope, Permission, Permissions};
    KeyScope {
        permissions: Permissions::new(Permission::ALL),
        companies: KeyCompanies::All,
    }
}

/// A new API key for the user: (id, the key itself).
async fn api_key(app: &TestApp, user: UserId) -> (i64, String) {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        let (key, secret) =
            anaf_portal::db::models::api_keys::create(&mut conn, user, "matrix", &all_scope())
                .unwrap();
        (key.id.get(), secret)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn romanian_pages_show_no_english_text() {
    let app = spawn_app().await;
    app.register_logged_in("firma@contabil.ro").await;
    let key = app.key_from_page("ERP").await;
    let troubled = crate::helpers::three_companies_in_trouble(&app, &key).await;
    let healthy = app.add_company("22732040", "Sanatos SRL").await;
    app.connect_with(healthy, &crate::helpers::serial_with_rights_for("22732040"))
        .await;
    let link = app.create_link(&[healthy, troubled.alfa]).await;
    let english = english_only_messages();
    assert!(english.len() > 100, "the scan found too few messages");
    let mut leaks = Vec::new();
    for path in [
        "/".to_owned(),
        "/tokens".to_owned(),
        format!("/companies/{}", troubled.alfa),
        format!("/companies/{}", troubled.beta),
        format!("/companies/{}", troubled.gama),
        format!("/companies/{healthy}"),
        format!("/companies/{healthy}/members"),
        format!("/companies/{healthy}/webhooks"),
        "/notifications".to_owned(),
        "/settings/notifications".to_owned(),
        "/settings/api-keys".to_owned(),
        "/support".to_owned(),
        "/support/lifecycle".to_owned(),
        format!("/support/companies/{}", troubled.beta),
        "/admin/users".to_owned(),
        "/admin/audit".to_owned(),
        "/links".to_owned(),
        "/links/new".to_owned(),
        format!("/links/{}", link.id),
        link.path.clone(),
    ] {
        let html = app.get_html(&path).await;
        assert!(html.contains("lang=\"ro\""), "{path} is Romanian");
        for text in &english {
            if let Some(at) = html.find(text.as_str()) {
                let context = &html[at.saturating_sub(80)..(at + text.len() + 20).min(html.len())];
                leaks.push(format!("{path}: {text} in «{context}»"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "English on Romanian pages:\n{}",
        leaks.join("\n")
    );
}
