//! ANAF's daily limits (per simulated day) and the simulator's own counters (since the last reset).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// How many minutes of `calls_per_minute` are kept (a day).
const MINUTES_KEPT: usize = 24 * 60;

/// Calls per key on one simulated (UTC) day; the first call of a new day starts from zero.
#[derive(Default)]
pub(crate) struct DailyCounter {
    day: Option<NaiveDate>,
    counts: HashMap<String, u32>,
}

impl DailyCounter {
    /// Counts one more call for `key` on `today`; returns the day's count including this call.
    pub fn count(&mut self, key: &str, today: NaiveDate) -> u32 {
        if self.day != Some(today) {
            self.day = Some(today);
            self.counts.clear();
        }
        let count = self.counts.entry(key.to_string()).or_insert(0);
        *count = count.saturating_add(1);
        *count
    }
}

/// The counts ANAF's daily limits are judged on.
#[derive(Default)]
pub(crate) struct DailyCounters {
    /// listaMesajeFactura, per CIF.
    pub lista: DailyCounter,
    /// listaMesajePaginatieFactura, per CIF.
    pub lista_paginatie: DailyCounter,
    /// stareMesaj, per upload index.
    pub stare_mesaj: DailyCounter,
    /// descarcare, per download id.
    pub descarcare: DailyCounter,
    /// RASP uploads, per CIF.
    pub rasp: DailyCounter,
}

/// The simulator's counters, since start or the last reset.
#[derive(Default)]
pub(crate) struct Counters {
    pub uploads: BTreeMap<String, u64>,
    pub invoices_at_anaf: BTreeMap<String, u64>,
    pub lista: BTreeMap<String, u64>,
    pub lista_paginatie: BTreeMap<String, u64>,
    pub descarcare: BTreeMap<String, u64>,
    pub stare_mesaj: BTreeMap<String, u64>,
    pub validare: u64,
    pub transformare: u64,
    /// Resource calls per real-clock minute (its start).
    pub calls_per_minute: BTreeMap<DateTime<Utc>, u64>,
    pub rate_limited: u64,
}

pub(crate) fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_string()).or_insert(0) += 1;
}

impl Counters {
    /// Counts a resource call in its minute of the real clock (the per-minute load the portal
    /// really put on ANAF, whatever the simulated clock says).
    pub fn count_call(&mut self, real_now: DateTime<Utc>) {
        let minute = real_now
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(real_now);
        *self.calls_per_minute.entry(minute).or_insert(0) += 1;
        while self.calls_per_minute.len() > MINUTES_KEPT {
            self.calls_per_minute.pop_first();
        }
    }

    pub fn snapshot(&self) -> EfacturaCounters {
        EfacturaCounters {
            uploads: self.uploads.clone(),
            invoices_at_anaf: self.invoices_at_anaf.clone(),
            lista: self.lista.clone(),
            lista_paginatie: self.lista_paginatie.clone(),
            descarcare: self.descarcare.clone(),
            stare_mesaj: self.stare_mesaj.clone(),
            validare: self.validare,
            transformare: self.transformare,
            calls_per_minute: self
                .calls_per_minute
                .iter()
                .map(|(minute, calls)| MinuteCalls {
                    minute: minute.format("%Y-%m-%dT%H:%M:00Z").to_string(),
                    calls: *calls,
                })
                .collect(),
            rate_limited: self.rate_limited,
        }
    }
}

/// `GET __sim/efactura/counters` (and [`crate::Simulator::efactura_counters`]): what the portal
/// asked of e-Factura since the simulator started or the counters were reset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EfacturaCounters {
    /// Uploads stored (ok, nok or still processing) per uploading CIF; refusals (rights, size,
    /// the RASP limit) and `eroare_tehnica` faults are not counted.
    pub uploads: BTreeMap<String, u64>,
    /// Distinct invoices ANAF accepted (`ok`) per uploading CIF: no duplicates, no rejections.
    pub invoices_at_anaf: BTreeMap<String, u64>,
    /// listaMesajeFactura calls per CIF that passed the rights check (refused-by-limit included).
    pub lista: BTreeMap<String, u64>,
    /// listaMesajePaginatieFactura calls per CIF that passed the rights check.
    pub lista_paginatie: BTreeMap<String, u64>,
    /// descarcare calls per download id that passed the rights and 60-day checks.
    pub descarcare: BTreeMap<String, u64>,
    /// stareMesaj calls per upload index that passed the rights check.
    pub stare_mesaj: BTreeMap<String, u64>,
    /// validare calls answered by the simulator (not by a fault).
    pub validare: u64,
    /// transformare calls answered by the simulator (not by a fault).
    pub transformare: u64,
    /// Every resource call (hello, e-Factura, validare/transformare) per real-clock minute,
    /// oldest first, the last 24 hours.
    pub calls_per_minute: Vec<MinuteCalls>,
    /// HTTP 429 answers sent on the resource endpoints (the per-minute limit or a fault).
    pub rate_limited: u64,
}

/// One minute of [`EfacturaCounters::calls_per_minute`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteCalls {
    /// The minute's start, `YYYY-MM-DDTHH:MM:00Z` (real clock, UTC).
    pub minute: String,
    pub calls: u64,
}
