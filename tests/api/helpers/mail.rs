//! Mail as a person receives it: a real SMTP server (aiosmtpd, `tests/smtp/sink.py`) in its own
//! process, and what tells its messages apart.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{free_port, skip_unless_required};

/// A real SMTP server in its own process; every message it received, decoded.
pub struct SmtpSink {
    child: Child,
    port: u16,
    received: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpSink {
    /// Starts the server, or says why it cannot (and fails when the mail tests are required).
    pub fn start() -> Option<SmtpSink> {
        let python = std::env::var("ANAF_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let usable = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !usable {
            skip_unless_required(
                "ANAF_PORTAL_MAIL_TESTS",
                &format!(
                    "email test not run: {python} cannot import aiosmtpd (apt-get install python3-aiosmtpd)"
                ),
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let received = dir.path().join("received.jsonl");
        let port = free_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/sink.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(port.to_string())
            .arg(&received)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let mut ready = String::new();
        let stdout = child.stdout.take().expect("its output");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut ready)
            .expect("the SMTP server says it is ready");
        assert_eq!(ready.trim(), "ready", "the SMTP server started");
        Some(SmtpSink {
            child,
            port,
            received,
            _dir: dir,
        })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every mail received, address confirmations included.
    pub fn all_mails(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.received)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// The mails received but the address confirmations every registration sends (the tests of
    /// notifications count only theirs; `trust_boundary` reads the confirmations).
    pub fn mails(&self) -> Vec<Value> {
        self.all_mails()
            .into_iter()
            .filter(|mail| !is_address_confirmation(mail))
            .collect()
    }

    /// Waits until `count` mails arrived (no more than `count`).
    pub async fn wait_for(&self, count: usize, limit: Duration) -> Vec<Value> {
        let deadline = Instant::now() + limit;
        loop {
            let mails = self.mails();
            assert!(mails.len() <= count, "more mail than expected: {mails:#?}");
            if mails.len() == count {
                return mails;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {count} mails, got {mails:#?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Whether `mail` is the confirmation link a registration sends.
pub fn is_address_confirmation(mail: &Value) -> bool {
    mail["headers"]["subject"].as_str().is_some_and(|subject| {
        subject.contains("Confirmați adresa de email")
            || subject.contains("Confirm your email address")
    })
}
