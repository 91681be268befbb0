//! The whole Connect ANAF journey in real headless Chromium (Debian's `chromium` and
//! `chromium-driver`): register, add a company, Connect ANAF, choose a certificate on the sandbox
//! page, see the token, refresh it, delete it.
//!
//! Without `chromedriver` on the PATH the test cannot run: it prints a SKIPPED line that
//! `cargo test` shows (written past libtest's output capture) and ends, unless
//! `ANAF_PORTAL_BROWSER_TESTS=required` (set by `.ci/run`), where a missing browser fails it.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::helpers::{STRONG_PASSWORD, spawn_app, spawn_app_with};

struct Driver {
    process: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole process group: a Chromium whose session was never closed (a failed test)
        // outlives a killed chromedriver.
        if let Ok(group) = i32::try_from(self.process.id()) {
            // SAFETY: kill(2) with a negative pid only signals that process group.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.process.wait();
    }
}

fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

async fn start_driver() -> Option<Driver> {
    let required = std::env::var("ANAF_PORTAL_BROWSER_TESTS").is_ok_and(|v| v == "required");
    let Some(chromedriver) = find_on_path("chromedriver") else {
        assert!(
            !required,
            "chromedriver is not installed but browser tests are required"
        );
        // Straight to the process's stderr: libtest captures `eprintln!` and shows it only for
        // failed tests, and a skip must not pass for a run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "\nSKIPPED: the Chromium journey did not run: chromedriver not found \
             (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        // Its own process group, with the Chromium it starts: `Driver::drop` ends them together.
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(Driver {
        process,
        port,
        _profile: tempfile::tempdir().unwrap(),
    })
}

async fn browser(driver: &Driver) -> Client {
    browser_in(driver, driver._profile.path()).await
}

/// A Chromium session with its own profile: a second person's browser, without the first one's
/// cookies.
async fn browser_in(driver: &Driver, profile: &std::path::Path) -> Client {
    anaf_portal::startup::install_crypto_provider();
    let profile = profile.display().to_string();
    let mut capabilities = serde_json::Map::new();
    let mut options = serde_json::json!({
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic", "--window-size=1280,900",
            format!("--user-data-dir={profile}"),
        ]
    });
    if let Some(binary) = find_on_path("chromium") {
        options["binary"] = serde_json::Value::String(binary.display().to_string());
    }
    capabilities.insert("goog:chromeOptions".into(), options);
    ClientBuilder::rustls()
        .expect("rustls connector")
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

async fn fill(client: &Client, css: &str, value: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("field {css}"))
        .send_keys(value)
        .await
        .unwrap();
}

/// Clicks something that does not navigate (a radio button, a `<summary>`).
async fn tap(client: &Client, css: &str) -> Result<(), String> {
    client
        .find(Locator::Css(css))
        .await
        .map_err(|e| format!("element {css}: {e}"))?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Clicks something that navigates, and waits until the next page has replaced this one.
async fn click(client: &Client, css: &str) {
    let old_page = client.find(Locator::Css("html")).await.unwrap();
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("element {css}"))
        .click()
        .await
        .unwrap();
    for _ in 0..200 {
        if old_page.text().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for _ in 0..200 {
        let ready = client
            .execute("return document.readyState", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(|s| s == "complete"));
        if ready == Some(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// With `ANAF_PORTAL_SCREENSHOTS=DIR`, saves what the person sees, for a look at the layout.
async fn screenshot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("ANAF_PORTAL_SCREENSHOTS") {
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

async fn body_text(client: &Client) -> String {
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The page's full width and the window's: wider than the window, it scrolls sideways.
async fn page_widths(client: &Client) -> Result<(i64, i64), String> {
    let widths = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        widths[0].as_i64().unwrap_or(0),
        widths[1].as_i64().unwrap_or(0),
    ))
}

/// On a 390 px wide phone no main page scrolls sideways, and the token table's rows are cards
/// that show the status and the expiry; then back to the desktop size.
async fn fits_a_phone(client: &Client, address: &str) -> Result<(), String> {
    client
        .set_window_size(390, 844)
        .await
        .map_err(|e| e.to_string())?;
    let company = client
        .find(Locator::Css("a[href^='/companies/']"))
        .await
        .map_err(|e| e.to_string())?
        .attr("href")
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    for path in [
        "/",
        "/tokens",
        company.as_str(),
        "/notifications",
        "/settings/notifications",
        "/settings/api-keys",
    ] {
        client
            .goto(&format!("{address}{path}"))
            .await
            .map_err(|e| e.to_string())?;
        let (scroll, inner) = page_widths(client).await?;
        let name = format!("phone{}", path.replace('/', "-"));
        screenshot(client, &name).await;
        assert!(
            inner > 0 && scroll <= inner,
            "{path} scrolls sideways on a phone: {scroll} > {inner}"
        );
    }
    client
        .goto(&format!("{address}/tokens"))
        .await
        .map_err(|e| e.to_string())?;
    let card = client
        .find(Locator::Css("table.cards tbody tr"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    assert!(
        card.contains("conectat, expiră în") && card.contains("peste 89 de zile"),
        "the card shows the status and the expiry: {card}"
    );
    let label = client
        .execute(
            "return getComputedStyle(document.querySelector('table.cards tbody td:nth-child(4)'), \
             '::before').content",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(
        label, "\"Token de acces expiră\"",
        "each value under its name"
    );
    client
        .set_window_size(1280, 900)
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_person_connects_refreshes_and_deletes_a_token_in_chromium() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = spawn_app_with(&["--worker", "on", "--scheduler-tick", "1s"]).await;
    let client = browser(&driver).await;
    let result = journey(&client, &app.address).await;
    let _ = client.close().await;
    result.unwrap();
}

/// The CSP violations the page has met so far (Chromium keeps them for a buffered
/// `ReportingObserver`), as "directive: blocked source" lines.
async fn csp_violations(client: &Client) -> Vec<String> {
    let script = r#"
        return await new Promise((done) => {
            const observer = new ReportingObserver((reports) => done(reports.map(
                (r) => r.body.effectiveDirective + ": " + (r.body.blockedURL || r.body.sample || ""))),
                { types: ["csp-violation"], buffered: true });
            observer.observe();
            setTimeout(() => done(observer.takeRecords().map(
                (r) => r.body.effectiveDirective + ": " + (r.body.blockedURL || ""))), 500);
        });"#;
    let found = client.execute(script, vec![]).await.expect("script runs");
    serde_json::from_value(found).expect("a list of strings")
}

#[tokio::test]
async fn the_api_docs_render_under_a_csp_without_unsafe_inline() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = spawn_app().await;
    let client = browser(&driver).await;
    let result = async {
        client
            .goto(&format!("{}/api/docs", app.address))
            .await
            .map_err(|e| e.to_string())?;
        client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(".opblock-tag"))
            .await
            .map_err(|e| format!("Swagger UI did not render: {e}"))?;
        let violations = csp_violations(&client).await;
        if violations.is_empty() {
            Ok(())
        } else {
            Err(format!("CSP violations: {violations:?}"))
        }
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
}

/// A newcomer in a sandbox without SMTP, on the register page in Romanian: registers, logs in,
/// reads the confirmation mail in the sandbox mailbox (linked from the banner) and opens its
/// link.
async fn register_and_verify(client: &Client, email: &str) -> Result<(), String> {
    fill(client, "#email", email).await;
    fill(client, "#password", STRONG_PASSWORD).await;
    fill(client, "#password_confirm", STRONG_PASSWORD).await;
    click(client, "form[action='/register'] button[type=submit]").await;
    let text = body_text(client).await;
    if !text.contains("Verificați căsuța de email") {
        return Err(format!("after registering, the login page: {text}"));
    }
    fill(client, "#email", email).await;
    fill(client, "#password", STRONG_PASSWORD).await;
    click(client, "form[action='/login'] button[type=submit]").await;
    let text = body_text(client).await;
    if !text.contains(&format!("Confirmați adresa de email ({email})")) {
        return Err(format!("logged in, the dashboard asks to confirm: {text}"));
    }
    click(client, ".sandbox-banner a[href='/sandbox/mail']").await;
    click(client, "a[href^='/sandbox/mail/']").await;
    let text = body_text(client).await;
    if !text.contains(email) || !text.contains("Confirmați adresa de email") {
        return Err(format!("the confirmation mail: {text}"));
    }
    click(client, ".sandbox-mail-link").await;
    let text = body_text(client).await;
    if !text.contains("Adresa de email este confirmată.") || text.contains("Trimite un link nou") {
        return Err(format!("after opening the link: {text}"));
    }
    Ok(())
}

async fn journey(client: &Client, address: &str) -> Result<(), String> {
    client
        .goto(&format!("{address}/register"))
        .await
        .map_err(|e| e.to_string())?;
    // The browser asks for English; the person switches to Romanian, and it is remembered.
    assert!(body_text(client).await.contains("Create an account"));
    click(client, ".lang-switch button[value=ro]").await;
    assert!(body_text(client).await.contains("Creează un cont"));
    register_and_verify(client, "contabil@firma.ro").await?;
    let text = body_text(client).await;
    assert!(
        text.contains("administrator platformă"),
        "the first account is the platform admin: {text}"
    );

    fill(client, "#cif", "RO 18547290").await;
    fill(client, "#name", "Firma Browser SRL").await;
    click(client, "form[action='/companies'] button[type=submit]").await;
    let text = body_text(client).await;
    assert!(
        text.contains("Firma 18547290 a fost adăugată"),
        "company added: {text}"
    );

    screenshot(client, "dashboard").await;
    click(client, "form[action$='/connect'] button[type=submit]").await;
    screenshot(client, "sandbox-certificates").await;
    let text = body_text(client).await;
    assert!(
        text.contains("ANAF SIMULATOR"),
        "on the sandbox certificate page: {text}"
    );
    // The first certificate (rights on 18547290) is preselected.
    click(client, "button[type=submit]").await;
    let text = body_text(client).await;
    assert!(
        text.contains("Conectat la ANAF"),
        "back with a token: {text}"
    );
    assert!(text.contains("conectat, expiră în"), "status badge: {text}");
    assert!(text.contains("drepturi SPV confirmate"), "{text}");
    screenshot(client, "company").await;
    let url = client.current_url().await.map_err(|e| e.to_string())?;
    assert!(
        !url.as_str().contains("code="),
        "no code left in the URL: {url}"
    );

    click(client, "form[action$='/refresh'] button[type=submit]").await;
    let text = body_text(client).await;
    assert!(text.contains("Token reîmprospătat"), "refreshed: {text}");

    client
        .goto(&format!("{address}/tokens"))
        .await
        .map_err(|e| e.to_string())?;
    let text = body_text(client).await;
    assert!(
        text.contains("Firma Browser SRL") && text.contains("18547290"),
        "token table: {text}"
    );

    screenshot(client, "tokens").await;
    fits_a_phone(client, address).await?;
    click(client, "a[href*='/delete?company=']").await;
    let text = body_text(client).await;
    assert!(
        text.contains("Ștergeți token-ul"),
        "confirmation step: {text}"
    );
    click(
        client,
        "form[action*='/delete?company='] button[type=submit]",
    )
    .await;
    let text = body_text(client).await;
    assert!(text.contains("Token șters"), "deleted: {text}");
    assert!(text.contains("neconectat"), "{text}");

    // What happened is in the bell (the engine fans events out every second).
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    client
        .goto(&format!("{address}/"))
        .await
        .map_err(|e| e.to_string())?;
    let bell = client
        .find(Locator::Css("a.bell .bell-count"))
        .await
        .map_err(|e| format!("the bell counts unread notifications: {e}"))?;
    assert_eq!(bell.text().await.map_err(|e| e.to_string())?, "3");
    click(client, "a.bell").await;
    screenshot(client, "notifications").await;
    let text = body_text(client).await;
    for title in ["Conectat la ANAF", "Token reîmprospătat", "Token șters"] {
        assert!(text.contains(title), "{title} in the bell: {text}");
    }
    click(client, "form[action='/notifications/read-all'] button").await;
    assert!(
        client
            .find(Locator::Css("a.bell .bell-count"))
            .await
            .is_err(),
        "all read"
    );
    click(client, ".notification form button.primary").await;
    let text = body_text(client).await;
    assert!(
        text.contains("Firma Browser SRL"),
        "on the company page: {text}"
    );
    Ok(())
}

/// An accountant's and a support person's walk: 30 CIFs pasted, two companies in trouble, the
/// dashboard on a phone opening on those two with the button that fixes each, and support
/// reading why one client's e-Factura does not work. Every main page is seen at 1366 px and at
/// 390 px (no sideways scrolling, no English on a Romanian page), and saved with
/// `ANAF_PORTAL_SCREENSHOTS=DIR`.
#[tokio::test]
async fn an_accountant_and_support_walk_the_portal_in_chromium() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = spawn_app_with(&["--worker", "on"]).await;
    // The platform's first account (its administrator) and a support person, over HTTP.
    app.register_logged_in("admin@portal.ro").await;
    crate::helpers::make_support(&app, "suport@portal.ro").await;
    let client = browser(&driver).await;
    let result = accountant_walk(&client, &app).await;
    let _ = client.close().await;
    result.unwrap();
}

/// A client's CIF the simulated registry knows, without a name in the paste.
fn client_cif(i: u32) -> String {
    crate::helpers::cif_from(6_200_000 + i * 53)
}

/// The 30 lines an accountant pastes: 27 companies (2 named, 25 by CIF alone), a wrong check
/// digit, a line pasted twice and something that is no CIF.
fn thirty_lines() -> String {
    let mut lines = vec![
        "RO 18547290, Alfa Contabil SRL".to_owned(),
        "22732040, Beta Client SRL".to_owned(),
    ];
    lines.extend((0..25).map(client_cif));
    lines.push("18547291".to_owned());
    lines.push("22732040".to_owned());
    lines.push("RO12A".to_owned());
    lines.join("\n")
}

async fn goto(client: &Client, address: &str, path: &str) -> Result<(), String> {
    client
        .goto(&format!("{address}{path}"))
        .await
        .map_err(|e| e.to_string())
}

/// Sees `path` at 1366 px and at 390 px: saves both, and checks that the phone does not scroll
/// sideways and that the Romanian page holds no English message of the catalog.
async fn at_both_widths(
    client: &Client,
    address: &str,
    path: &str,
    name: &str,
) -> Result<(), String> {
    let english = crate::helpers::english_only_messages();
    for (width, height) in [(1366, 900), (390, 844)] {
        client
            .set_window_size(width, height)
            .await
            .map_err(|e| e.to_string())?;
        goto(client, address, path).await?;
        screenshot(client, &format!("{name}-{width}")).await;
        let (scroll, inner) = page_widths(client).await?;
        if !(inner > 0 && scroll <= inner) {
            return Err(format!(
                "{path} scrolls sideways at {width} px: {scroll} > {inner}"
            ));
        }
        let text = body_text(client).await;
        if let Some(leak) = english.iter().find(|m| text.contains(m.as_str())) {
            return Err(format!("{path} in Romanian shows English: «{leak}»"));
        }
    }
    client
        .set_window_size(1366, 900)
        .await
        .map_err(|e| e.to_string())
}

/// The company id in the first link to a company whose row or card says `text`.
async fn company_link(client: &Client, text: &str) -> Result<String, String> {
    let links = client
        .find_all(Locator::Css("a[href^='/companies/']"))
        .await
        .map_err(|e| e.to_string())?;
    for link in links {
        if link.text().await.map_err(|e| e.to_string())? == text {
            return link
                .attr("href")
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "a link without href".to_owned());
        }
    }
    Err(format!("no link to {text}"))
}

async fn accountant_walk(client: &Client, app: &crate::helpers::TestApp) -> Result<(), String> {
    let address = app.address.as_str();
    goto(client, address, "/register").await?;
    click(client, ".lang-switch button[value=ro]").await;
    register_and_verify(client, "contabil@firma.ro").await?;

    // 30 lines pasted: a result that reads as one.
    tap(client, "#bulk summary").await?;
    fill(client, "#cifs", &thirty_lines()).await;
    click(client, "form[action='/companies/bulk'] button[type=submit]").await;
    let summary = client
        .find(Locator::Css(".bulk-summary"))
        .await
        .map_err(|e| format!("a summary: {e}"))?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(summary, "27 adăugate · 3 respinse");
    let boxed = client
        .find(Locator::Css("#cifs"))
        .await
        .map_err(|e| e.to_string())?
        .prop("value")
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    assert_eq!(
        boxed, "18547291\n22732040\nRO12A",
        "only the rejected lines stay"
    );
    screenshot(client, "accountant-bulk-result").await;

    // Alfa: connected, then ANAF refuses its refresh token. Beta: a certificate without rights.
    let alfa = company_link(client, "Alfa Contabil SRL").await?;
    let beta = company_link(client, "Beta Client SRL").await?;
    goto(client, address, &alfa).await?;
    click(client, "form[action$='/connect'] button[type=submit]").await;
    click(client, "button[type=submit]").await;
    app.sim_post("clock", serde_json::json!({"advance_days": 400}))
        .await;
    click(client, "form[action$='/refresh'] button[type=submit]").await;
    app.sim_post("clock", serde_json::json!({"offset_seconds": 0}))
        .await;
    goto(client, address, &beta).await?;
    click(client, "form[action$='/connect'] button[type=submit]").await;
    tap(client, "#cert-2").await?;
    click(client, "button[type=submit]").await;

    // On a phone the dashboard opens on those two, most urgent first, each with its fix.
    client
        .set_window_size(390, 844)
        .await
        .map_err(|e| e.to_string())?;
    goto(client, address, "/").await?;
    screenshot(client, "accountant-phone-dashboard").await;
    let rows = client
        .find_all(Locator::Css("#attention li"))
        .await
        .map_err(|e| e.to_string())?;
    let mut seen = Vec::new();
    for row in &rows {
        let kind = row
            .attr("data-attention")
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let button = row
            .find(Locator::Css("button.primary"))
            .await
            .map_err(|e| format!("{kind}: no button: {e}"))?;
        assert!(
            button.is_displayed().await.map_err(|e| e.to_string())?,
            "{kind}: the button shows on a phone"
        );
        seen.push((kind, button.text().await.map_err(|e| e.to_string())?));
    }
    assert_eq!(
        seen,
        [
            ("reconnect_needed".to_owned(), "Reconectare ANAF".to_owned()),
            ("no_rights".to_owned(), "Reîmprospătează".to_owned()),
        ]
    );
    // Both fixes are on the first screen, without scrolling.
    let bottoms = client
        .execute(
            "return [window.innerHeight, ...[...document.querySelectorAll('#attention li \
             button.primary')].map((b) => b.getBoundingClientRect().bottom)]",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    let bottoms: Vec<f64> = serde_json::from_value(bottoms).map_err(|e| e.to_string())?;
    assert!(
        bottoms.len() == 3 && bottoms[1..].iter().all(|b| *b <= bottoms[0]),
        "the two buttons show on the first screen: {bottoms:?}"
    );

    let members = format!("{alfa}/members");
    for (path, name) in [
        ("/", "dashboard"),
        ("/?sort=name&per=50", "dashboard-sorted"),
        ("/tokens", "tokens"),
        (alfa.as_str(), "company-reconnect-needed"),
        (beta.as_str(), "company-no-rights"),
        (members.as_str(), "members"),
        ("/members/invite", "invite-many"),
        ("/notifications", "notifications"),
        ("/settings/notifications", "settings-notifications"),
        ("/settings/api-keys", "settings-api-keys"),
    ] {
        at_both_widths(client, address, path, &format!("accountant-{name}")).await?;
    }

    // Support reads in one block why Alfa's e-Factura does not work and what the client must do.
    click(client, "form[action='/logout'] button").await;
    goto(client, address, "/login").await?;
    fill(client, "#email", "suport@portal.ro").await;
    fill(client, "#password", STRONG_PASSWORD).await;
    click(client, "form[action='/login'] button[type=submit]").await;
    let alfa_support = alfa.replace("/companies/", "/support/companies/");
    goto(client, address, &alfa_support).await?;
    let block = client
        .find(Locator::Css("#diagnosis"))
        .await
        .map_err(|e| format!("the explanation block: {e}"))?;
    let text = block.text().await.map_err(|e| e.to_string())?;
    assert!(
        text.contains("e-Factura nu funcționează pentru această firmă")
            && text.contains("Conectați din nou ANAF cu certificatul")
            && text.contains("POPESCU ION"),
        "{text}"
    );
    for (path, name) in [
        ("/support", "support"),
        (alfa_support.as_str(), "support-company"),
        ("/support/lifecycle", "support-lifecycle"),
    ] {
        at_both_widths(client, address, path, &format!("support-{name}")).await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_certificate_holder_connects_through_an_authorization_link_in_chromium() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = spawn_app().await;
    let creator = browser(&driver).await;
    let holder_profile = tempfile::tempdir().unwrap();
    let holder = browser_in(&driver, holder_profile.path()).await;
    let result = link_journey(&creator, &holder, &app.address).await;
    let _ = creator.close().await;
    let _ = holder.close().await;
    result.unwrap();
}

async fn link_journey(creator: &Client, holder: &Client, address: &str) -> Result<(), String> {
    goto(creator, address, "/register").await?;
    click(creator, ".lang-switch button[value=ro]").await;
    register_and_verify(creator, "contabil@firma.ro").await?;
    tap(creator, "#bulk summary").await?;
    let cifs = crate::helpers::COVERED
        .iter()
        .chain(crate::helpers::NOT_COVERED.iter())
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    fill(creator, "#cifs", &cifs).await;
    click(
        creator,
        "form[action='/companies/bulk'] button[type=submit]",
    )
    .await;

    at_both_widths(creator, address, "/links/new", "link-new").await?;
    for checkbox in creator
        .find_all(Locator::Css("input[name=company]"))
        .await
        .map_err(|e| e.to_string())?
    {
        checkbox.click().await.map_err(|e| e.to_string())?;
    }
    click(creator, "form[action='/links'] button[type=submit]").await;
    screenshot(creator, "link-created").await;
    let url = creator
        .find(Locator::Css("#new-link"))
        .await
        .map_err(|e| format!("the new link: {e}"))?
        .prop("value")
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    if !url.starts_with(&format!("{address}/l/")) {
        return Err(format!("a link on the portal: {url}"));
    }
    creator
        .find(Locator::Css("svg.qr"))
        .await
        .map_err(|e| format!("a QR code: {e}"))?;
    let follow = creator
        .find(Locator::Css("a[href^='/links/']"))
        .await
        .map_err(|e| e.to_string())?
        .attr("href")
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_default();

    // The holder: another browser, no session, no account.
    holder.goto(&url).await.map_err(|e| e.to_string())?;
    let text = body_text(holder).await;
    // Chromium asks for English; the holder's page answers in it.
    if !text.contains("contabil@firma.ro") || !text.contains("its PIN") {
        return Err(format!("the holder's page: {text}"));
    }
    screenshot(holder, "link-holder").await;
    click(holder, "button[data-connect-link]").await;
    let text = body_text(holder).await;
    if !text.contains("ANAF SIMULATOR") {
        return Err(format!("on the sandbox certificate page: {text}"));
    }
    // The second certificate (02, IONESCU MARIA).
    tap(holder, "#cert-1").await?;
    click(holder, "button[type=submit]").await;
    screenshot(holder, "link-done").await;
    let text = body_text(holder).await;
    if !text.contains("The ANAF connection is complete") {
        return Err(format!("the holder's result: {text}"));
    }
    let covered = holder
        .find_all(Locator::Css("[data-outcome=covered]"))
        .await
        .map_err(|e| e.to_string())?;
    let source = holder.source().await.map_err(|e| e.to_string())?;
    if covered.len() != 3 || source.contains("eyJ") {
        return Err(format!("3 covered, no token: {source}"));
    }

    at_both_widths(creator, address, &follow, "link-completed").await?;
    let text = body_text(creator).await;
    if !text.contains("finalizat") {
        return Err(format!("the creator's view: {text}"));
    }
    for cif in crate::helpers::COVERED {
        creator
            .find(Locator::Css(&format!(
                "[data-cif='{cif}'][data-outcome=covered]"
            )))
            .await
            .map_err(|e| format!("{cif} covered on the creator's page: {e}"))?;
    }
    Ok(())
}

/// Chromium's virtual authenticator (the WebAuthn WebDriver extension): a platform
/// authenticator that keeps discoverable credentials and verifies its user without a prompt.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let options = serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
            "automaticPresenceSimulation": true,
        });
        (http::Method::POST, Some(options.to_string()))
    }
}

/// Waits (up to 10 s) until the page's text holds `text`, for what JavaScript does after a click.
async fn wait_for_text(client: &Client, text: &str) -> Result<(), String> {
    for _ in 0..200 {
        let body = client
            .find(Locator::Css("body"))
            .await
            .ok()
            .map(|b| async move { b.text().await.unwrap_or_default() });
        if let Some(body) = body
            && body.await.contains(text)
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "the page never said {text:?}: {}",
        body_text(client).await
    ))
}

async fn path_of(client: &Client) -> String {
    client
        .current_url()
        .await
        .map(|url| url.path().to_owned())
        .unwrap_or_default()
}

/// Passkeys end to end in Chromium with a virtual authenticator: one is added on the security
/// page, then signs in as the second step after the password, then alone from the login page.
/// WebAuthn needs a domain name, so the portal is told it lives at http://localhost.
#[tokio::test]
async fn a_passkey_is_added_then_signs_in_as_the_second_step_and_alone() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let port = crate::helpers::free_port();
    let bind = format!("127.0.0.1:{port}");
    let base = format!("http://localhost:{port}");
    let app = spawn_app_with(&["--bind", &bind, "--base-url", &base]).await;
    let client = browser(&driver).await;
    let result = async {
        client
            .issue_cmd(AddVirtualAuthenticator)
            .await
            .map_err(|e| format!("the virtual authenticator: {e}"))?;
        goto(&client, &base, "/register").await?;
        click(&client, ".lang-switch button[value=ro]").await;
        register_and_verify(&client, "contabil@firma.ro").await?;

        goto(&client, &base, "/settings/security").await?;
        fill(&client, "#passkey-name", "Laptop").await;
        click(&client, "form[action='/settings/security/passkeys'] button").await;
        tap(&client, "#passkey-create").await?;
        wait_for_text(&client, "Cheia de acces a fost adăugată").await?;
        let list = client
            .find(Locator::Css("[data-passkey-list]"))
            .await
            .map_err(|e| format!("the passkey list: {e}"))?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        if !list.contains("Laptop") {
            return Err(format!("the list shows the passkey: {list}"));
        }
        // The first passkey brings recovery codes, shown this once.
        let codes = client
            .find_all(Locator::Css("[data-recovery-code]"))
            .await
            .map_err(|e| e.to_string())?;
        if codes.len() != 10 {
            return Err(format!(
                "{} recovery codes shown with the first passkey",
                codes.len()
            ));
        }
        let recovery_code = codes[0].text().await.map_err(|e| e.to_string())?;

        // The password, then the passkey as the second step.
        click(&client, "form[action='/logout'] button").await;
        goto(&client, &base, "/login").await?;
        fill(&client, "#email", "contabil@firma.ro").await;
        fill(&client, "#password", STRONG_PASSWORD).await;
        click(&client, "form[action='/login'] button[type=submit]").await;
        if path_of(&client).await != "/login/second-factor" {
            return Err(format!("after the password: {}", body_text(&client).await));
        }
        // Its recovery codes can stand in for a lost device.
        if client.find(Locator::Css("#code")).await.is_err() {
            return Err("the second step offers no field for a recovery code".into());
        }
        tap(&client, "#passkey-factor").await?;
        wait_for_text(&client, "Bine ați revenit.").await?;
        if path_of(&client).await != "/" {
            return Err(format!("signed in, on {}", path_of(&client).await));
        }

        // The passkey alone: no email, no password.
        click(&client, "form[action='/logout'] button").await;
        goto(&client, &base, "/login").await?;
        tap(&client, "#passkey-sign-in").await?;
        wait_for_text(&client, "Bine ați revenit.").await?;
        if !body_text(&client).await.contains("contabil@firma.ro") {
            return Err(format!(
                "signed in as the account: {}",
                body_text(&client).await
            ));
        }

        // The device lost: the password, then a recovery code.
        click(&client, "form[action='/logout'] button").await;
        goto(&client, &base, "/login").await?;
        fill(&client, "#email", "contabil@firma.ro").await;
        fill(&client, "#password", STRONG_PASSWORD).await;
        click(&client, "form[action='/login'] button[type=submit]").await;
        fill(&client, "#code", &recovery_code).await;
        click(
            &client,
            "form[action='/login/second-factor'] button[type=submit]",
        )
        .await;
        wait_for_text(&client, "Cod de recuperare folosit.").await?;
        if path_of(&client).await != "/" {
            return Err(format!(
                "signed in with a recovery code, on {}",
                path_of(&client).await
            ));
        }
        Ok(())
    }
    .await;
    let _ = client.close().await;
    drop(app);
    result.unwrap();
}
