//! Prometheus metrics, served by `GET /metrics`. Counters and the budget's waits are this
//! process's own (scrape every instance); the token gauges are read from the database at each
//! scrape, so every instance reports the same figures for them.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once, whatever the number of applications in the process)
/// and returns its handle.
pub fn install() -> &'static PrometheusHandle {
    RECORDER.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics stays empty");
        }
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        "anaf_portal_refreshes_total",
        "Token refreshes by outcome (people's and the engine's)."
    );
    describe_counter!(
        "anaf_portal_anaf_calls_total",
        "Calls to ANAF by endpoint and HTTP status (`error`: no answer)."
    );
    describe_histogram!(
        "anaf_portal_budget_wait_seconds",
        "How long calls waited for the ANAF call budget, by priority."
    );
    describe_counter!(
        "anaf_portal_efactura_calls_total",
        "e-Factura calls through the gateway by operation and outcome (`archive`: served from the archive, ANAF not called)."
    );
    describe_counter!(
        "anaf_portal_efactura_refusals_total",
        "e-Factura calls the gateway refused before ANAF, by operation and quota scope."
    );
    describe_gauge!("anaf_portal_tokens", "Stored tokens by status.");
    describe_gauge!(
        "anaf_portal_tokens_by_refresh_state",
        "Stored tokens by what the refresh engine is doing about them."
    );
    describe_gauge!(
        "anaf_portal_refresh_due",
        "Tokens due for a refresh now and not yet taken: the engine's backlog."
    );
}

/// One refresh ended with `outcome`.
pub fn refresh_finished(outcome: &'static str) {
    counter!("anaf_portal_refreshes_total", "outcome" => outcome).increment(1);
}

/// One call to ANAF's `endpoint` got `status` (`None`: no answer).
pub fn anaf_call(endpoint: &'static str, status: Option<u16>) {
    let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
    counter!("anaf_portal_anaf_calls_total", "endpoint" => endpoint, "status" => status)
        .increment(1);
}

/// An e-Factura call through the gateway ended with `outcome` (`Efactura-Outcome`).
pub fn efactura_call(operation: &'static str, outcome: &'static str, source: &'static str) {
    counter!("anaf_portal_efactura_calls_total", "operation" => operation, "outcome" => outcome, "source" => source)
        .increment(1);
}

/// The gateway refused an e-Factura call because quota `scope` was spent.
pub fn efactura_refused(operation: &'static str, scope: &'static str) {
    counter!("anaf_portal_efactura_refusals_total", "operation" => operation, "scope" => scope)
        .increment(1);
}

/// A call of `priority` waited `waited` for the budget.
pub fn budget_waited(priority: &'static str, waited: Duration) {
    histogram!("anaf_portal_budget_wait_seconds", "priority" => priority)
        .record(waited.as_secs_f64());
}

/// The number of stored tokens in `status`.
pub fn set_tokens_in_status(status: &'static str, count: usize) {
    gauge!("anaf_portal_tokens", "status" => status).set(count as f64);
}

/// The number of stored tokens in refresh `state`.
pub fn set_tokens_in_refresh_state(state: &'static str, count: usize) {
    gauge!("anaf_portal_tokens_by_refresh_state", "state" => state).set(count as f64);
}

/// The engine's backlog: tokens due now and not yet taken.
pub fn set_refresh_due(count: usize) {
    gauge!("anaf_portal_refresh_due").set(count as f64);
}
