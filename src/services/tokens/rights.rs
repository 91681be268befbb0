//! SPV rights probes: whether a token's certificate may act for a CIF, within each CIF's daily
//! probes, and the weekly scheduled probes.

use chrono::{NaiveTime, TimeDelta};
use secrecy::SecretString;

use super::*;
use crate::anaf::client::{Priority, RightsVerdict};
use crate::db::models::call_counts;
use crate::db::models::now;
use crate::db::models::tokens::{self};
use crate::db::write_transaction;
use crate::domain::{Cif, Rights, TokenId};
use crate::services::tokens::vault::TokenField;

/// A rights verdict stands this long before the engine probes again (a refresh probes anyway).
pub(super) const RIGHTS_PROBE_EVERY: TimeDelta = TimeDelta::days(7);

/// After a probe that could not tell (ANAF down, the day's probes used), the next one.
pub(super) const RIGHTS_PROBE_RETRY: TimeDelta = TimeDelta::days(1);

/// Rights probes of one CIF a day, whoever asks (ANAF allows 1,500 listings a day per CIF, and
/// they belong to the integrators).
pub(super) const PROBES_PER_CIF_PER_DAY: i32 = 10;

/// A claimed probe not finished by then is claimed again.
pub(super) const PROBE_CLAIM: TimeDelta = TimeDelta::minutes(10);

impl TokenService {
    /// Probes ANAF for the token's SPV rights on `cif` and records the verdict. Whoever asks, a
    /// CIF gets at most `PROBES_PER_CIF_PER_DAY` probes a day (the listing quota belongs to the
    /// integrators); past them no probe is made and the verdict before stands until the next
    /// day's.
    pub(crate) async fn check_rights(
        &self,
        token_id: TokenId,
        access: &SecretString,
        cif: &Cif,
    ) -> Result<RightsVerdict, anyhow::Error> {
        let verdict = self.probe_cif(access, cif).await?;
        self.record_rights(token_id, cif, &verdict).await?;
        Ok(verdict)
    }

    /// Asks ANAF whether `access` has SPV rights on `cif`, within the CIF's daily probes.
    pub(super) async fn probe_cif(
        &self,
        access: &SecretString,
        cif: &Cif,
    ) -> Result<RightsVerdict, anyhow::Error> {
        let counter = call_counts::rights_probes(cif.as_str());
        // A probe is a `listaMesajeFactura` call: it counts in the CIF's list quota, which the
        // gateway keeps for the integrators.
        let lists = call_counts::efactura_quota(call_counts::LISTA_PER_CIF, cif.as_str());
        let allowed = self
            .db
            .run(move |conn| {
                let day = now().date().and_time(NaiveTime::MIN);
                Ok(write_transaction(conn, |conn| {
                    let allowed =
                        call_counts::count_below(conn, &counter, day, PROBES_PER_CIF_PER_DAY)?;
                    if allowed {
                        let (romanian_day, _) = crate::domain::romanian_day(now());
                        call_counts::count_below(conn, &lists, romanian_day, i32::MAX)?;
                    }
                    Ok::<bool, diesel::result::Error>(allowed)
                })?)
            })
            .await?;
        let verdict = match allowed {
            true => self.anaf.probe_rights(access, cif).await,
            false => RightsVerdict::Unknown(format!(
                "the {PROBES_PER_CIF_PER_DAY} rights checks of today for this CIF are used; \
                 the next is tomorrow"
            )),
        };
        Ok(verdict)
    }

    /// Records a verdict: a known one stands for `RIGHTS_PROBE_EVERY`, an unknown one is probed
    /// again after `RIGHTS_PROBE_RETRY` and leaves the verdict before it standing.
    pub(crate) async fn record_rights(
        &self,
        token_id: TokenId,
        cif: &Cif,
        verdict: &RightsVerdict,
    ) -> Result<(), anyhow::Error> {
        let verdict = verdict.clone();
        let cif = cif.clone();
        self.db
            .run(move |conn| {
                let at = now();
                match verdict {
                    RightsVerdict::Granted => tokens::record_rights(
                        conn,
                        token_id,
                        &cif,
                        Rights::Granted,
                        None,
                        at + RIGHTS_PROBE_EVERY,
                    )?,
                    RightsVerdict::Denied(text) => tokens::record_rights(
                        conn,
                        token_id,
                        &cif,
                        Rights::Denied,
                        Some(&text),
                        at + RIGHTS_PROBE_EVERY,
                    )?,
                    RightsVerdict::Unknown(text) => tokens::record_rights_unknown(
                        conn,
                        token_id,
                        &cif,
                        &text,
                        at + RIGHTS_PROBE_RETRY,
                    )?,
                };
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// Claims up to `limit` (token, CIF) pairs whose weekly rights probe is due (`probe_claimed`
    /// runs it).
    pub async fn claim_probes(&self, limit: i64) -> Result<Vec<(TokenId, Cif)>, TokenError> {
        Ok(self
            .db
            .run(move |conn| {
                let at = now();
                let due = tokens::claim_probes(conn, at, at + PROBE_CLAIM, limit)?;
                Ok(due
                    .into_iter()
                    .map(|(token, cif)| (token.into(), cif))
                    .collect())
            })
            .await?)
    }

    /// Runs the scheduled rights probe of a token `claim_probes` returned, at the background's
    /// priority.
    pub async fn probe_claimed(
        &self,
        token_id: TokenId,
        cif: &Cif,
    ) -> Result<RightsVerdict, TokenError> {
        let secrets = self.secrets(token_id).await?;
        let access = self
            .open(&secrets, TokenField::Access)?
            .ok_or(TokenError::NotFound)?;
        Ok(Priority::Background
            .scope(self.check_rights(token_id, &access, cif))
            .await?)
    }
}
