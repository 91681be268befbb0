//! The company page's e-Factura section: calls through the gateway today against each per-CIF
//! quota of ANAF's, the files kept, and the last answers that were not `ok`, in plain words.

use crate::domain::Cif;
use crate::http::state::AppState;
use crate::i18n::Catalog;

pub struct QuotaView {
    pub label: String,
    pub used: i32,
    pub limit: u32,
}

pub struct CallErrorView {
    pub at: String,
    pub operation: String,
    /// What the outcome means, in the page's language.
    pub meaning: String,
    /// ANAF's own words, when it gave some.
    pub anaf_said: Option<String>,
}

pub struct EfacturaUsageView {
    pub quotas: Vec<QuotaView>,
    pub archived: i64,
    pub errors: Vec<CallErrorView>,
}

impl EfacturaUsageView {
    /// The section, or none when its figures cannot be read: the rest of the page still shows.
    pub async fn load(state: &AppState, cif: &Cif, t: &Catalog) -> Option<Self> {
        let usage = match state.gateway.company_usage(cif).await {
            Ok(usage) => usage,
            Err(e) => {
                tracing::warn!(error = %e, "the company page's e-Factura figures could not be read");
                return None;
            }
        };
        Some(EfacturaUsageView {
            quotas: usage
                .quotas
                .into_iter()
                .map(|(scope, used, limit)| QuotaView {
                    label: t.get(&format!("efactura-quota-{}", scope.name())),
                    used,
                    limit,
                })
                .collect(),
            archived: usage.archived,
            errors: usage
                .errors
                .into_iter()
                .map(|e| CallErrorView {
                    at: t.local_date_time(e.at),
                    meaning: t.get(&format!("efactura-outcome-{}", e.outcome)),
                    operation: e.operation,
                    anaf_said: e.detail,
                })
                .collect(),
        })
    }
}
