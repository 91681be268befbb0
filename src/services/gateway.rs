//! The e-Factura gateway: an integrator calls ANAF's own e-Factura paths with a portal API key
//! instead of a token. Before anything reaches ANAF the gateway checks that the key may do the
//! operation for the CIF, that ANAF's quotas (the minute, shared by every instance, and the
//! daily scopes per CIF, message and upload) leave room for the call, and picks the company's
//! working token (refreshing it first when it is due). It then forwards the call, classifies
//! the answer (`anaf::efactura::classify`), and keeps what it learnt: the messages listed and
//! the uploads made (so `descarcare` and `stareMesaj`, which carry no CIF, find their company)
//! and every downloaded file (the archive: a second download is served from there).

use std::time::Duration;

use bytes::Bytes;
use chrono::NaiveDateTime;
use secrecy::SecretString;

use crate::anaf::budget::AnafBudget;
use crate::anaf::client::{AnafError, EfacturaEnvironment};
use crate::anaf::efactura::{
    self, Classified, EfacturaCall, EfacturaClient, MAX_UPLOAD_BYTES, Operation, Outcome,
};
use crate::archive::Archive;
use crate::config::EfacturaLimits;
use crate::db::Db;
use crate::db::models::anaf_budget::{self, DailyCount, GatewayRefusal};
use crate::db::models::{call_counts, companies, efactura as ledger, now};
use crate::domain::{Actor, ApiKeyId, Cif, CompanyId, KeyScope, Rights, UserId, romanian_day};
use crate::secrets::sha256_hex;
use crate::services::tokens::{RefreshOutcome, RefreshRequest, TokenService};
use std::sync::Arc;

mod params;
use params::Params;

/// How many times a read is sent when ANAF answers with its firewall page, a 429 or a 5xx.
const READ_ATTEMPTS: u32 = 3;

/// Who is calling through the gateway.
pub struct GatewayCaller<'a> {
    pub user: UserId,
    pub key: ApiKeyId,
    pub scope: &'a KeyScope,
    /// For the audit log, when a call refreshes the token.
    pub actor: &'a Actor,
}

/// One call as it arrived: `/efactura/{environment}/FCTEL/rest/{operation}?{query}`.
pub struct GatewayRequest<'a> {
    pub environment: EfacturaEnvironment,
    pub operation: Operation,
    pub query: &'a str,
    pub body: Option<Bytes>,
    pub content_type: Option<&'a str>,
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Anaf,
    Archive,
}

/// ANAF's answer (or the archive's copy of one), to hand back as it is.
#[derive(Debug)]
pub struct GatewayAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
    pub outcome: Outcome,
    pub source: Source,
}

/// A daily quota of ANAF's limits file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyScope {
    ListsPerCif,
    PagedListsPerCif,
    DownloadsPerMessage,
    StatusPerUpload,
    RaspPerCif,
}

impl DailyScope {
    pub const ALL: [DailyScope; 5] = [
        DailyScope::ListsPerCif,
        DailyScope::PagedListsPerCif,
        DailyScope::DownloadsPerMessage,
        DailyScope::StatusPerUpload,
        DailyScope::RaspPerCif,
    ];

    /// Its name in problem details, headers and metrics.
    pub fn name(self) -> &'static str {
        match self {
            DailyScope::ListsPerCif => call_counts::LISTA_PER_CIF,
            DailyScope::PagedListsPerCif => "lista_paginatie_per_cif",
            DailyScope::DownloadsPerMessage => "descarcare_per_message",
            DailyScope::StatusPerUpload => "stare_mesaj_per_upload",
            DailyScope::RaspPerCif => "upload_rasp_per_cif",
        }
    }

    pub fn limit(self, limits: &EfacturaLimits) -> u32 {
        match self {
            DailyScope::ListsPerCif => limits.lists_per_cif,
            DailyScope::PagedListsPerCif => limits.paged_lists_per_cif,
            DailyScope::DownloadsPerMessage => limits.downloads_per_message,
            DailyScope::StatusPerUpload => limits.status_per_upload,
            DailyScope::RaspPerCif => limits.rasp_per_cif,
        }
    }

    /// Its counter in `call_counts` for `subject` (a CIF, a message id, an upload index).
    pub fn counter(self, subject: &str) -> String {
        call_counts::efactura_quota(self.name(), subject)
    }

    /// The quota an operation counts against, and for what.
    fn of(operation: &Operation, params: &Params, cif: &Cif) -> Option<(DailyScope, String)> {
        Some(match operation {
            Operation::ListaMesaje => (DailyScope::ListsPerCif, cif.to_string()),
            Operation::ListaPaginatie => (DailyScope::PagedListsPerCif, cif.to_string()),
            Operation::Descarcare => (DailyScope::DownloadsPerMessage, params.get("id")?.into()),
            Operation::StareMesaj => (
                DailyScope::StatusPerUpload,
                params.get("id_incarcare")?.into(),
            ),
            Operation::Upload | Operation::UploadB2c
                if params
                    .get("standard")
                    .is_some_and(|s| s.eq_ignore_ascii_case("RASP")) =>
            {
                (DailyScope::RaspPerCif, cif.to_string())
            }
            _ => return None,
        })
    }
}

/// Why the gateway answered instead of ANAF.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The request is not one ANAF could serve through the portal.
    #[error("{0}")]
    BadRequest(String),
    /// The key may not do this, or not for this CIF.
    #[error("{0}")]
    NotPermitted(String),
    /// `stareMesaj` or `descarcare` of an id the portal never saw.
    #[error("{0}")]
    UnknownId(String),
    /// The company has no token that works for e-Factura now.
    #[error("{0}")]
    NoWorkingToken(String),
    /// A quota would be exceeded: ANAF is not called.
    #[error("{detail}")]
    QuotaSpent {
        scope: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    /// ANAF gave no answer (unreachable, timed out, dropped).
    #[error("{0}")]
    NoAnswer(String),
    #[error("the upload is larger than ANAF's 10 MB")]
    TooLarge,
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

fn seconds_until(at: NaiveDateTime) -> u64 {
    u64::try_from((at - now()).num_seconds().max(1)).unwrap_or(1)
}

pub struct GatewayService {
    db: Db,
    tokens: TokenService,
    budget: Arc<AnafBudget>,
    client: EfacturaClient,
    archive: Archive,
    limits: EfacturaLimits,
}

impl GatewayService {
    pub fn new(
        db: Db,
        tokens: TokenService,
        budget: Arc<AnafBudget>,
        client: EfacturaClient,
        archive: Archive,
        limits: EfacturaLimits,
    ) -> GatewayService {
        GatewayService {
            db,
            tokens,
            budget,
            client,
            archive,
            limits,
        }
    }

    pub fn limits(&self) -> &EfacturaLimits {
        &self.limits
    }

    /// Serves one gateway call: refused here, answered from the archive, or forwarded to ANAF.
    pub async fn call(
        &self,
        caller: &GatewayCaller<'_>,
        request: GatewayRequest<'_>,
    ) -> Result<GatewayAnswer, GatewayError> {
        let operation = &request.operation;
        let permission = operation.permission();
        if !caller.scope.permissions.contains(permission) {
            return Err(GatewayError::NotPermitted(format!(
                "this API key does not have the `{permission}` permission {} needs",
                operation.name()
            )));
        }
        if request
            .body
            .as_ref()
            .is_some_and(|b| b.len() > MAX_UPLOAD_BYTES)
        {
            return Err(GatewayError::TooLarge);
        }
        let params = Params::parse(request.query)?;
        if operation.is_public() {
            // Validation and PDF: ANAF's public host, no token, no CIF; the minute still counts.
            return self.forward(caller, &request, None, &[], None).await;
        }
        let (cif, company) = self.company_of(caller, &request, &params).await?;
        if *operation == Operation::Descarcare
            && let Some(answer) = self.archived_download(&request, &params).await?
        {
            return Ok(answer);
        }
        let daily: Vec<(DailyScope, String)> = DailyScope::of(operation, &params, &cif)
            .into_iter()
            .collect();
        let token = self.working_token(caller, company, &cif).await?;
        let answer = self
            .forward(caller, &request, Some(&token), &daily, Some(&cif))
            .await?;
        self.remember(caller, &request, &params, &cif, &answer)
            .await;
        Ok(answer)
    }

    /// The CIF the call is for and the caller's company with it: the `cif` parameter, or, for
    /// an id, a CIF the portal saw it under that the key may act for (the seller and the buyer
    /// list one invoice under the same id). One database trip.
    async fn company_of(
        &self,
        caller: &GatewayCaller<'_>,
        request: &GatewayRequest<'_>,
        params: &Params,
    ) -> Result<(Cif, CompanyId), GatewayError> {
        let environment = request.environment;
        let operation = &request.operation;
        // `stareMesaj` and `descarcare` carry an id, not a CIF: the ledger knows whose it is.
        let (target, unknown) = match operation {
            Operation::StareMesaj => (
                Target::Upload(params.required("id_incarcare", operation)?.to_owned()),
                "the portal has not seen this id_incarcare: only uploads made through the \
                 gateway can be followed here",
            ),
            Operation::Descarcare => (
                Target::Message(params.required("id", operation)?.to_owned()),
                "the portal has not seen this id: list the company's messages through the \
                 gateway first (listaMesajePaginatieFactura or listaMesajeFactura), then download",
            ),
            _ => (
                Target::Cif(parse_cif(params.required("cif", operation)?)?),
                "",
            ),
        };
        let user = caller.user;
        let candidates = self
            .db
            .run(move |conn| {
                let stored = match target {
                    Target::Cif(cif) => vec![cif.to_string()],
                    Target::Upload(id) => ledger::cifs_of_upload(conn, environment, &id)?,
                    Target::Message(id) => ledger::cifs_of_message(conn, environment, &id)?,
                };
                let cifs: Vec<Cif> = stored.iter().filter_map(|c| Cif::parse(c).ok()).collect();
                let mut candidates = Vec::with_capacity(cifs.len());
                for cif in cifs {
                    let membership = companies::find_by_cif_for_member(conn, &cif, user)?;
                    candidates.push((cif, membership));
                }
                Ok(candidates)
            })
            .await?;
        if candidates.is_empty() {
            return Err(GatewayError::UnknownId(unknown.to_owned()));
        }
        let permission = operation.permission();
        let mut refusal = None;
        for (cif, membership) in candidates {
            match permitted(caller.scope, &cif, membership, permission) {
                Ok(company) => return Ok((cif, company)),
                Err(refused) => refusal = refusal.or(Some(refused)),
            }
        }
        Err(refusal.unwrap_or_else(|| GatewayError::NotPermitted("no CIF".to_owned())))
    }

    /// A download the archive already holds, answered as ANAF answered it.
    async fn archived_download(
        &self,
        request: &GatewayRequest<'_>,
        params: &Params,
    ) -> Result<Option<GatewayAnswer>, GatewayError> {
        let Some(id) = params.get("id") else {
            return Ok(None);
        };
        let Some((_, body)) = self.archive.get(request.environment, id).await? else {
            return Ok(None);
        };
        crate::metrics::efactura_call(request.operation.name(), Outcome::Ok.as_str(), "archive");
        Ok(Some(GatewayAnswer {
            status: 200,
            content_type: "application/zip".to_owned(),
            body,
            outcome: Outcome::Ok,
            source: Source::Archive,
        }))
    }

    /// The access token of the company's token with confirmed SPV rights, refreshed first when
    /// it is due.
    async fn working_token(
        &self,
        caller: &GatewayCaller<'_>,
        company: CompanyId,
        cif: &Cif,
    ) -> Result<SecretString, GatewayError> {
        let found = self
            .tokens
            .serving_token_for_call(company)
            .await
            .map_err(|e| GatewayError::Storage(anyhow::Error::new(e)))?;
        let Some((mut token, mut access)) = found else {
            return Err(GatewayError::NoWorkingToken(format!(
                "CIF {cif} has no ANAF token: a company admin connects ANAF in the portal"
            )));
        };
        if token.facts.rights != Rights::Granted {
            return Err(GatewayError::NoWorkingToken(format!(
                "the token serving CIF {cif} has no confirmed SPV rights for it: ANAF would refuse"
            )));
        }
        let at = now();
        if token.facts.refresh_due_at <= at && token.facts.refreshable(at) {
            let request = RefreshRequest {
                wait: self.tokens.anaf().endpoints().timeout,
                force: false,
            };
            match self
                .tokens
                .refresh_loaded(caller.actor, &token, request)
                .await
            {
                Ok(RefreshOutcome::Refreshed(meta)) => {
                    token = *meta;
                    access = self
                        .tokens
                        .access_token_for_call(token.id)
                        .await
                        .map_err(|e| GatewayError::Storage(anyhow::Error::new(e)))?;
                }
                Ok(other) => tracing::info!(
                    token_id = token.id.get(),
                    outcome = ?other.failure_reason(),
                    "the gateway's refresh ended without a new pair; the current token is used"
                ),
                Err(e) => {
                    tracing::warn!(token_id = token.id.get(), error = %e, "the gateway's refresh failed")
                }
            }
        }
        if token.facts.access_expires_at <= now() {
            return Err(GatewayError::NoWorkingToken(format!(
                "the token serving CIF {cif} has expired: a company admin reconnects ANAF in the portal"
            )));
        }
        Ok(access)
    }

    /// Admits the call through the budget (refusing it when a quota is spent), sends it, and
    /// sends a read again when ANAF failed in passing.
    async fn forward(
        &self,
        caller: &GatewayCaller<'_>,
        request: &GatewayRequest<'_>,
        token: Option<&SecretString>,
        daily: &[(DailyScope, String)],
        cif: Option<&Cif>,
    ) -> Result<GatewayAnswer, GatewayError> {
        let operation = &request.operation;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.admit(caller.key, operation, daily).await?;
            let call = EfacturaCall {
                environment: request.environment,
                operation,
                query: request.query,
                body: request.body.clone(),
                content_type: request.content_type,
            };
            let sent = self.client.send(call, token).await;
            crate::metrics::anaf_call(
                operation.name(),
                sent.as_ref().ok().map(|answer| answer.status),
            );
            let raw = match sent {
                Ok(raw) => raw,
                Err(error) if operation.may_retry() && attempt < READ_ATTEMPTS => {
                    tracing::info!(operation = operation.name(), %error, attempt, "no answer from ANAF; asking again");
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
                Err(error) => return Err(no_answer(operation, &error)),
            };
            let Classified {
                outcome,
                message,
                count,
            } = efactura::classify(raw.status, &raw.content_type, &raw.body);
            if outcome == Outcome::RateLimited {
                crate::anaf::client::CallGate::rate_limited(&*self.budget, raw.retry_after).await;
            }
            if outcome == Outcome::LimitReached {
                self.spent_at_anaf(daily, count).await;
            }
            if outcome.is_transient() && operation.may_retry() && attempt < READ_ATTEMPTS {
                tracing::info!(
                    operation = operation.name(),
                    outcome = outcome.as_str(),
                    attempt,
                    "ANAF failed in passing; asking again"
                );
                tokio::time::sleep(backoff(attempt)).await;
                continue;
            }
            crate::metrics::efactura_call(operation.name(), outcome.as_str(), "anaf");
            if let Some(cif) = cif
                && !matches!(outcome, Outcome::Ok | Outcome::NoMessages)
            {
                self.record_error(cif, operation.name(), outcome, message)
                    .await;
            }
            return Ok(GatewayAnswer {
                status: raw.status,
                content_type: raw.content_type,
                body: raw.body,
                outcome,
                source: Source::Anaf,
            });
        }
    }

    /// Counts the call against the minute and its daily quota, or refuses it (429) naming the
    /// quota that is spent.
    async fn admit(
        &self,
        key: ApiKeyId,
        operation: &Operation,
        daily: &[(DailyScope, String)],
    ) -> Result<(), GatewayError> {
        let (day, next_day) = romanian_day(now());
        let counts: Vec<DailyCount> = daily
            .iter()
            .map(|(scope, subject)| DailyCount {
                counter: scope.counter(subject),
                day,
                limit: i32::try_from(scope.limit(&self.limits)).unwrap_or(i32::MAX),
            })
            .collect();
        let refusal = match self.budget.admit_integrator(key.get(), counts).await? {
            Ok(()) => return Ok(()),
            Err(refusal) => refusal,
        };
        let per_minute = self.budget.per_minute();
        let (scope, detail, retry_at) = match refusal {
            GatewayRefusal::Paused(until) => (
                "anaf_pause",
                "ANAF answered 429 Too Many Requests: every call to it waits".to_owned(),
                until,
            ),
            GatewayRefusal::Minute(at) => (
                "calls_per_minute",
                format!(
                    "the portal's budget of {per_minute} calls to ANAF a minute (all integrators \
                     together take at most 90 % of it) is spent"
                ),
                at,
            ),
            GatewayRefusal::KeyShare(at) => (
                "api_key_share",
                "this API key has had its share of the minute's calls to ANAF while other keys \
                 are calling"
                    .to_owned(),
                at,
            ),
            GatewayRefusal::Daily(index) => {
                let (scope, subject) = &daily[index.min(daily.len().saturating_sub(1))];
                (
                    scope.name(),
                    format!(
                        "ANAF's quota `{}` ({} a day, for {subject}) is spent for today; it \
                         renews at midnight, Romanian time",
                        scope.name(),
                        scope.limit(&self.limits)
                    ),
                    next_day,
                )
            }
        };
        crate::metrics::efactura_refused(operation.name(), scope);
        Err(GatewayError::QuotaSpent {
            scope,
            detail,
            retry_after_secs: seconds_until(retry_at),
        })
    }

    /// ANAF says a daily quota is spent that the portal had not counted as spent (calls made
    /// outside the portal, or a lower limit than configured): the portal's counter is set to
    /// its limit, so the next call is refused here.
    async fn spent_at_anaf(&self, daily: &[(DailyScope, String)], count: Option<u32>) {
        let Some((scope, subject)) = daily.first() else {
            return;
        };
        tracing::warn!(
            quota = scope.name(),
            anaf_count = ?count,
            "ANAF says a daily quota is spent before the portal counted it so"
        );
        let counter = scope.counter(subject);
        let limit = i32::try_from(scope.limit(&self.limits)).unwrap_or(i32::MAX);
        let (day, _) = romanian_day(now());
        if let Err(e) = self
            .db
            .run(move |conn| Ok(anaf_budget::spend_day(conn, &counter, day, limit)?))
            .await
        {
            tracing::warn!(error = %e, "could not record ANAF's spent quota");
        }
    }

    async fn record_error(
        &self,
        cif: &Cif,
        operation: &'static str,
        outcome: Outcome,
        message: Option<String>,
    ) {
        let cif = cif.to_string();
        let result = self
            .db
            .run(move |conn| {
                Ok(ledger::record_error(
                    conn,
                    &cif,
                    operation,
                    outcome.as_str(),
                    message.as_deref(),
                    now(),
                )?)
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record a failed e-Factura answer");
        }
    }

    /// Keeps what the answer taught: listed messages, an upload's index, an upload's result,
    /// a downloaded file. A failure here is logged; the integrator still gets ANAF's answer.
    async fn remember(
        &self,
        caller: &GatewayCaller<'_>,
        request: &GatewayRequest<'_>,
        params: &Params,
        cif: &Cif,
        answer: &GatewayAnswer,
    ) {
        if answer.outcome != Outcome::Ok {
            return;
        }
        let environment = request.environment;
        let cif_text = cif.to_string();
        let body = answer.body.clone();
        let result = match &request.operation {
            Operation::ListaMesaje | Operation::ListaPaginatie => {
                let messages = efactura::listed_messages(&body);
                self.db
                    .run(move |conn| {
                        let rows: Vec<ledger::ListedRow<'_>> = messages
                            .iter()
                            .map(|m| ledger::ListedRow {
                                id: &m.id,
                                id_solicitare: &m.id_solicitare,
                                tip: &m.tip,
                                data_creare: &m.data_creare,
                                detalii: &m.detalii,
                            })
                            .collect();
                        ledger::record_messages(conn, environment, &cif_text, &rows, now())?;
                        Ok(())
                    })
                    .await
            }
            Operation::Upload | Operation::UploadB2c => {
                let (Some(index), Some(sent)) = (efactura::upload_index(&body), &request.body)
                else {
                    return;
                };
                let sha256 = sha256_hex(sent);
                let size = i64::try_from(sent.len()).unwrap_or(i64::MAX);
                let standard = params.get("standard").unwrap_or_default().to_owned();
                let key = caller.key;
                self.db
                    .run(move |conn| {
                        ledger::record_upload(
                            conn,
                            &ledger::NewUpload {
                                environment,
                                upload_index: &index,
                                cif: &cif_text,
                                standard: &standard,
                                api_key_id: Some(key),
                                sha256: &sha256,
                                size_bytes: size,
                                at: now(),
                            },
                        )?;
                        Ok(())
                    })
                    .await
            }
            Operation::StareMesaj => {
                let (Some((state, download)), Some(index)) =
                    (efactura::upload_state(&body), params.get("id_incarcare"))
                else {
                    return;
                };
                let index = index.to_owned();
                self.db
                    .run(move |conn| {
                        ledger::record_upload_state(
                            conn,
                            environment,
                            &index,
                            &state,
                            download.as_deref(),
                        )?;
                        Ok(())
                    })
                    .await
            }
            Operation::Descarcare if body.starts_with(b"PK") => match params.get("id") {
                Some(id) => self
                    .archive
                    .put(environment, cif, id, body)
                    .await
                    .map(|_| ()),
                None => return,
            },
            _ => return,
        };
        if let Err(e) = result {
            tracing::warn!(operation = request.operation.name(), error = %e, "could not keep what an e-Factura answer said");
        }
    }

    /// What the company page shows: today's calls against each per-CIF quota and the last
    /// failed answers.
    pub async fn company_usage(&self, cif: &Cif) -> anyhow::Result<CompanyUsage> {
        let cif = cif.to_string();
        let limits = self.limits;
        self.db
            .run(move |conn| {
                let (day, _) = romanian_day(now());
                let mut quotas = Vec::new();
                for scope in [
                    DailyScope::ListsPerCif,
                    DailyScope::PagedListsPerCif,
                    DailyScope::RaspPerCif,
                ] {
                    let used = anaf_budget::daily_count(conn, &scope.counter(&cif), day)?;
                    quotas.push((scope, used, scope.limit(&limits)));
                }
                let errors = ledger::last_errors(conn, &cif, 5)?;
                let archived = crate::db::models::archived_files::count_for_cif(conn, &cif)?;
                Ok(CompanyUsage {
                    quotas,
                    errors,
                    archived,
                })
            })
            .await
    }
}

/// A company's e-Factura use through the gateway.
pub struct CompanyUsage {
    /// Each per-CIF quota: calls counted today and the limit.
    pub quotas: Vec<(DailyScope, i32, u32)>,
    pub errors: Vec<ledger::CallError>,
    /// Files kept in the archive.
    pub archived: i64,
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * u64::from(attempt))
}

fn no_answer(operation: &Operation, error: &AnafError) -> GatewayError {
    match operation.may_retry() {
        true => GatewayError::NoAnswer(format!("ANAF did not answer: {error}")),
        // ANAF may have registered the upload although its answer never came: sending it
        // again could register the invoice twice.
        false => GatewayError::NoAnswer(format!(
            "ANAF did not answer the upload ({error}); it may have registered it all the same: \
             do not send it again before checking the sent list (listaMesajePaginatieFactura \
             with filtru=T)"
        )),
    }
}

/// What a call names: a CIF, or an id whose CIFs the ledger knows.
enum Target {
    Cif(Cif),
    Upload(String),
    Message(String),
}

/// The company of a membership the key may use for `permission`; refuses a CIF the key's owner
/// is not a member of, or that the key may not act for.
fn permitted(
    scope: &KeyScope,
    cif: &Cif,
    membership: Option<(companies::Company, crate::domain::MemberRole)>,
    permission: crate::domain::Permission,
) -> Result<CompanyId, GatewayError> {
    let refused = || GatewayError::NotPermitted(format!("this API key may not act for CIF {cif}"));
    let (company, role) = membership.ok_or_else(refused)?;
    if !scope.covers(company.id) {
        return Err(refused());
    }
    if !scope.allows(permission, company.id, role) {
        return Err(GatewayError::NotPermitted(format!(
            "`{permission}` for CIF {cif} needs a company admin's key; its owner is a viewer there"
        )));
    }
    Ok(company.id)
}

/// A CIF the gateway was given.
fn parse_cif(raw: &str) -> Result<Cif, GatewayError> {
    Cif::parse(raw).map_err(|problem| {
        GatewayError::BadRequest(format!(
            "`cif` must be the company's CIF in digits, without RO: {problem}"
        ))
    })
}
