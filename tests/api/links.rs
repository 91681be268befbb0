//! Authorization links over HTTP: a company admin creates a single-use link, a second client
//! without a session (the certificate holder) opens it and connects ANAF through the sandbox
//! simulator; what each of them sees, and every way a link ends.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{
    COVERED, NOT_COVERED, SERIAL_02, SmtpSink, TestApp, csrf_token, free_port,
    serial_without_rights, spawn_app, spawn_app_with,
};

/// An accountant with the five companies of the journey; their ids in CIF order of `COVERED`
/// then `NOT_COVERED`.
async fn accountant_with_five(app: &TestApp) -> Vec<i64> {
    app.register_logged_in("contabil@firma.ro").await;
    let mut ids = Vec::new();
    for (i, cif) in COVERED.iter().chain(NOT_COVERED.iter()).enumerate() {
        ids.push(app.add_company(cif, &format!("Firma {i} SRL")).await);
    }
    ids
}

fn assert_no_token(html: &str) {
    assert!(!html.contains("eyJ"), "no JWT in the holder's page");
    assert!(!html.to_lowercase().contains("access_token"));
}

/// Moves a link's expiry into the past.
async fn expire(app: &TestApp, id: i64) {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::authorization_links;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        diesel::update(authorization_links::table.find(id))
            .set(
                authorization_links::expires_at
                    .eq(chrono::Utc::now().naive_utc() - chrono::TimeDelta::hours(1)),
            )
            .execute(&mut *conn)
            .unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_holder_connects_five_companies_through_a_link_without_an_account() {
    let app = spawn_app().await;
    let companies = accountant_with_five(&app).await;
    let link = app.create_link(&companies).await;
    assert!(link.page.contains("<svg class=\"qr\""), "QR code inline");
    assert!(
        !link.page.contains("style="),
        "no inline style in the QR code"
    );
    assert_eq!(link.path.len(), "/l/".len() + 43, "256-bit secret");
    // Shown once: the list and the link's page never show the secret.
    let secret = link.path.trim_start_matches("/l/");
    assert!(!app.get_html("/links").await.contains(secret));
    let creator_view = app.get_html(&format!("/links/{}", link.id)).await;
    assert!(!creator_view.contains(secret));
    assert!(creator_view.contains("data-state=\"created\""));
    assert!(
        creator_view.contains("http-equiv=\"refresh\""),
        "reloads while pending"
    );

    let holder = app.second_browser();
    let response = holder.get(&link.path).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["referrer-policy"], "same-origin");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("lang=\"ro\""));
    assert!(page.contains("contabil@firma.ro"), "who asks");
    for cif in COVERED.iter().chain(NOT_COVERED.iter()) {
        assert!(page.contains(cif), "{cif} listed");
    }
    assert!(page.contains("Conectare ANAF"));
    assert!(page.contains("24 de ore"));
    assert!(page.contains("codul PIN"));
    assert!(
        app.get_html(&format!("/links/{}", link.id))
            .await
            .contains("data-state=\"opened\"")
    );

    let (status, done) = holder.holder_connects(&link.path, SERIAL_02).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_no_token(&done);
    for cif in COVERED {
        assert!(
            done.contains(&format!("data-cif=\"{cif}\" data-outcome=\"covered\"")),
            "{cif} covered"
        );
    }
    for cif in NOT_COVERED {
        assert!(
            done.contains(&format!("data-cif=\"{cif}\" data-outcome=\"no_rights\"")),
            "{cif} not covered"
        );
    }
    assert!(done.contains("nu are drepturi SPV pentru CIF 18547290"));
    assert_eq!(app.sim_calls("token").await.len(), 1, "one code exchange");

    let creator_view = app.get_html(&format!("/links/{}", link.id)).await;
    assert!(creator_view.contains("data-state=\"completed\""));
    assert!(!creator_view.contains("http-equiv=\"refresh\""));
    for cif in COVERED {
        assert!(creator_view.contains(&format!("data-cif=\"{cif}\" data-outcome=\"covered\"")));
    }
    for cif in NOT_COVERED {
        assert!(creator_view.contains(&format!("data-cif=\"{cif}\" data-outcome=\"no_rights\"")));
    }
    let list = app.get_html("/links").await;
    assert!(list.contains("data-state=\"completed\""));
    // The token serves the accountant's covered companies (which of them is up to
    // `TokenService::connect_companies`); none of the others.
    let mut connected = 0;
    for (i, id) in companies.iter().enumerate() {
        let page = app.get_html(&format!("/companies/{id}")).await;
        if page.contains("data-status=\"connected\"") {
            assert!(
                i < COVERED.len(),
                "a company without rights is not connected"
            );
            connected += 1;
        }
    }
    assert!(connected >= 1, "a covered company is connected");

    let audit = app.audit_actions().await;
    for action in ["link.created", "link.opened", "link.completed"] {
        assert!(
            audit.iter().any(|a| a == action),
            "{action} audited: {audit:?}"
        );
    }
    assert_eq!(
        audit.iter().filter(|a| *a == "link.opened").count(),
        1,
        "only the first open"
    );

    // Used: the holder's address now says so, with whom to ask.
    let gone = holder.get(&link.path).await;
    assert_eq!(gone.status(), StatusCode::GONE);
    let gone = gone.text().await.unwrap();
    assert!(gone.contains("deja folosit"));
    assert!(gone.contains("contabil@firma.ro"));
}

#[tokio::test]
async fn expired_revoked_and_unknown_links_say_so() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Alfa SRL").await;
    let holder = app.second_browser();

    let expired = app.create_link(&[company]).await;
    expire(&app, expired.id).await;
    let response = holder.get(&expired.path).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let page = response.text().await.unwrap();
    assert!(page.contains("a expirat") && page.contains("contabil@firma.ro"));
    assert!(
        app.get_html(&format!("/links/{}", expired.id))
            .await
            .contains("data-state=\"expired\"")
    );

    let revoked = app.create_link(&[company]).await;
    let page = format!("/links/{}", revoked.id);
    assert!(app.get_html(&page).await.contains("Revocați acest link?"));
    let response = app
        .post_form(&page, &format!("/links/{}/revoke", revoked.id), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(app.get_html(&page).await.contains("data-state=\"revoked\""));
    let response = holder.get(&revoked.path).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let text = response.text().await.unwrap();
    assert!(text.contains("revocat") && text.contains("contabil@firma.ro"));
    // Pressing Connect on a revoked link's page opened before revocation: still 410.
    let token = csrf_token(&holder.get_html("/login").await);
    let response = holder
        .client
        .post(holder.url(&format!("{}/connect", revoked.path)))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "link.revoked")
    );

    let unknown = holder
        .get("/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.text().await.unwrap().contains("Pagina nu există"));

    // In English when the browser asks for it.
    let english = holder
        .client
        .get(holder.url(&expired.path))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(
        english
            .text()
            .await
            .unwrap()
            .contains("The link has expired")
    );
}

#[tokio::test]
async fn a_link_opened_in_two_tabs_completes_once() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(COVERED[0], "Alfa SRL").await;
    let link = app.create_link(&[company]).await;
    let holder = app.second_browser();
    let first = holder.press_link_connect(&link.path).await;
    let second = holder.press_link_connect(&link.path).await;
    let first = holder.choose_certificate(&first, SERIAL_02).await;
    let second = holder.choose_certificate(&second, SERIAL_02).await;
    let (status, page) = holder.link_callback(&first).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-outcome=\"covered\""));
    let (status, page) = holder.link_callback(&second).await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    assert!(page.contains("deja folosit"));
    assert_no_token(&page);
    assert_eq!(
        app.sim_calls("token").await.len(),
        1,
        "the consumed link's second code is never exchanged"
    );
}

#[tokio::test]
async fn a_certificate_without_rights_stores_nothing_and_the_link_stays_usable() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let a = app.add_company(COVERED[0], "Alfa SRL").await;
    let b = app.add_company(NOT_COVERED[0], "Beta SRL").await;
    let link = app.create_link(&[a, b]).await;
    let holder = app.second_browser();
    let (status, page) = holder
        .holder_connects(&link.path, &serial_without_rights())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("linkul rămâne valabil"), "{page}");
    assert!(!page.contains("data-outcome=\"covered\""));
    assert_no_token(&page);
    let company = app.get_html(&format!("/companies/{a}")).await;
    assert!(
        !company.contains("data-status=\"connected\""),
        "nothing stored"
    );
    // Still usable: the page says the last certificate had no rights; another one works.
    let again = holder.get_html(&link.path).await;
    assert!(again.contains("alt certificat"));
    let (status, page) = holder.holder_connects(&link.path, SERIAL_02).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!(
        "data-cif=\"{}\" data-outcome=\"covered\"",
        COVERED[0]
    )));
    assert!(
        app.get_html(&format!("/links/{}", link.id))
            .await
            .contains("data-state=\"completed\"")
    );
}

#[tokio::test]
async fn links_belong_to_their_creator_and_are_limited() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Alfa SRL").await;
    let link = app.create_link(&[company]).await;

    let other = app.second_browser();
    other.register_logged_in("altcineva@firma.ro").await;
    assert_eq!(
        other.get(&format!("/links/{}", link.id)).await.status(),
        StatusCode::NOT_FOUND
    );
    let response = other
        .post_form("/links", &format!("/links/{}/revoke", link.id), &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Not their company: the whole form is refused, nothing created.
    let response = other.post_link_form(&[company], &[("days", "7")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!other.get_html("/links").await.contains("data-link="));

    // A viewer of the company cannot create a link for it either.
    let members = format!("/companies/{company}/members");
    app.post_form(
        &members,
        &members,
        &[("email", "altcineva@firma.ro"), ("role", "viewer")],
    )
    .await;
    let dashboard = other.get_html("/").await;
    let marker = "action=\"/invitations/";
    let at = dashboard.find(marker).expect("an invitation") + marker.len();
    let invitation: String = dashboard[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    other
        .post_form("/", &format!("/invitations/{invitation}/accept"), &[])
        .await;
    assert_eq!(
        other.get(&format!("/companies/{company}")).await.status(),
        StatusCode::OK,
        "a viewer now"
    );
    let response = other.post_link_form(&[company], &[("days", "7")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Bad input: 422, what was typed kept, a message per field.
    let long_note = "x".repeat(501);
    let response = app
        .post_link_form(&[], &[("days", "31"), ("note", &long_note)])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Bifați cel puțin o firmă."));
    assert!(page.contains("între o zi și 30 de zile"));
    assert!(page.contains("cel mult 500 de caractere"));
    assert!(page.contains(&long_note), "the note is kept");
    assert!(page.contains("value=\"31\""), "the days are kept");
    assert!(
        page.contains("name=\"email\""),
        "in the sandbox, links can be mailed (to the sandbox mailbox)"
    );

    // At most 20 waiting links (the first one counts).
    let mut waiting = Vec::new();
    for _ in 1..20 {
        waiting.push(app.create_link(&[company]).await.id);
    }
    let response = app.post_link_form(&[company], &[("days", "7")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("20 de linkuri în așteptare")
    );
    // A revoked one frees a place.
    let revoke = async |id: i64| {
        let page = format!("/links/{id}");
        let response = app.post_form(&page, &format!("{page}/revoke"), &[]).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "link {id} revoked"
        );
    };
    revoke(link.id).await;
    app.create_link(&[company]).await;

    // 26 links: the newest 25 on the first page, the oldest alone on the second.
    for id in waiting.drain(..5) {
        revoke(id).await;
        app.create_link(&[company]).await;
    }
    let first = app.get_html("/links").await;
    assert_eq!(first.matches("data-link=\"").count(), 25);
    assert!(!first.contains(&format!("data-link=\"{}\"", link.id)));
    assert!(first.contains("page=2"), "a way to the next page");
    let second = app.get_html("/links?page=2").await;
    assert_eq!(second.matches("data-link=\"").count(), 1);
    assert!(
        second.contains(&format!("data-link=\"{}\"", link.id)),
        "the oldest link on page 2: {second}"
    );
    assert!(second.contains("data-state=\"revoked\""));
}

#[tokio::test]
async fn the_company_page_offers_a_link_for_that_company() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Alfa SRL").await;
    let other = app.add_company("14399840", "Beta SRL").await;
    let page = app.get_html(&format!("/companies/{company}")).await;
    let href = format!("/links/new?company={company}");
    assert!(page.contains(&href));
    let form = app.get_html(&href).await;
    assert!(form.contains(&format!("value=\"{company}\" checked")));
    assert!(form.contains(&format!("value=\"{other}\">")));
}

/// The bodies of the mails in the outbox (which keeps mail at rest).
async fn outbox_bodies(app: &TestApp) -> Vec<String> {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::mail_outbox;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().unwrap();
        mail_outbox::table
            .select((mail_outbox::body_text, mail_outbox::body_html))
            .load::<(String, String)>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|(text, html)| text + &html)
            .collect()
    })
    .await
    .unwrap()
}

/// A portal mailing through `smtp`, and an accountant logged in there with one company (its id).
async fn accountant_mailing_through(smtp: &str) -> (TestApp, i64) {
    let app = spawn_app_with(&[
        "--smtp-url",
        smtp,
        "--mail-from",
        "ANAF Portal <portal@example.ro>",
    ])
    .await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(COVERED[0], "Firma Exemplu SRL").await;
    (app, company)
}

#[tokio::test]
async fn a_link_is_emailed_to_the_holder_at_once_and_never_kept_in_the_outbox() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let (app, company) = accountant_mailing_through(&sink.url()).await;

    // A wrong address: the form says so and nothing is created or sent.
    let refused = app
        .post_link_form(&[company], &[("days", "7"), ("email", "titular@")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("id=\"email-error\""));
    assert!(!app.get_html("/links").await.contains("data-state="));

    let created = app
        .post_link_form(&[company], &[("days", "7"), ("email", "titular@firma.ro")])
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let page = created.text().await.unwrap();
    assert!(
        page.contains("Linkul a fost trimis prin email la titular@firma.ro"),
        "the creator is told: {page}"
    );
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["titular@firma.ro"]));
    let subject = mail["headers"]["subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains("Cerere de conectare ANAF e-Factura"),
        "{subject}"
    );
    let text = mail["text"].as_str().unwrap_or_default();
    assert!(text.contains("contabil@firma.ro"), "who asks: {text}");
    let url = text
        .split_whitespace()
        .find(|word| word.starts_with(&format!("{}/l/", app.address)))
        .expect("the mail carries the link");
    let path = url.strip_prefix(&app.address).unwrap().to_owned();
    let html = mail["html"].as_str().unwrap_or_default();
    assert!(html.contains("lang=\"ro\""), "{html}");
    assert!(
        html.contains(&format!("<a href=\"{url}\">")),
        "a link to click: {html}"
    );
    assert!(
        !html.contains("Schimbați cum primiți emailuri"),
        "no notification settings footer for someone without an account: {html}"
    );
    assert!(
        page.contains(&format!("{url}</textarea>")),
        "the same link as shown"
    );
    let secret = path.trim_start_matches("/l/").to_owned();
    assert!(
        outbox_bodies(&app)
            .await
            .iter()
            .all(|body| !body.contains(&secret)),
        "the secret never rests in the outbox"
    );

    // The mailed link works for the holder.
    let opened = app.second_browser().get(&path).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert!(opened.text().await.unwrap().contains("contabil@firma.ro"));

    // A mail server that does not answer: the link is still created and shown, with what
    // happened to the mail.
    let dead = format!("smtp://127.0.0.1:{}", free_port());
    let (offline, company) = accountant_mailing_through(&dead).await;
    let created = offline
        .post_link_form(&[company], &[("days", "7"), ("email", "titular@firma.ro")])
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let page = created.text().await.unwrap();
    assert!(page.contains("Emailul nu a putut fi trimis"), "{page}");
    assert!(page.contains("data-link-url>"), "the link is shown to copy");
    assert_eq!(sink.mails().len(), 1, "nothing more was sent");
}
