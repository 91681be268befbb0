//! Data arranged for a test: valid CIFs made to order, and companies brought into trouble (a
//! certificate without rights, a refused refresh token, a token without a refresh token).

use serde_json::json;

use super::{TestApp, serial_with_rights, serial_without_rights};

/// A valid CIF from a stem (the check digit found by trying).
pub fn cif_from(stem: u32) -> String {
    (0..10)
        .map(|check| format!("{stem}{check}"))
        .find(|c| anaf_portal::domain::Cif::parse(c).is_ok())
        .expect("one check digit fits")
}

/// ANAF refuses the company's refresh token from now on (its clock passes the token's year)
/// and a person presses Refresh: the token needs a reconnect. ANAF's clock is put back after.
pub async fn refresh_refused(app: &TestApp, company: i64) {
    let token = app.token_id_of(company).await;
    app.sim_post("clock", json!({"advance_days": 400})).await;
    let page = app.press_refresh(company, token).await;
    assert!(page.contains("data-status=\"reconnect_needed\""), "{page}");
    app.sim_post("clock", json!({"offset_seconds": 0})).await;
}

/// Three companies of the logged-in user of `app`, soon each in trouble for its own reason
/// (`get_into_trouble`).
pub struct Troubled {
    pub alfa: i64,
    pub alfa_cif: String,
    pub beta: i64,
    pub gama: i64,
    pub gama_cif: &'static str,
}

impl Troubled {
    pub async fn add(app: &TestApp) -> Troubled {
        let alfa_cif = cif_from(4_000_001);
        let gama_cif = "14399840";
        Troubled {
            alfa: app.add_company(&alfa_cif, "Alfa SRL").await,
            alfa_cif,
            beta: app.add_company("18547290", "Beta SRL").await,
            gama: app.add_company(gama_cif, "Gama SRL").await,
            gama_cif,
        }
    }

    /// Alfa's certificate has no SPV rights, ANAF refuses Beta's refresh token, Gama's token is
    /// saved (with API key `key`) without a refresh token 5 days before it expires; returns
    /// Gama's access token.
    pub async fn get_into_trouble(&self, app: &TestApp, key: &str) -> String {
        app.connect_with(self.alfa, &serial_without_rights()).await;
        app.connect_with(self.beta, &serial_with_rights()).await;
        refresh_refused(app, self.beta).await;
        // (The certificate has SPV rights for Gama's CIF.)
        save_without_refresh_token(app, key, self.gama_cif).await
    }
}

/// Three companies of `app`'s logged-in user, in trouble (see `Troubled`).
pub async fn three_companies_in_trouble(app: &TestApp, key: &str) -> Troubled {
    let troubled = Troubled::add(app).await;
    troubled.get_into_trouble(app, key).await;
    troubled
}

/// Saves for `cif`, through the API, an access token without a refresh token that expires in 5
/// days (issued by ANAF 85 days ago); returns the token.
pub async fn save_without_refresh_token(app: &TestApp, key: &str, cif: &str) -> String {
    app.sim_post("clock", json!({"offset_seconds": -85 * 86_400}))
        .await;
    let minted = app
        .sim_post(
            "mint",
            json!({"certificate_serial": serial_with_rights(), "client_id": "portal-client"}),
        )
        .await;
    app.sim_post("clock", json!({"offset_seconds": 0})).await;
    let access = minted["access_token"]
        .as_str()
        .expect("a minted token")
        .to_owned();
    let saved = app
        .api_post(key, json!({"token": access, "cif": cif}))
        .await;
    assert_eq!(saved.status().as_u16(), 201);
    access
}
