//! The portal as a separate process (the binary the release ships), so that a test can kill it
//! like a crashed server, stop it like a service manager, or read its log; and a browser for it.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{ExternalAnaf, TestApp, TestData, client_with, free_port, test_args};

/// The portal in a child process, so that it can be killed like a crashed server, or its log
/// read.
pub struct ChildPortal {
    process: Child,
    pub address: String,
}

impl ChildPortal {
    pub async fn start(args: &[String]) -> ChildPortal {
        let log = if std::env::var_os("ANAF_TEST_CHILD_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        };
        ChildPortal::start_logging(args, log).await
    }

    /// The same, with its log (standard error) going to `log`.
    pub async fn start_logging(args: &[String], log: impl Into<Stdio>) -> ChildPortal {
        let process = Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
            .arg("serve")
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the portal starts");
        let bind = args
            .iter()
            .position(|a| a == "--bind")
            .map(|i| args[i + 1].clone())
            .expect("--bind");
        let portal = ChildPortal {
            process,
            address: format!("http://{bind}"),
        };
        let http = client_with(Arc::new(reqwest::cookie::Jar::default()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/healthz", portal.address)).send().await
                && r.status().is_success()
            {
                return portal;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the portal did not start");
    }

    pub fn kill(&mut self) {
        // SIGKILL: no graceful shutdown, nothing flushed.
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// SIGTERM, as a service manager stops the portal; waits until the process has exited.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        self.process.wait().expect("exit")
    }
}

impl Drop for ChildPortal {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A browser for a portal in a child process, on its database.
pub fn browser_for(portal: &ChildPortal, database_url: &str, data_dir: TestData) -> TestApp {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    TestApp {
        address: portal.address.clone(),
        client: client_with(jar.clone()),
        jar,
        database_url: database_url.to_owned(),
        data_dir: Arc::new(data_dir),
        app_db: anaf_portal::db::Db::connect(
            &anaf_portal::db::DatabaseUrl::parse(database_url).expect("url"),
        )
        .expect("db"),
    }
}

/// A portal in a child process talking to `anaf`, on a fresh database (PostgreSQL when
/// `TEST_DATABASE_URL` is set), with `extra` settings; the command line (to start it again on the
/// same data) and a browser for it.
pub async fn child_portal(
    anaf: &ExternalAnaf,
    extra: &[&str],
) -> (ChildPortal, TestApp, Vec<String>) {
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/anaf/callback");
    anaf.register(&callback).await;
    let (_, data_dir, database_url) = test_args(None, &[]);
    let mut args = anaf.portal_args(&callback);
    args.extend([
        "--bind".into(),
        format!("127.0.0.1:{port}"),
        "--data-dir".into(),
        data_dir.path().display().to_string(),
        "--database-url".into(),
        database_url.clone(),
    ]);
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let portal = ChildPortal::start(&args).await;
    let app = browser_for(&portal, &database_url, data_dir);
    (portal, app, args)
}
