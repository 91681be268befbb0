//! The kill drill of the refresh-safety issue, as it was first run: the portal's process is
//! killed (SIGKILL) at a random moment while ANAF holds a refresh, then started again, and the
//! token is refreshed once more. A token is *lost* when ANAF had already replaced the pair the
//! portal never saw (that refresh answers 409, reconnect needed); a lost token is *explained* when
//! the portal says a refresh was interrupted and ANAF had already replaced the token.
//!
//! ANAF is the simulator, in this process, in its default rotating mode, with a 1 s latency fault
//! on the refresh; the kill comes 0.3 to 1.06 s after the refresh was asked for. The portal runs
//! in its own process on SQLite with ANAF credentials pointing at the simulator; a token is saved
//! through the API before every try. `ANAF_DRILL_TRIES` (default 50); `ANAF_BENCH_BINARY` runs an
//! older build the same way.
//!
//! Run with `cargo bench --bench refresh_drill`. It reports counts; no target (the losses inside
//! ANAF's hold are inevitable), exit code 2 when the drill could not run.

mod common;

use std::time::{Duration, Instant};

use anaf_simulator::{RegisteredClient, Simulator, SimulatorSettings, default_certificates};
use anyhow::{Context, bail};
use rand::Rng;
use serde_json::{Value, json};

const EMAIL: &str = "drill@example.com";
const CLIENT_ID: &str = "drill-client";
const CLIENT_SECRET: &str = "drill-secret";
const LATENCY_MS: u64 = 1000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    common::finish(run().await);
}

struct Anaf {
    simulator: Simulator,
    address: String,
}

async fn run() -> anyhow::Result<bool> {
    common::begin(
        "anaf-portal refresh drill: kill -9 while ANAF holds a refresh",
        &[
            "ANAF: the simulator in this process, rotating refresh tokens, 1 s latency on refresh",
            "kill: SIGKILL 0.3-1.06 s after the refresh was asked for",
        ],
    );
    let tries: usize = std::env::var("ANAF_DRILL_TRIES")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(50);
    let certificate = default_certificates()
        .into_iter()
        .next()
        .context("a test certificate")?;
    let cif = certificate.cifs.first().cloned().context("a CIF")?;
    let simulator = Simulator::new(SimulatorSettings {
        clients: vec![RegisteredClient {
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            redirect_uri: "http://127.0.0.1:9/anaf/callback".to_owned(),
        }],
        ..SimulatorSettings::default()
    })?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let anaf = Anaf {
        address: format!("http://{}", listener.local_addr()?),
        simulator: simulator.clone(),
    };
    tokio::spawn(anaf_simulator::serve(listener, simulator)?);
    let public_key = anaf.simulator.public_key_pem();
    let oauth_url = format!("{}/anaf-oauth2/v1", anaf.address);
    let secret_key = "ab".repeat(32);
    let env: Vec<(&str, &str)> = vec![
        ("ANAF_CLIENT_ID", CLIENT_ID),
        ("ANAF_CLIENT_SECRET", CLIENT_SECRET),
        ("ANAF_OAUTH_URL", &oauth_url),
        ("ANAF_API_URL", &anaf.address),
        // Company names from the simulator's registry, never from ANAF's.
        ("ANAF_REGISTRY_URL", &anaf.address),
        ("ANAF_PORTAL_SECRET_KEY", &secret_key),
        ("ANAF_JWT_PUBLIC_KEY", &public_key),
        // A short wait for ANAF (this build: its own setting; older builds: their one timeout),
        // so a dead process's lease runs out within seconds.
        ("ANAF_HTTP_TIMEOUT", "2s"),
        ("ANAF_PORTAL_REFRESH_TIMEOUT", "2s"),
        ("ANAF_PORTAL_API_RATE_LIMIT", "100000/minute"),
    ];

    let mut server = common::Server::start(&env).await?;
    common::create_user(server.data_dir(), EMAIL, common::PASSWORD)?;
    let key = common::create_api_key(server.data_dir(), EMAIL, "drill")?;
    add_company(&server, &cif).await?;
    let http = common::plain_client()?;

    let (mut kept, mut lost, mut explained) = (0usize, 0usize, 0usize);
    let began = Instant::now();
    for attempt in 1..=tries {
        let pair = anaf.simulator.mint(&certificate.serial, CLIENT_ID)?;
        let saved = http
            .post(server.url("/api/v1/anaf/tokens"))
            .bearer_auth(&key)
            .json(&json!({"token": pair.access_token, "refreshToken": pair.refresh_token, "cif": cif}))
            .send()
            .await?;
        if saved.status().as_u16() != 201 {
            bail!("saving the token: {}", saved.text().await?);
        }
        let token = saved.json::<Value>().await?["id"]
            .as_i64()
            .context("token id")?;
        http.post(format!("{}/__sim/faults", anaf.address))
            .json(&json!({"endpoint": "token", "kind": "latency", "ms": LATENCY_MS}))
            .send()
            .await?;
        let refresh = format!("/api/v1/anaf/tokens/{token}/refresh?force=true");
        let asked = tokio::spawn(http.post(server.url(&refresh)).bearer_auth(&key).send());
        let kill_after = rand::thread_rng().gen_range(300..=1060);
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        let data_dir = server.stop();
        let _ = asked.await;
        // Let ANAF finish what it holds, then start again and refresh once more.
        tokio::time::sleep(Duration::from_millis(LATENCY_MS + 300)).await;
        server = common::Server::start_in(data_dir, &env).await?;
        // A build that cannot tell a dead refresh from a live one answers 5xx while it waits the
        // dead one's lease out; ask again (at most 3 times) until it says kept or lost.
        let (mut status, mut body) = (0, String::new());
        for _ in 0..3 {
            let after = http
                .post(server.url(&refresh))
                .bearer_auth(&key)
                .send()
                .await?;
            status = after.status().as_u16();
            body = after.text().await.unwrap_or_default();
            if status < 500 {
                break;
            }
        }
        match status {
            200 => kept += 1,
            409 => {
                lost += 1;
                if body.contains("interrupted") {
                    explained += 1;
                }
            }
            other => bail!("try {attempt}: the refresh after the restart answered {other}: {body}"),
        }
        println!("try {attempt:>2}: killed after {kill_after:>4} ms -> {status}");
    }
    println!();
    println!("| tries | kept | lost | lost and explained | time |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {tries} | {kept} | {lost} | {explained} | {:.0} s |",
        began.elapsed().as_secs_f64()
    );
    Ok(true)
}

/// The company the drill's tokens are for, with the drill's user as its admin.
async fn add_company(server: &common::Server, cif: &str) -> anyhow::Result<()> {
    let url = anaf_portal::db::DatabaseUrl::parse(&server.database().display().to_string())
        .map_err(anyhow::Error::msg)?;
    let db = anaf_portal::db::Db::connect(&url)?;
    let cif = anaf_portal::domain::Cif::parse(cif).map_err(anyhow::Error::new)?;
    let email = anaf_portal::domain::Email::parse(EMAIL).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = db.get_blocking()?;
        let user = anaf_portal::db::models::users::find_by_email(&mut conn, &email)?
            .context("the drill's user")?;
        anaf_portal::db::models::companies::create_with_admin(
            &mut conn,
            &cif,
            Some("Firma Drill SRL"),
            user.id,
        )?;
        Ok(())
    })
    .await?
}
