//! A certificate's token reaches only the people its holder chose: addresses are proven before
//! anything trusts them (invitations, mail), a connection serves only the companies it was
//! started for, and an offer is attached only when nobody new gains the token. Each attack is
//! driven the way a stranger with a second browser would.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{
    COVERED, TestApp, add_member, invitations_on_dashboard, is_login_redirect, location,
    sandbox_mails, serial_with_rights_for, spawn_app, spawn_app_with,
};

/// The portal-relative path of the confirmation link in the newest mail to `email`.
async fn confirmation_path(app: &TestApp, email: &str) -> String {
    let (id, _, _) = sandbox_mails(app)
        .await
        .into_iter()
        .find(|(_, to, subject)| to == email && subject.contains("Confirmați adresa"))
        .unwrap_or_else(|| panic!("a confirmation mail to {email}"));
    let html = app.get_html(&format!("/sandbox/mail/{id}")).await;
    let marker = "class=\"sandbox-mail-link\">";
    let start = html.find(marker).expect("the mail holds a link") + marker.len();
    let url = &html[start..start + html[start..].find('<').expect("link end")];
    let path = url
        .strip_prefix(&app.address)
        .expect("the link is on the portal")
        .to_owned();
    assert!(path.starts_with("/verify-email/"), "{path}");
    path
}

#[tokio::test]
async fn an_invitation_goes_only_to_the_owner_of_the_invited_mailbox() {
    let app = spawn_app().await;
    app.register_logged_in("admin@firma.ro").await;
    let company = app.add_company(COVERED[0], "Firma SRL").await;
    let response = app
        .connect_with(company, &serial_with_rights_for(COVERED[0]))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = app.token_id_of(company).await;
    let members = format!("/companies/{company}/members");
    let r = app
        .post_form(
            &members,
            &members,
            &[("email", "invitee@firma.ro"), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The attacker registers the invited address: logged in, unverified.
    let attacker = app.second_browser();
    attacker.register_unverified("invitee@firma.ro").await;
    let dashboard = attacker.get_html("/").await;
    assert!(dashboard.contains("id=\"verify-banner\""), "{dashboard}");
    assert!(
        invitations_on_dashboard(&attacker).await.is_empty(),
        "an unverified account sees no invitation"
    );
    let invitation = {
        let db = app.db();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get_blocking().unwrap();
            anaf_portal::db::models::invitations::pending_for_company(
                &mut conn,
                anaf_portal::domain::CompanyId(company),
            )
            .unwrap()[0]
                .id
                .get()
        })
        .await
        .unwrap()
    };
    for answer in ["accept", "decline"] {
        let r = attacker
            .post_form("/", &format!("/invitations/{invitation}/{answer}"), &[])
            .await;
        assert_eq!(location(&r), "/", "{answer} refused");
    }
    let r = attacker
        .post_form("/", "/invitations/accept-all", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let reveal = attacker
        .post_form("/", &format!("/tokens/{token}/reveal"), &[])
        .await;
    assert_eq!(reveal.status(), StatusCode::NOT_FOUND, "no token for them");
    let page = app.get_html(&members).await;
    assert!(page.contains("invitee@firma.ro"), "still pending: {page}");

    // The real owner of the mailbox never gets the link's use: opened in their browser (not
    // logged in to that account), it asks for the account's password.
    let path = confirmation_path(&app, "invitee@firma.ro").await;
    let owner = app.second_browser();
    let opened = owner.get(&path).await;
    assert!(is_login_redirect(&opened), "the link needs its account");
    // Logged in to another account, it proves nothing.
    let other = app.second_browser();
    other.register_logged_in("altcineva@firma.ro").await;
    other.get(&path).await;
    assert!(
        other.get_html("/").await.contains("nu funcționează"),
        "another account's link"
    );
    // Only the account that registered the address, logged in, proves it with the link; and
    // only then does it see the invitation.
    let r = attacker.get(&path).await;
    assert_eq!(location(&r), "/");
    let dashboard = attacker.get_html("/").await;
    assert!(
        dashboard.contains("Adresa de email este confirmată."),
        "{dashboard}"
    );
    assert!(!dashboard.contains("id=\"verify-banner\""));
    assert_eq!(invitations_on_dashboard(&attacker).await, vec![invitation]);
    // A link works once.
    attacker.get(&path).await;
    assert!(attacker.get_html("/").await.contains("nu funcționează"));
}

#[tokio::test]
async fn registration_tells_nothing_about_an_address_and_its_links_expire_and_are_limited() {
    let app = spawn_app_with(&["--login-max-failures", "3"]).await;
    app.register_logged_in("ana@firma.ro").await;
    app.logout().await;

    // A second registration of the address: the same answer, and a note to its owner.
    let stranger = app.second_browser();
    let taken = stranger
        .register("ana@firma.ro", "alt-munte-verde-2026")
        .await;
    let fresh = stranger
        .register("nou@firma.ro", "alt-munte-verde-2026")
        .await;
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&taken), location(&fresh));
    let mails = sandbox_mails(&app).await;
    let to_ana: Vec<&str> = mails
        .iter()
        .filter(|(_, to, _)| to == "ana@firma.ro")
        .map(|(_, _, subject)| subject.as_str())
        .collect();
    assert_eq!(to_ana.len(), 2, "{mails:?}");
    assert!(
        to_ana[0].contains("a încercat să vă înregistreze"),
        "{to_ana:?}"
    );
    assert!(
        mails
            .iter()
            .any(|(_, to, subject)| to == "nou@firma.ro" && subject.contains("Confirmați")),
        "{mails:?}"
    );
    // Each registration of an address counts: the third within the window is refused.
    stranger
        .register("ana@firma.ro", "alt-munte-verde-2026")
        .await;
    let limited = stranger
        .register("ana@firma.ro", "alt-munte-verde-2026")
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);

    // A link expires after 24 hours.
    let fresh_user = app.second_browser();
    fresh_user
        .login("nou@firma.ro", "alt-munte-verde-2026")
        .await;
    let path = confirmation_path(&app, "nou@firma.ro").await;
    {
        let db = app.db();
        tokio::task::spawn_blocking(move || {
            use anaf_portal::db::schema::email_verifications;
            use diesel::prelude::*;
            let mut conn = db.get_blocking().unwrap();
            diesel::update(email_verifications::table)
                .set(
                    email_verifications::expires_at
                        .eq(chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(1)),
                )
                .execute(&mut conn)
                .unwrap();
        })
        .await
        .unwrap();
    }
    fresh_user.get(&path).await;
    assert!(
        fresh_user
            .get_html("/")
            .await
            .contains("id=\"verify-banner\"")
    );
    // A new link on request, three an hour (registration sent the first).
    for expected in ["pe drum", "pe drum", "trei linkuri"] {
        fresh_user.post_form("/", "/verify-email", &[]).await;
        let page = fresh_user.get_html("/").await;
        assert!(page.contains(expected), "{expected}: {page}");
    }
    let path = confirmation_path(&app, "nou@firma.ro").await;
    fresh_user.get(&path).await;
    assert!(
        fresh_user
            .get_html("/")
            .await
            .contains("Adresa de email este confirmată.")
    );
}

#[tokio::test]
async fn without_mail_a_platform_admin_vouches_for_an_address_and_unverified_ones_get_no_mail() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let person = app.second_browser();
    person.register_unverified("contabil@firma.ro").await;

    // An unverified address is mailed nothing but its proof: no test mail, no link mail.
    let r = person
        .post_form(
            "/settings/notifications",
            "/settings/notifications/test",
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        person
            .get_html("/settings/notifications")
            .await
            .contains("Confirmați mai întâi adresa")
    );
    let company = person.add_company(COVERED[0], "Client SRL").await;
    let created = person
        .post_link_form(&[company], &[("days", "7"), ("email", "titular@firma.ro")])
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    assert!(
        created
            .text()
            .await
            .unwrap()
            .contains("doar de la o adresă confirmată")
    );
    assert!(
        sandbox_mails(&app)
            .await
            .iter()
            .all(|(_, to, _)| to != "titular@firma.ro"),
        "no link mail from an unproven sender"
    );

    // The platform admin vouches for the address on the users page.
    let users = app.get_html("/admin/users").await;
    assert!(users.contains("email neconfirmat"), "{users}");
    let id = {
        let db = app.db();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get_blocking().unwrap();
            let email = anaf_portal::domain::Email::parse("contabil@firma.ro").unwrap();
            anaf_portal::db::models::users::find_by_email(&mut conn, &email)
                .unwrap()
                .unwrap()
                .id
        })
        .await
        .unwrap()
    };
    let r = app
        .post_form("/admin/users", &format!("/admin/users/{id}/verify"), &[])
        .await;
    assert_eq!(location(&r), "/admin/users");
    assert!(
        !app.get_html("/admin/users")
            .await
            .contains("email neconfirmat")
    );
    assert!(!person.get_html("/").await.contains("id=\"verify-banner\""));
    assert!(
        app.audit_actions()
            .await
            .contains(&"user.email_verified".to_owned())
    );
}

/// Waits until `company`'s page (as `viewer` sees it) shows an offer.
async fn wait_for_offer(viewer: &TestApp, company: i64) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let html = viewer.get_html(&format!("/companies/{company}")).await;
        if html.contains("data-offers") {
            return html;
        }
        assert!(Instant::now() < deadline, "no offer for {company}: {html}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_connection_never_gives_the_token_to_a_strangers_record_of_a_covered_cif() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let own = app.add_company(COVERED[0], "Firma Proprie SRL").await;

    // A stranger makes a record of another CIF the accountant's certificate covers and makes
    // the accountant an admin there; the accountant accepts.
    let attacker = app.second_browser();
    attacker.register_logged_in("atacator@exemplu.ro").await;
    let bait = attacker.add_company(COVERED[1], "Momeala SRL").await;
    add_member(&attacker, bait, &app, "contabil@firma.ro", "admin").await;

    let response = app
        .connect_with(own, &serial_with_rights_for(COVERED[0]))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = app.token_id_of(own).await;

    // The probe finds the certificate's rights there and only offers the token; attaching it
    // would hand it to the stranger, so it is refused and the page says who and what instead.
    let page = wait_for_offer(&app, bait).await;
    assert!(page.contains("data-newcomers"), "{page}");
    assert!(page.contains("atacator@exemplu.ro"), "{page}");
    assert!(
        !page.contains(&format!("/attach/{token}\"")),
        "no Attach button"
    );
    let path = format!("/companies/{bait}/attach/{token}");
    let r = app
        .post_form(&format!("/companies/{bait}"), &path, &[])
        .await;
    assert_eq!(location(&r), format!("/companies/{bait}"));
    let page = app.get_html(&format!("/companies/{bait}")).await;
    assert!(page.contains("Nu a fost atașat"), "{page}");
    // The stranger has no token at all.
    let reveal = attacker
        .post_form("/", &format!("/tokens/{token}/reveal"), &[])
        .await;
    assert_eq!(reveal.status(), StatusCode::NOT_FOUND);
    let theirs = attacker.get_html(&format!("/companies/{bait}")).await;
    assert!(!theirs.contains("action=\"/tokens/"), "{theirs}");
    assert!(
        app.audit_actions()
            .await
            .contains(&"token.attached".to_owned()),
        "the refusal is audited"
    );
}

#[tokio::test]
async fn a_links_connection_serves_the_links_companies_and_only_offers_the_others() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let alfa = app.add_company(COVERED[0], "Alfa SRL").await;
    let beta = app.add_company(COVERED[1], "Beta SRL").await;
    let link = app.create_link(&[alfa]).await;
    let holder = app.second_browser();
    let (status, _) = holder
        .holder_connects(&link.path, crate::helpers::SERIAL_02)
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = app.token_id_of(alfa).await;

    // Beta was not in the link: offered, not served.
    let page = wait_for_offer(&app, beta).await;
    assert!(
        !page.contains("action=\"/tokens/"),
        "Beta is not served: {page}"
    );
    // Its admins can all use the token already (through Alfa): attaching is theirs to decide.
    assert!(!page.contains("data-newcomers"), "{page}");
    let path = format!("/companies/{beta}/attach/{token}");
    let r = app
        .post_form(&format!("/companies/{beta}"), &path, &[])
        .await;
    assert_eq!(location(&r), format!("/companies/{beta}"));
    assert_eq!(app.token_id_of(beta).await, token);
}

/// Runs `statements` on the test database, in order.
fn execute(db: &anaf_portal::db::Db, statements: &[&str]) {
    use diesel::RunQueryDsl;
    let mut conn = db.get_blocking().expect("connection");
    for statement in statements {
        diesel::sql_query(*statement)
            .execute(&mut *conn)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

#[tokio::test]
async fn the_upgrade_detaches_a_token_from_a_strangers_record_and_tells_its_admins() {
    // A database as the portal before this rule left it: the accountant's token (connected for
    // their own company 1) also serves the stranger's record 2 (the stranger and the accountant
    // administer it) and the accountant's other company 3.
    let (_, data, database_url) = crate::helpers::test_args(None, &[]);
    let db = anaf_portal::db::Db::connect(
        &anaf_portal::db::DatabaseUrl::parse(&database_url).expect("url"),
    )
    .expect("db");
    let setup = db.clone();
    tokio::task::spawn_blocking(move || {
        setup.migrate_to("2026-11-30-000021").expect("old schema");
        execute(
            &setup,
            &[
                "INSERT INTO users (email, password_hash, role, created_at, updated_at) VALUES \
                 ('contabil@firma.ro', 'x', 'user', '2026-11-01 08:00:00', '2026-11-01 08:00:00'), \
                 ('atacator@exemplu.ro', 'x', 'user', '2026-11-01 08:00:00', '2026-11-01 08:00:00')",
                "INSERT INTO companies (cif, name, created_by, created_at) VALUES \
                 ('1590082', 'Proprie SRL', 1, '2026-11-01 08:00:00'), \
                 ('22732040', 'Momeala SRL', 2, '2026-11-01 08:00:00'), \
                 ('11123319', 'Client SRL', 1, '2026-11-01 08:00:00')",
                "INSERT INTO company_members (company_id, user_id, role, created_at, cif) VALUES \
                 (1, 1, 'admin', '2026-11-01 08:00:00', '1590082'), \
                 (2, 2, 'admin', '2026-11-01 08:00:00', '22732040'), \
                 (2, 1, 'admin', '2026-11-01 08:00:00', '22732040'), \
                 (3, 1, 'admin', '2026-11-01 08:00:00', '11123319')",
                "INSERT INTO anaf_tokens (company_id, fingerprint, access_expires_at, refresh_due_at, status, source, \
                 created_at) VALUES (1, 'f1', '2027-02-01 08:00:00', '2027-01-20 08:00:00', 'active', 'oauth', \
                 '2026-11-02 08:00:00')",
                "INSERT INTO company_tokens (company_id, token_id, rights, attached_at) VALUES \
                 (1, 1, 'granted', '2026-11-02 08:00:00'), \
                 (2, 1, 'granted', '2026-11-02 08:00:05'), \
                 (3, 1, 'granted', '2026-11-02 08:00:06')",
            ],
        );
    })
    .await
    .expect("join");

    // The test's files (and its PostgreSQL database) live as long as `_data`.
    let _data = data;
    let app =
        crate::helpers::spawn_app_on(&database_url, &["--worker", "on", "--scheduler-tick", "1s"])
            .await;
    let served: Vec<i64> = {
        let db = app.db();
        tokio::task::spawn_blocking(move || {
            use anaf_portal::db::schema::company_tokens;
            use diesel::prelude::*;
            let mut conn = db.get_blocking().unwrap();
            company_tokens::table
                .order(company_tokens::company_id)
                .select(company_tokens::company_id)
                .load(&mut *conn)
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(served, vec![1, 3], "the stranger's record lost the token");
    assert!(
        app.audit_actions()
            .await
            .contains(&"token.detached".to_owned())
    );
    // Both admins of the record are told (the bell; the notifier fans the event out).
    let kinds = {
        let db = app.db();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let db = db.clone();
            let kinds: Vec<(i64, String)> = tokio::task::spawn_blocking(move || {
                use anaf_portal::db::schema::{events, notifications};
                use diesel::prelude::*;
                let mut conn = db.get_blocking().unwrap();
                notifications::table
                    .inner_join(events::table)
                    .order(notifications::user_id)
                    .select((notifications::user_id, events::kind))
                    .load(&mut *conn)
                    .unwrap()
            })
            .await
            .unwrap();
            if kinds.len() >= 2 || Instant::now() > deadline {
                break kinds;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    assert_eq!(
        kinds,
        vec![
            (1, "token.detached".to_owned()),
            (2, "token.detached".to_owned())
        ]
    );
}

#[tokio::test]
async fn with_smtp_the_confirmation_link_arrives_by_mail_and_the_sandbox_keeps_none() {
    let Some(sink) = crate::helpers::SmtpSink::start() else {
        return;
    };
    let app = spawn_app_with(&[
        "--smtp-url",
        &sink.url(),
        "--mail-from",
        "portal@example.ro",
    ])
    .await;
    app.register_unverified("ana@firma.ro").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mail = loop {
        let found = sink
            .all_mails()
            .into_iter()
            .find(crate::helpers::is_address_confirmation);
        if let Some(mail) = found {
            break mail;
        }
        assert!(Instant::now() < deadline, "no confirmation mail");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["ana@firma.ro"]));
    let text = mail["text"].as_str().unwrap_or_default();
    let start = text.find("/verify-email/").expect("the link in the text");
    let path: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(
        mail["html"].as_str().unwrap_or_default().contains(&path),
        "the HTML part has the same link"
    );
    // Real mail leaves the portal: there is no sandbox mailbox then.
    assert_eq!(
        app.get("/sandbox/mail").await.status(),
        StatusCode::NOT_FOUND
    );
    app.get(&path).await;
    let dashboard = app.get_html("/").await;
    assert!(
        dashboard.contains("Adresa de email este confirmată."),
        "{dashboard}"
    );
}

#[tokio::test]
async fn one_press_attaches_the_offers_that_give_the_token_to_nobody_new() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let own: Vec<i64> = {
        let mut ids = Vec::new();
        for (i, cif) in COVERED[..2].iter().enumerate() {
            ids.push(app.add_company(cif, &format!("Client {i} SRL")).await);
        }
        ids
    };
    // A stranger's record of the certificate's third CIF, with the accountant as its admin.
    let attacker = app.second_browser();
    attacker.register_logged_in("atacator@exemplu.ro").await;
    let bait = attacker.add_company(COVERED[2], "Momeala SRL").await;
    add_member(&attacker, bait, &app, "contabil@firma.ro", "admin").await;
    app.connect_with(own[0], &serial_with_rights_for(COVERED[0]))
        .await;
    let token = app.token_id_of(own[0]).await;

    // Offers appear for the accountant's other company and the stranger's record.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let coverage = app.get_html("/coverage").await;
        if coverage.matches("data-cell=\"offered\"").count() == 2 {
            assert!(coverage.contains("data-attach-offers"), "{coverage}");
            break;
        }
        assert!(Instant::now() < deadline, "offers: {coverage}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = app.post_form("/coverage", "/coverage/attach", &[]).await;
    assert_eq!(location(&r), "/coverage");
    let coverage = app.get_html("/coverage").await;
    assert!(coverage.contains("Atașat la o firmă."), "{coverage}");
    assert!(
        coverage.contains("O firmă are nevoie de acordul titularului"),
        "{coverage}"
    );
    for company in &own[1..] {
        assert_eq!(app.token_id_of(*company).await, token);
    }
    let theirs = attacker.get_html(&format!("/companies/{bait}")).await;
    assert!(!theirs.contains("action=\"/tokens/"), "{theirs}");
    let (status, _) = attacker.reveal(bait, token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
