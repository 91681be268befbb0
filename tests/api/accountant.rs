//! An accountant's portal: lists sorted and sized as asked, one block that explains each
//! company's e-Factura, and members managed across many companies at once.

use reqwest::StatusCode;

use crate::helpers::{
    TestApp, cif_from, invitations_on_dashboard, location, make_support, new_user,
    serial_with_rights_for, spawn_app, three_companies_in_trouble,
};

/// The text of each `data-label="Firmă"` cell of the page's company table, in order.
fn names_in_table(html: &str) -> Vec<String> {
    html.match_indices("data-label=\"Firmă\">")
        .map(|(at, marker)| {
            let cell = &html[at + marker.len()..];
            let cell = &cell[..cell.find("</td>").expect("the cell ends")];
            strip_tags(cell)
        })
        .collect()
}

fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// Adds `count` named companies in one paste; returns their CIFs.
async fn paste_companies(app: &TestApp, count: u32) -> Vec<String> {
    let cifs: Vec<String> = (0..count).map(|i| cif_from(5_100_000 + i * 37)).collect();
    // Names out of CIF order, so that sorting by name and by CIF differ.
    let pasted: String = cifs
        .iter()
        .enumerate()
        .map(|(i, cif)| format!("{cif}, Firma {:02} SRL\n", (i * 7) % count as usize))
        .collect();
    let r = app
        .post_form("/", "/companies/bulk", &[("cifs", pasted.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    cifs
}

#[tokio::test]
async fn lists_sort_by_the_column_asked_for_and_show_the_page_size_chosen() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let cifs = paste_companies(&app, 30).await;

    // By name, both ways; the header says how the list is sorted and links to the other way.
    let html = app.get_html("/?sort=name&per=50").await;
    let names = names_in_table(&html);
    assert_eq!(names.len(), 30, "one page of 50 holds all 30: {names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(
        html.contains(
            "aria-sort=\"ascending\"><a class=\"sort\" href=\"/?sort=-name&#38;per=50\">Firmă"
        ),
        "{html}"
    );
    assert!(!html.contains("rel=\"next\""), "no second page");
    let descending = names_in_table(&app.get_html("/?sort=-name&per=50").await);
    sorted.reverse();
    assert_eq!(descending, sorted);

    // By CIF, as numbers: a 7-digit CIF before the 8-digit ones, though "9…" > "5…" as text.
    let short = cif_from(900_000);
    app.add_company(&short, "").await;
    let html = app.get_html("/?sort=cif&per=50").await;
    let marker = "data-label=\"CIF\">";
    let shown: Vec<String> = html
        .match_indices(marker)
        .map(|(at, _)| {
            let cell = &html[at + marker.len()..];
            strip_tags(&cell[..cell.find("</td>").unwrap()])
        })
        .collect();
    let mut by_number = cifs.clone();
    by_number.push(short);
    by_number.sort_by_key(|c| c.parse::<u64>().unwrap());
    assert_eq!(shown, by_number);

    // The default page holds 25, and a page size the list does not offer is the default.
    for path in ["/", "/?per=7", "/?per=abc"] {
        let html = app.get_html(path).await;
        assert_eq!(names_in_table(&html).len(), 25, "{path}");
        assert!(html.contains("rel=\"next\""), "{path}: a second page");
    }
    let html = app.get_html("/?sort=name").await;
    assert!(
        html.contains("href=\"/?sort=name&#38;per=100\">100</a>"),
        "{html}"
    );
    // A new search keeps the order and the page size.
    let html = app.get_html("/?sort=-cif&per=100").await;
    let search = &html[html.find("role=\"search\"").unwrap()..];
    let search = &search[..search.find("</form>").unwrap()];
    assert!(search.contains("name=\"sort\" value=\"-cif\""), "{search}");
    assert!(search.contains("name=\"per\" value=\"100\""), "{search}");
    // An unknown order is the default one, not an error.
    assert_eq!(
        app.get("/?sort=drop%20table").await.status(),
        StatusCode::OK
    );

    // The token table sorts too (by the reconnect date here), and says so.
    let connected = app.add_company("1590082", "Conectat SRL").await;
    app.connect_with(connected, &serial_with_rights_for("1590082"))
        .await;
    let html = app.get_html("/tokens?sort=-reconnect").await;
    assert!(html.contains("Conectat SRL"));
    assert!(html.contains("aria-sort=\"descending\""), "{html}");
}

/// The explanation block of a page: its verdict and its text.
fn diagnosis(html: &str) -> (String, String) {
    let start = html.find("id=\"diagnosis\"").expect("the page explains");
    let block = &html[..start];
    let verdict_at = block.rfind("data-verdict=\"").expect("a verdict") + "data-verdict=\"".len();
    let verdict = block[verdict_at..].split('"').next().unwrap().to_owned();
    let rest = &html[start..];
    let text = strip_tags(&rest[..rest.find("</div>").unwrap()]);
    (verdict, text)
}

#[tokio::test]
async fn one_block_says_whether_e_factura_works_why_what_to_do_and_by_when() {
    let app = spawn_app().await;
    app.register_logged_in("admin@portal.ro").await;
    let key = app.key_from_page("ERP").await;
    let healthy = app.add_company("22732040", "Sanatos SRL").await;
    app.connect_with(healthy, &serial_with_rights_for("22732040"))
        .await;
    let troubled = three_companies_in_trouble(&app, &key).await;
    let waiting = app.add_company(&cif_from(4_100_001), "Nou SRL").await;

    let (verdict, text) = diagnosis(&app.get_html(&format!("/companies/{healthy}")).await);
    assert_eq!(verdict, "works", "{text}");
    assert!(
        text.contains("e-Factura funcționează pentru această firmă"),
        "{text}"
    );
    assert!(
        text.contains("IONESCU MARIA (certSIGN Qualified CA)"),
        "the holder by name: {text}"
    );
    assert!(text.contains("Ultimul apel reușit la ANAF"), "{text}");
    assert!(text.contains("Nimic."), "{text}");

    let beta = app.get_html(&format!("/companies/{}", troubled.beta)).await;
    let (verdict, text) = diagnosis(&beta);
    assert_eq!(verdict, "broken", "{text}");
    assert!(text.contains("ANAF nu mai acceptă acest token"), "{text}");
    assert!(
        text.contains("Până când") && text.contains("acum"),
        "{text}"
    );
    let connection = &beta[..beta.find("<h2>Istoric</h2>").expect("the history")];
    assert!(
        !connection.contains("drepturi SPV confirmate"),
        "no confirmed rights on a token ANAF refuses: {connection}"
    );

    let (verdict, text) = diagnosis(&app.get_html(&format!("/companies/{}", troubled.alfa)).await);
    assert_eq!(verdict, "broken", "{text}");
    assert!(
        text.contains("nu are drepturi SPV pentru acest CIF"),
        "{text}"
    );
    assert!(
        text.contains("Răspunsul ANAF: „"),
        "ANAF's own words, quoted: {text}"
    );

    let (verdict, text) = diagnosis(&app.get_html(&format!("/companies/{}", troubled.gama)).await);
    assert_eq!(verdict, "works_until", "{text}");
    assert!(
        text.contains("Conectați din nou ANAF înainte de această dată"),
        "{text}"
    );

    let (verdict, text) = diagnosis(&app.get_html(&format!("/companies/{waiting}")).await);
    assert_eq!(verdict, "not_connected", "{text}");

    // Support reads the same block, with what the client must do.
    let support = make_support(&app, "suport@portal.ro").await;
    let page = support
        .get_html(&format!("/support/companies/{}", troubled.beta))
        .await;
    let (verdict, text) = diagnosis(&page);
    assert_eq!(verdict, "broken");
    assert!(
        text.contains("Conectați din nou ANAF cu certificatul"),
        "{text}"
    );
    assert!(
        page.contains("administrator firmă"),
        "roles in Romanian on the support page"
    );
}

#[tokio::test]
async fn a_person_is_invited_to_many_companies_at_once_and_accepts_them_all() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let companies = [
        app.add_company("18547290", "Alfa SRL").await,
        app.add_company("14399840", "Beta SRL").await,
        app.add_company("1590082", "Gama SRL").await,
    ];
    let other = new_user(&app, "strain@altfirma.ro").await;
    let foreign = other.add_company("22732040", "Straina SRL").await;

    let form = app.get_html("/members/invite").await;
    assert!(
        form.contains("Cele 3 firme pe care le administrați"),
        "{form}"
    );
    assert!(!form.contains("Straina SRL"));

    // Another person's company among the ticks: nothing is invited.
    let ids: Vec<String> = companies.iter().map(i64::to_string).collect();
    let foreign_id = foreign.to_string();
    let mut fields = vec![("email", "ana@firma.ro"), ("role", "viewer")];
    fields.extend(ids.iter().map(|id| ("company", id.as_str())));
    let mut with_foreign = fields.clone();
    with_foreign.push(("company", foreign_id.as_str()));
    let r = app
        .post_form("/members/invite", "/members/invite", &with_foreign)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A bad email keeps the form as it was, with the reason.
    let mut bad = fields.clone();
    bad[0] = ("email", "ana@");
    let r = app
        .post_form("/members/invite", "/members/invite", &bad)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("nu este o adresă de email validă"), "{page}");
    assert_eq!(page.matches(" checked>").count(), 3, "the ticks stay");
    // None ticked.
    let r = app
        .post_form("/members/invite", "/members/invite", &fields[..2])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Bifați cel puțin o firmă"));

    let ana = new_user(&app, "ana@firma.ro").await;
    assert!(
        invitations_on_dashboard(&ana).await.is_empty(),
        "nothing sent yet"
    );
    let r = app
        .post_form("/members/invite", "/members/invite", &fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&location(&r)).await;
    assert!(
        page.contains("ana@firma.ro este invitat(ă) la 3 firme"),
        "{page}"
    );

    let dashboard = ana.get_html("/").await;
    assert!(
        dashboard.contains("Acceptă toate cele 3 invitații"),
        "{dashboard}"
    );
    let r = ana.post_form("/", "/invitations/accept-all", &[]).await;
    assert_eq!(location(&r), "/");
    let dashboard = ana.get_html("/").await;
    assert!(
        dashboard.contains("Ați acceptat 3 invitații"),
        "{dashboard}"
    );
    for name in ["Alfa SRL", "Beta SRL", "Gama SRL"] {
        assert!(dashboard.contains(name), "{name} is in Ana's list");
    }
    assert!(!dashboard.contains("Straina SRL"));

    // Asked again: already a member everywhere, said so.
    let r = app
        .post_form("/members/invite", "/members/invite", &fields)
        .await;
    let page = app.get_html(&location(&r)).await;
    assert!(
        page.contains("Este deja membru al 3 dintre firmele bifate"),
        "{page}"
    );
}

#[tokio::test]
async fn removing_a_member_is_confirmed_first() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Alfa SRL").await;
    let ana = new_user(&app, "ana@firma.ro").await;
    crate::helpers::add_member(&app, company, &ana, "ana@firma.ro", "viewer").await;
    let members = app.get_html(&format!("/companies/{company}/members")).await;
    let link = "/remove\">";
    let at = members.find(link).expect("a remove link, not a button");
    let href_start = members[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let confirm = &members[href_start..at + "/remove".len()];

    let page = app.get_html(confirm).await;
    assert!(
        page.contains("Eliminați ana@firma.ro din Alfa SRL?"),
        "{page}"
    );
    // Looking changed nothing; confirming removes.
    assert!(ana.get_html("/").await.contains("Alfa SRL"));
    let r = app.post_form(confirm, confirm, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!ana.get_html("/").await.contains("Alfa SRL"));
    // Someone who is not a member of this company is unknown here.
    assert_eq!(app.get(confirm).await.status(), StatusCode::NOT_FOUND);
}
